/** @module Tests for typed flag parsing, required flags and runCommand (help, positionals, parsed values). */

import { assert, assertEquals, assertRejects, assertThrows } from "../tests/helpers/assert.ts";
import {
  type CommandContext,
  defineCommand,
  defineSpec,
  type FlagValues,
  parseFlags,
  requireFlags,
  runCommand,
} from "./cli.ts";
import { isTalosOidcError } from "./errors.ts";

const spec = defineSpec({
  name: "demo-cmd",
  usage: "talosctl-oidc demo-cmd [flags]",
  flags: [
    { name: "server", type: "string", env: "X_SERVER", arg: "URL", description: "server" },
    { name: "port", type: "string", default: "8900", description: "port" },
    { name: "scopes", type: "string", multiple: true, default: ["openid", "email"], description: "scopes" },
    { name: "nodes", type: "string", multiple: true, description: "nodes" },
    { name: "watch", type: "boolean", env: "X_WATCH", description: "watch" },
    { name: "verbose", short: "v", type: "boolean", description: "debug output" },
  ],
  maxPositionals: 1,
});

/** The value types the spec gives, spelled out: a change to FlagValue's rules fails `deno check`. */
type Expected = { server: string | undefined; port: string; scopes: string[]; nodes: string[]; watch: boolean } & {
  verbose: boolean;
};
const sameTypes: [FlagValues<typeof spec.flags>, Expected] extends [Expected, FlagValues<typeof spec.flags>] ? true
  : never = true;

Deno.test("parseFlags() types and fills every flag: defaults, empty lists, false for absent on/off flags", () => {
  const p = parseFlags(spec, []);
  assert(sameTypes);
  assertEquals(p.values, {
    server: undefined,
    port: "8900",
    scopes: ["openid", "email"],
    nodes: [],
    watch: false,
    verbose: false,
  });
  assertEquals([p.positionals, [...p.explicit], p.help], [[], [], false]);
  // @ts-expect-error a flag the spec does not have is a compile error, so a renamed flag breaks every old read
  assertEquals(p.values["sever"], undefined);
});

Deno.test("parseFlags() takes flag over env over default, splits lists, and records what was given", () => {
  const p = parseFlags(spec, ["--nodes", "a,b", "--nodes", " c ", "-v", "x"], {
    X_SERVER: "https://s",
    X_WATCH: "yes",
  });
  assertEquals([p.values.server, p.values.nodes, p.values.watch, p.values.verbose], [
    "https://s",
    ["a", "b", "c"],
    true,
    true,
  ]);
  assertEquals([...p.explicit].sort(), ["nodes", "server", "verbose", "watch"]);
  assertEquals(p.positionals, ["x"]);
  const off = parseFlags(spec, ["--no-watch", "--server", "https://flag"], { X_SERVER: "https://env", X_WATCH: "1" });
  assertEquals([off.values.server, off.values.watch], ["https://flag", false]);
  assertEquals(parseFlags(spec, [], { X_SERVER: "" }).values.server, undefined); // an empty env var is not a value
});

Deno.test("requireFlags() names every missing flag with its env var at once, and returns the values as strings", () => {
  const p = parseFlags(spec, ["--port", ""]);
  const err = assertThrows(() => requireFlags(spec, p.values, ["server", "port"]));
  assert(isTalosOidcError(err, "ERR_USAGE"));
  assertEquals(err.message, "demo-cmd: missing --server (or X_SERVER), --port");
  assertEquals(err.hint, `run "talosctl-oidc demo-cmd --help" for the flags`);
  const { server } = requireFlags(spec, parseFlags(spec, ["--server", "https://s"]).values, ["server"]);
  assertEquals(server, "https://s");
});

function context(args: string[]): CommandContext & { out: string[] } {
  const out: string[] = [];
  return {
    out,
    args,
    env: {},
    stdio: { stdout: (t) => void out.push(t), stderr: () => {}, isTerminal: false },
    signal: new AbortController().signal,
  };
}

Deno.test("runCommand() hands run the typed values, answers --help with the table's summary, limits positionals", async () => {
  const seen: unknown[] = [];
  const cmd = defineCommand(spec, (_ctx, args) => {
    seen.push([args.values.port, args.values.watch, args.positionals]);
    return Promise.resolve(0);
  });
  assertEquals(await runCommand(cmd, context(["--watch", "one"])), 0);
  assertEquals(seen, [["8900", true, ["one"]]]);

  const help = context(["--help"]);
  assertEquals(await runCommand(cmd, help, "Do the demo thing"), 0);
  assert(help.out.join("").startsWith("Do the demo thing\n\nUsage:\n  talosctl-oidc demo-cmd [flags]\n"));
  assertEquals(seen.length, 1, "--help does not run the command");

  const err = await assertRejects(() => runCommand(cmd, context(["one", "two"])));
  assert(isTalosOidcError(err, "ERR_USAGE"));
  assertEquals(err.message, `demo-cmd: unexpected argument "two"`);
});
