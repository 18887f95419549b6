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
  if (result.interrupted && !input.watch) {
    deps.stdio.stderr("login interrupted\n");
    return EXIT.FAILURE;
  }
  return EXIT.OK;
});
