/** @module The `login` command: parse flags (a saved profile fills the gaps), build the adapters, run the use case. */

import { type Command, EXIT, parseCommand } from "../../shared/cli.ts";
import { applyNamedProfile } from "../profiles.ts";
import { createLoginDeps } from "../login/deps.ts";
import { loginSpec, toLoginInput } from "../login/input.ts";
import { runLogin } from "../login/login.ts";

export const loginCommand: Command = {
  spec: loginSpec,
  async run(ctx) {
    const parsed = parseCommand(loginSpec, ctx);
    if (!parsed) return EXIT.OK;
    await applyNamedProfile(parsed, ctx.env); // flag > env > profile > default
    const input = toLoginInput(parsed);
    const deps = await createLoginDeps(ctx, input);
    const result = await runLogin(input, deps);
    if (result.interrupted && !input.watch) {
      deps.stdio.stderr("login interrupted\n");
      return EXIT.FAILURE;
    }
    return EXIT.OK;
  },
};
