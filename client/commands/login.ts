/** @module The `login` command: a saved profile fills the flags not given, then build the adapters, run the use case. */

import { defineCommand, EXIT } from "../../shared/cli.ts";
import { applyNamedProfile } from "../profiles.ts";
import { createLoginDeps } from "../login/deps.ts";
import { loginSpec } from "../login/flags.ts";
import { toLoginInput } from "../login/input.ts";
import { runLogin } from "../login/login.ts";

export const loginCommand = defineCommand(loginSpec, async (ctx, args) => {
  await applyNamedProfile(args, ctx.env); // flag > env > profile > default
  const input = toLoginInput(args);
  const deps = await createLoginDeps(ctx, input);
  const result = await runLogin(input, deps);
  // Ctrl-C ends --watch normally (exit 0); before a single login finished it is an interruption (main.ts: 130).
  if (result.interrupted && !input.watch) throw ctx.signal.reason;
  return EXIT.OK;
});
