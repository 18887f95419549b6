/** @module `talosctl-oidc doctor`: check talosconfig, certificate, server, IdP, tokens and this machine; one verdict each. */

import {
  type Command,
  type CommandContext,
  defineCommand,
  defineSpec,
  EXIT,
  OUTPUT_FLAG,
  outputFormat,
  type ParsedArgs,
} from "../../shared/cli.ts";
import { type Clock, systemClock } from "../../shared/clock.ts";
import { TalosOidcError } from "../../shared/errors.ts";
import { checkIdp } from "../doctor/idp_checks.ts";
import { checkCachedToken, checkCallbackPort, checkKeychain } from "../doctor/local_checks.ts";
import { formatResults, formatResultsJson, runChecks } from "../doctor/report.ts";
import { checkServer } from "../doctor/server_checks.ts";
import { checkTalosconfig } from "../doctor/talosconfig_checks.ts";
import type { Check, DoctorInputs } from "../doctor/types.ts";
import { resolveTalosconfigPath } from "../paths.ts";
import { type Profile, profileTalosconfig, readProfile } from "../profiles.ts";
import { currentContext, readTalosconfig } from "../talosconfig/read.ts";
import {
  callbackPortFlag,
  clientIdFlag,
  contextNameFlag,
  PROFILE_FLAG,
  providerFlag,
  serverCaFlag,
  serverFlag,
  talosconfigFlag,
  VERBOSE_FLAG,
} from "../flags.ts";
import { readLoginRecord } from "../login/login_record.ts";
import { textLogger } from "../../shared/log.ts";

const doctorSpec = defineSpec({
  name: "doctor",
  usage: "talosctl-oidc doctor [--profile NAME] [--context-name NAME] [--talosconfig PATH] [-o text|json] [flags]",
  description: `
Each check prints one line: ok, warn, fail or skip, and a "fix:" line for problems. Exits 1 when any check fails.
Server and IdP checks need to know where they are: --profile NAME (written by "talosctl-oidc setup"), or --server,
--server-ca and --provider (the server and CA default to what the last login for the context used). Nothing is
changed and no token is sent anywhere. -v prints what was checked, and the stack of a check that crashed.

--output json prints one object: checks [{name, verdict, message, fix}] (fix is null for ok and skip) and
summary {ok, warn, fail, skip}.`,
  flags: [
    PROFILE_FLAG,
    {
      ...contextNameFlag("talosconfig context to check (default: the profile's, else the current context)"),
      default: undefined,
    },
    { name: "context", type: "string", arg: "NAME", hidden: true, description: "old name of --context-name" },
    talosconfigFlag("talosconfig to check"),
    serverFlag("exchange server URL"),
    serverCaFlag("PEM CA trusted (only) for the exchange server"),
    providerFlag("OIDC issuer URL"),
    clientIdFlag("OIDC client ID"),
    callbackPortFlag("login callback port"),
    { name: "skip-keychain", type: "boolean", description: "do not probe the OS keychain (it may prompt)" },
    {
      name: "kubernetes",
      type: "boolean",
      description:
        "also check the ID token against kube-apiserver's OIDC rules (may refresh it; kube doctor has every option)",
    },
    { name: "from", type: "string", arg: "DIR", description: "with --kubernetes: what kube setup --output-dir wrote" },
    OUTPUT_FLAG,
    VERBOSE_FLAG,
  ],
  examples: [
    "talosctl-oidc doctor --profile prod",
    "talosctl-oidc doctor --profile prod --kubernetes --from ./oidc",
    "talosctl-oidc doctor --context-name oidc --server https://talos-oidc.example.com:8443 --server-ca server-ca.pem",
  ],
});

/** Build the doctor command; tests inject the clock. */
export function createDoctorCommand(deps: { clock?: Clock } = {}): Command<typeof doctorSpec.flags> {
  return defineCommand(doctorSpec, async (ctx, parsed) => {
    const output = outputFormat(parsed.values.output, "doctor");
    const logger = textLogger({ verbose: parsed.values.verbose, write: (l) => ctx.stdio.stderr(l + "\n") });
    const inputs = await resolveInputs(ctx, parsed, deps.clock ?? systemClock);
    for (const [k, v] of Object.entries(inputs)) {
      if (typeof v === "string" || typeof v === "number") logger.debug(`${k}: ${v}`);
    }
    const checks: Check[] = [checkTalosconfig, checkServer, checkIdp, checkCachedToken, checkCallbackPort];
    if (!parsed.values["skip-keychain"]) checks.splice(4, 0, (i) => checkKeychain(i));
    const results = await runChecks(checks, inputs, logger);
    if (parsed.values.kubernetes) {
      const { doctorKubernetes } = await import("./kube_doctor.ts");
      const v = parsed.values;
      results.push(
        ...await doctorKubernetes(ctx, {
          ...(v.profile ? { profile: v.profile } : {}),
          ...(v.provider ? { provider: v.provider } : {}),
          ...(v["client-id"] ? { clientId: v["client-id"] } : {}),
          ...(inputs.contextName ? { contextName: inputs.contextName } : {}),
          ...(v.from ? { from: v.from } : {}),
        }),
      );
    }
    ctx.stdio.stdout(output === "json" ? formatResultsJson(results) : formatResults(results));
    return results.some((r) => r.verdict === "fail") ? EXIT.FAILURE : EXIT.OK;
  });
}

/** The doctor command as main.ts runs it. */
export const doctorCommand: Command = createDoctorCommand();

async function resolveInputs(
  ctx: CommandContext,
  parsed: ParsedArgs<typeof doctorSpec.flags>,
  clock: Clock,
): Promise<DoctorInputs> {
  const v = parsed.values;
  const profile: Profile | undefined = v.profile ? await readProfile(v.profile, ctx.env) : undefined;
  const port = parsed.explicit.has("callback-port") ? v["callback-port"] : String(profile?.callbackPort ?? 8900);
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
    throw new TalosOidcError("ERR_USAGE", `invalid --callback-port "${port}"`, { hint: "use 1-65535" });
  }
  const fromProfile = profile && profileTalosconfig(profile, ctx.env);
  const talosconfigPath = resolveTalosconfigPath(v.talosconfig ?? fromProfile, ctx.env);
  const contextName = v["context-name"] ?? v.context ?? profile?.contextName ?? await currentOf(talosconfigPath);
  const loginHint = profile ? `talosctl-oidc login --profile ${profile.name}` : "talosctl-oidc login ...";
  // Without --server or a profile: the server (and CA) the last login for this context used, as status --check.
  const recorded = v.server || profile || !contextName ? undefined : await readLoginRecord(contextName, ctx.env);
  return {
    talosconfigPath,
    ...(contextName ? { contextName } : {}),
    ...opt("server", v.server ?? profile?.server ?? recorded?.server),
    ...opt("serverCaPath", v["server-ca"] ?? (v.server ? undefined : profile?.serverCa ?? recorded?.server_ca)),
    ...opt("serverCaFingerprint", v["server-ca"] ? undefined : profile?.serverCaSha256),
    ...opt("provider", v.provider ?? profile?.provider),
    ...opt("clientId", v["client-id"] ?? profile?.clientId),
    callbackPort: Number(port),
    loginHint,
    env: ctx.env,
    clock,
  };
}

/** The talosconfig's current context, or undefined when the file is missing or broken (its check says why). */
async function currentOf(path: string): Promise<string | undefined> {
  try {
    return currentContext((await readTalosconfig(path)).doc) || undefined;
  } catch {
    return undefined;
  }
}

function opt<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
