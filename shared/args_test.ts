/** @module Tests for parseArgv: node:util parseArgs as the oracle for accepted argv, and our usage errors. */

import { parseArgs } from "node:util";
import { assert, assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import { type ArgvOption, parseArgv } from "./args.ts";
import { isTalosOidcError, type TalosOidcError } from "./errors.ts";

const OPTIONS: Record<string, ArgvOption> = {
  server: { type: "string" },
  output: { type: "string", short: "o" },
  nodes: { type: "string", multiple: true },
  watch: { type: "boolean" },
  verbose: { type: "boolean", short: "v" },
  "device-code": { type: "boolean" },
  "client-secret": { type: "string" },
  help: { type: "boolean", short: "h" },
};

/** node:util parseArgs configured as shared/cli.ts used it before parseArgv replaced it. */
function oracle(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    options: OPTIONS as Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }>,
    allowPositionals: true,
    strict: true,
    allowNegative: true,
  });
  return { values: { ...values }, positionals };
}

function refuses(argv: string[]): boolean {
  try {
    oracle(argv);
    return false;
  } catch {
    return true;
  }
}

function usageError(argv: string[]): TalosOidcError {
  const err = assertThrows(() => parseArgv(argv, OPTIONS, "kube token"));
  assert(isTalosOidcError(err, "ERR_USAGE"), String(err));
  return err;
}

const ACCEPTED: string[][] = [
  [],
  ["a", "b"],
  ["--server", "x"],
  ["--server=x"],
  ["--server="],
  ["--server=a=b"],
  ["--server", "-"],
  ["--server=-x"],
  ["--server", ""],
  ["--server", "a", "--server", "b"],
  ["-o", "json"],
  ["-ojson"],
  ["-o=json"],
  ["-o-x"],
  ["-vo", "json"],
  ["-vojson"],
  ["-vh"],
  ["-ov"],
  ["-vv"],
  ["--watch", "--no-watch"],
  ["--no-watch", "--watch"],
  ["--no-device-code"],
  ["--no-help"],
  ["--nodes", "a", "--nodes=b", "--nodes", "c,d"],
  ["--", "--watch", "-v", "--"],
  ["a", "--", "b"],
  ["-"],
  ["x", "--watch", "y", "-v", "z"],
  ["--client-secret", "s3cret", "--verbose"],
];

Deno.test("parseArgv() reads every accepted argv exactly as node:util parseArgs does", () => {
  for (const argv of ACCEPTED) {
    assertEquals(parseArgv(argv, OPTIONS, "t"), oracle(argv), JSON.stringify(argv));
  }
});

Deno.test("parseArgv() refuses what node:util parseArgs refuses", () => {
  const refused = [
    ["--server"],
    ["--server", "--watch"],
    ["--server", "-x"],
    ["--output", "--"],
    ["-o"],
    ["-o", "-v"],
    ["--watch=true"],
    ["--watch="],
    ["--no-watch=1"],
    ["--no-server"],
    ["--no-no-watch"],
    ["--sever", "x"],
    ["-x"],
    ["-vx"],
    ["-5"],
    ["---x"],
    ["--=x"],
    ["--no"],
    ["--Watch"],
    ["--__proto__"],
    ["--constructor"],
  ];
  for (const argv of refused) {
    assert(refuses(argv), `node:util parseArgs accepts ${JSON.stringify(argv)}`);
    usageError(argv);
  }
});

Deno.test("parseArgv() names an unknown flag and suggests the closest one, --no- forms included", () => {
  const err = usageError(["--sever", "x"]);
  assertEquals(err.message, `kube token: unknown flag "--sever"`);
  assertEquals(err.hint, `did you mean "--server"? run "talosctl-oidc kube token --help" for the list of flags`);
  assertEquals(usageError(["--no-wach"]).hint?.startsWith(`did you mean "--no-watch"?`), true);
  assertEquals(usageError(["--Watch"]).hint?.startsWith(`did you mean "--watch"?`), true);
  assertEquals(usageError(["--device-cod=1"]).message, `kube token: unknown flag "--device-cod"`);
  assertEquals(usageError(["--zzzzzz"]).hint, `run "talosctl-oidc kube token --help" for the list of flags`);
  assertEquals(usageError(["-vx"]).message, `kube token: unknown flag "-x"`);
});

Deno.test("parseArgv() says how to give a value that starts with a dash, and never repeats a value", () => {
  assertEquals(usageError(["--server"]).message, `kube token: flag "--server" needs a value`);
  const dash = usageError(["--client-secret", "-s3cret"]);
  assertEquals(
    dash.message,
    `kube token: flag "--client-secret" needs a value but the next argument is a flag ` +
      `(a value starting with "-" goes as --client-secret=-VALUE)`,
  );
  assert(!`${dash.message}${dash.hint}`.includes("s3cret"));
  assert(usageError(["-o", "-v"]).message.endsWith(`(a value starting with "-" goes as --output=-VALUE or -o-VALUE)`));
  const onOff = usageError(["--watch=s3cret"]);
  assertEquals(onOff.message, `kube token: flag "--watch" is on/off and takes no value: write --watch or --no-watch`);
  assertEquals(usageError(["--no-watch=1"]).message.includes("write --watch or --no-watch"), true);
});

Deno.test("parseArgv() keeps repeated values in order, lets the last single value win, and stops at --", () => {
  assertEquals(parseArgv(["--nodes", "a", "--nodes=b", "--server", "1", "--server=2"], OPTIONS, "t").values, {
    nodes: ["a", "b"],
    server: "2",
  });
  assertEquals(parseArgv(["--watch", "--", "--no-watch", "-v"], OPTIONS, "t"), {
    values: { watch: true },
    positionals: ["--no-watch", "-v"],
  });
});
