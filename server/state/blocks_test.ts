/** @module Tests for the block list's rules: what a block request may say, and whom a block stops. */

import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import { createMemoryBlockList, matchBlock, parseBlockInput } from "./blocks.ts";

const NOW = Date.parse("2030-01-01T00:00:00Z");

Deno.test("parseBlockInput() takes a subject and/or an email, a reason and a future until; says what to fix", () => {
  assertEquals(parseBlockInput({ email: " Bob@Example.com ", reason: "left" }, NOW), {
    email: "bob@example.com",
    reason: "left",
  });
  assertEquals(parseBlockInput({ subject: "u-1", reason: "x", until: "2030-02-01T00:00:00+01:00" }, NOW), {
    subject: "u-1",
    reason: "x",
    until: "2030-01-31T23:00:00.000Z",
  });
  for (
    const [body, why] of [
      [{ reason: "x" }, "give subject or email"],
      [{ subject: "u" }, "reason is required"],
      [{ subject: "u", reason: "x", until: "tomorrow" }, "until must be an RFC 3339 time"],
      [{ subject: "u", reason: "x", until: "2029-01-01T00:00:00Z" }, "until is in the past"],
      [{ subject: 5, reason: "x" }, "subject must be a string"],
      [{ subject: "u", reason: "x", role: "os:admin" }, 'unknown field "role"'],
      [[], "expected a JSON object"],
    ] as const
  ) {
    assertThrows(
      () => parseBlockInput(body, NOW),
      (e) => isTalosOidcError(e, "ERR_INVALID_REQUEST") && e.message.includes(why),
    );
  }
});

Deno.test("matchBlock() stops the whole sub or the email (any case), only while in force", () => {
  const list = createMemoryBlockList(() => NOW);
  const bySub = list.add({ subject: "alice", reason: "x" }) as { id: string };
  list.add({ email: "bob@example.com", reason: "y", until: "2030-01-02T00:00:00.000Z" });
  const blocks = list.snapshot().blocks;
  const who = (subjects: string[], emails: string[] = []) => matchBlock(blocks, { subjects, emails }, NOW)?.reason;
  assertEquals(who(["alice"]), "x");
  assertEquals([who(["alice2"]), who(["ALICE"]), who(["ali"])], [undefined, undefined, undefined]);
  assertEquals(who(["someone"], ["BOB@example.com"]), "y");
  assertEquals(matchBlock(blocks, { subjects: ["x"], emails: ["bob@example.com"] }, NOW + 86_400_000), undefined);
  list.remove(bySub.id);
  assertEquals(matchBlock(list.snapshot().blocks, { subjects: ["alice"], emails: [] }, NOW), undefined);
});
