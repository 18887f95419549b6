/**
 * @module `talosctl-oidc demo`: the whole flow on this machine with nothing to configure. Not part of release builds:
 * main.ts loads this file through a non-literal import and the build stages only shared/, server/ and client/.
 */

import { join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type CommandContext, defineCommand, defineSpec, EXIT } from "../shared/cli.ts";
import { TalosOidcError } from "../shared/errors.ts";
import { nullLogger } from "../shared/log.ts";
import { resolveTalosconfigPath } from "../client/paths.ts";
import { getContext, readTalosconfig } from "../client/talosconfig/read.ts";
import { createTokenCache } from "../client/token_cache/token_cache.ts";
import { DEMO_CONTEXT, DEMO_SCOPES, DEMO_USERS } from "./constants.ts";
import { headlessEnv, runHeadless } from "./headless.ts";
import type { DemoKube } from "./kube.ts";
import type { DemoStack } from "./stack.ts";
import { describeIdentity, whoami } from "./whoami.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

const spec = defineSpec({
  name: "demo",
  usage: "talosctl-oidc demo [whoami [--talosconfig PATH] [--context-name NAME]] [--headless [--user NAME]]",
  description: `
Starts everything on 127.0.0.1 under one temp directory and prints the two commands to run: "login" (your browser
opens the demo IdP, whose page lists its users) and "demo whoami", which calls the apid stand-in over mTLS with the
new talosconfig context; plus "kubectl auth whoami" against a kube-apiserver stand-in, with a kubeconfig that
"kube setup" wrote, which works after the same login. alice is in talos-admins (os:admin), bob in talos-readers
(os:reader), mallory in guests (no RBAC rule: refused). Passwords are the user names. Ctrl-C stops everything and
deletes the temp directory. --headless signs in by itself (a scripted browser), runs kubectl when it is installed,
and exits 0 when the round trip worked. --talos-api runs the recommended mode: the exchange server holds no CA and
issues through a Talos API stand-in (gRPC over mutual TLS, trusting only os:admin client certificates, minting from
the demo CA), as it would through a real cluster.`,
  flags: [
    { name: "headless", type: "boolean", description: "sign in with a scripted browser and exit" },
    { name: "user", type: "string", default: "alice", arg: "NAME", description: "demo user for --headless" },
    { name: "talos-api", type: "boolean", description: "issue through a Talos API stand-in (no CA on the server)" },
    { name: "talosconfig", type: "string", arg: "PATH", description: "talosconfig for whoami" },
    { name: "context-name", type: "string", arg: "NAME", description: "context for whoami (default: current)" },
    { name: "context", type: "string", arg: "NAME", hidden: true, description: "old name of --context-name" },
  ],
  examples: [
    "deno task demo",
    "deno task demo --talos-api",
    "deno task demo --headless --user bob",
    "talosctl-oidc demo whoami --talosconfig PATH",
  ],
});

export const demoCommand = defineCommand(spec, async (ctx, { values, positionals }) => {
  if (positionals[0] === "whoami") {
    const context = values["context-name"] ?? values.context;
    const id = await whoami(resolveTalosconfigPath(values.talosconfig, ctx.env), context);
    ctx.stdio.stdout(describeIdentity(id));
    return EXIT.OK;
  }
  if (positionals.length > 0) {
    throw new TalosOidcError("ERR_USAGE", `demo: unknown argument "${positionals[0]}"`, {
      hint: 'run "talosctl-oidc demo" or "talosctl-oidc demo whoami"',
    });
  }
  const { user } = values;
  if (values.headless && !DEMO_USERS.some((u) => u.sub === user)) {
    throw new TalosOidcError("ERR_USAGE", `demo: no demo user "${user}"`, {
      hint: `pick one of ${DEMO_USERS.map((u) => u.sub).join(", ")}`,
    });
  }
  const dir = await Deno.makeTempDir({ prefix: "talosctl-oidc-demo-" });
  let stack: DemoStack | undefined;
  let kube: DemoKube | undefined;
  try {
    // Loaded here, not at import: oidc-provider prints development warnings when it loads and starts.
    const { startDemoStack } = await withoutProviderWarnings(() => import("./stack.ts"));
    const { runDemoKubectl, startDemoKube } = await withoutProviderWarnings(() => import("./kube.ts"));
    stack = await withoutProviderWarnings(() => startDemoStack(dir, { talosApi: values["talos-api"] }));
    kube = await startDemoKube(stack, ctx);
    printBanner(ctx, stack, kube, values.headless);
    if (values.headless) {
      const id = await runHeadless(stack, user, ctx);
      ctx.stdio.stdout(describeIdentity(id));
      ctx.stdio.stdout(await runDemoKubectl(kube, headlessEnv(stack, ctx)));
      return EXIT.OK;
    }
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) return resolve();
      ctx.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    ctx.stdio.stderr("\nStopping the demo...\n");
    await forgetDemoTokens(ctx, stack);
    return EXIT.OK;
  } finally {
    await kube?.[Symbol.asyncDispose]();
    await stack?.[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    if (!values.headless) ctx.stdio.stderr(`Removed ${dir}\n`);
  }
});

/** How to run this CLI the way the demo itself was started (npx deno from the repo, or deno on PATH). */
function cliPrefix(cwd = Deno.cwd(), execPath = Deno.execPath()): string {
  const main = cwd === ROOT.replace(/\/$/, "") ? "main.ts" : join(ROOT, "main.ts");
  const deno = execPath.startsWith(ROOT) ? (main === "main.ts" ? "npx deno" : execPath) : "deno";
  return `${deno} run -A ${main}`;
}

function printBanner(ctx: CommandContext, s: DemoStack, kube: DemoKube, headless: boolean): void {
  const cli = cliPrefix();
  const p = s.paths;
  const rel = (path: string) => (path.startsWith(p.dir) ? `$DEMO/${relative(p.dir, path)}` : path);
  const users = DEMO_USERS.map((u) => `${u.sub} (${(u.groups ?? []).join(", ")})`).join(", ");
  const login = [
    `${cli} login`,
    `--provider ${s.idp.issuer} --client-id ${s.idp.clientId}`,
    `--server ${s.server.url} --server-ca ${p.serverCa}`,
    `--talosconfig ${p.talosconfig} --context-name ${DEMO_CONTEXT}`,
    `--scopes ${DEMO_SCOPES}`,
  ].join(" \\\n      ");
  ctx.stdio.stderr(`talosctl-oidc demo: everything runs on 127.0.0.1, with its files in DEMO=${p.dir}

  demo IdP (oidc-provider)  ${s.idp.issuer}   users: ${users}; password = user name
  exchange server           ${s.server.url}   config ${rel(p.serverConfig)}, log ${rel(p.serverLog)}
                            RBAC: talos-admins -> os:admin, talos-readers -> os:reader, anyone else refused
${
    s.talos
      ? `  Talos API stand-in (gRPC) ${s.talos.endpoint}   mutual TLS, os:admin callers only; mints from the demo CA
                            the server holds no CA, only its os:admin talosconfig ${rel(p.talosCredential)}
`
      : `  Talos OS CA (Ed25519)     ${rel(p.talosSecrets)}
`
  }  apid stand-in (mTLS)      ${s.apid.url}   trusts only the Talos CA; answers with your identity and roles
  kube-apiserver stand-in   ${kube.api.url}   TLS; kube-apiserver's OIDC rules from the Talos patch
                            that kube setup wrote to ${rel(kube.clusterDir)}; kubeconfig ${rel(kube.kubeconfig)}
${
    headless ? "\nSigning in headless (a scripted browser plays the user)...\n" : `
1. Sign in. Your browser opens the demo IdP; its page lists the users (try alice, then bob and mallory):

    ${login}

2. Ask the apid stand-in who you are, with the context login just wrote (the demo's stand-in for
   "talosctl --context ${DEMO_CONTEXT} get members" against a real cluster; no talosctl needed here):

    ${cli} demo whoami --talosconfig ${p.talosconfig}

3. kubectl with the same sign-in, no second login (kube setup wrote the kubeconfig; kubectl runs kube token):

    ${kube.whoami.join(" ")}

   To switch user (say bob, or mallory, whom no rule admits), repeat step 1 with --force: the demo IdP asks
   again who signs in, although your browser is still signed in there.

Ctrl-C stops the demo and deletes ${p.dir}.
`
  }`);
}

/**
 * Run `fn` without oidc-provider's "Unsupported runtime" and "development-only adapter" warnings (true for a real
 * deployment, noise for a demo on Deno whose IdP lives for minutes) and without Node's deprecation warnings (the
 * kube-apiserver stand-in's schema validator loads node:punycode). Every other warning still prints.
 */
async function withoutProviderWarnings<T>(fn: () => Promise<T>): Promise<T> {
  const warn = console.warn, deprecation = process.noDeprecation;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === "string" && args[0].includes("oidc-provider WARNING")) return;
    warn(...args);
  };
  process.noDeprecation = true;
  try {
    return await fn();
  } finally {
    console.warn = warn;
    process.noDeprecation = deprecation;
  }
}

/** Remove the token the printed login cached in the OS keychain or token file (only if a login happened). */
async function forgetDemoTokens(ctx: CommandContext, s: DemoStack): Promise<void> {
  try {
    const { doc } = await readTalosconfig(s.paths.talosconfig);
    if (!getContext(doc, DEMO_CONTEXT)) return;
    await createTokenCache({ env: ctx.env, logger: nullLogger }).delete(DEMO_CONTEXT);
  } catch { /* best effort: nothing else to clean */ }
}
