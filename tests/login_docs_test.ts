/** @module docs/login.md stays in step with the code: every flag of login, status, logout and doctor is documented. */

import { assert, assertStringIncludes } from "./helpers/assert.ts";
import type { FlagSpec } from "../shared/cli.ts";
import { loginSpec } from "../client/login/flags.ts";
import { statusSpec } from "../client/commands/status.ts";
import { logoutSpec } from "../client/commands/logout.ts";
import { doctorCommand } from "../client/commands/doctor.ts";

const DOC = new URL("../docs/login.md", import.meta.url);

Deno.test("docs/login.md has a row for every login flag with its env var and default", async () => {
  const doc = await Deno.readTextFile(DOC);
  for (const f of loginSpec.flags as readonly FlagSpec[]) {
    const row = doc.split("\n").find((l) =>
      l.startsWith(`| \`--${f.name}`) || l.startsWith(`| \`-${f.short}\`, \`--${f.name}`)
    );
    assert(row, `no table row for --${f.name}`);
    if (f.env) assertStringIncludes(row, `\`${f.env}\``);
    const d = Array.isArray(f.default) ? f.default.join(",") : f.default;
    if (typeof d === "string") assertStringIncludes(row, `\`${d}\``);
  }
});

Deno.test("docs/login.md names every flag of status, logout and doctor", async () => {
  const doc = await Deno.readTextFile(DOC);
  for (const spec of [statusSpec, logoutSpec, doctorCommand.spec]) {
    for (const f of spec.flags) {
      if (f.name === "verbose") continue;
      assertStringIncludes(doc, `--${f.name}`, `${spec.name} --${f.name} is not in docs/login.md`);
    }
  }
});
