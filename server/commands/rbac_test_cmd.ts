/** @module `talosctl-oidc rbac test`: show which roles a user would get from the configured RBAC rules, and why. */

import { defineCommand, defineSpec, EXIT, OUTPUT_FLAG, outputFormat, usageError } from "../../shared/cli.ts";
import { TalosOidcError } from "../../shared/errors.ts";
import { decodeJwtPayload } from "../../shared/jwt_payload.ts";
import { readRbacConfig } from "../rbac/rbac_config.ts";
import { compileRbac } from "../rbac/rbac.ts";

const spec = defineSpec({
  name: "rbac",
  usage: "talosctl-oidc rbac test --config FILE (--claims FILE | --token JWT|-) [--issuer URL] [--output text|json]",
  description: `
Prints the Talos roles a user with these claims would receive and which rules matched.
--claims reads a JSON object of ID token claims. --token takes a JWT ("-" reads it from stdin,
which keeps it out of the process list); its payload is DECODED WITHOUT VERIFYING the signature,
issuer, audience or expiry, so only use it to debug mappings. The token itself is never printed.
TALOSCTL_OIDC_ROLES overrides the file's roles, as it does for "serve".`,
  flags: [
    {
      name: "config",
      short: "c",
      type: "string",
      arg: "FILE",
      env: "TALOSCTL_OIDC_CONFIG",
      description: "server config",
    },
    { name: "claims", type: "string", arg: "FILE", description: "JSON file with the token's claims" },
    { name: "token", type: "string", arg: "JWT", description: 'an ID token, or "-" for stdin (NOT verified)' },
    { name: "issuer", type: "string", arg: "URL", description: "issuer for issuer-restricted rules (default: iss)" },
    OUTPUT_FLAG,
  ],
  examples: [
    "talosctl-oidc rbac test --config server.yaml --claims alice.json",
    "talosctl-oidc rbac test -c server.yaml --token - -o json < id_token.txt",
  ],
});

/** The `rbac` command (subcommand `test`). */
export const rbacCommand = defineCommand(spec, async (ctx, { values, positionals }) => {
  if (positionals[0] !== "test" || positionals.length > 1) throw usage('expected the subcommand "test"');
  const { config: configPath, claims: claimsPath, token } = values;
  const output = outputFormat(values.output, "rbac");
  if (!configPath) throw usage("--config is required");
  if (Boolean(claimsPath) === Boolean(token)) throw usage("give exactly one of --claims or --token");

  const config = readRbacConfig(await readText(configPath, "config file"), ctx.env.TALOSCTL_OIDC_ROLES);
  for (const w of config.warnings) ctx.stdio.stderr(`warning: ${w}\n`);
  let claims: Record<string, unknown>;
  if (claimsPath) claims = parseClaims(await readText(claimsPath, "claims file"));
  else {
    ctx.stdio.stderr("warning: the token is decoded without verifying its signature, issuer, audience or expiry\n");
    claims = decodeUnverified(token === "-" ? (await ctx.stdio.readLine?.()) ?? "" : token!);
  }
  const issuer = values.issuer ?? (typeof claims.iss === "string" ? claims.iss : "");
  const decision = compileRbac(config.rules, { defaultRoles: config.defaultRoles }).map(claims, issuer);
  const matched = decision.matched.map((i) => ({ index: i, ...config.rules[i]! }));
  const usedDefault = decision.matched.length === 0;
  if (output === "json") {
    ctx.stdio.stdout(
      JSON.stringify({ roles: decision.roles, matched, default_roles: usedDefault, denied: !decision.roles.length }) +
        "\n",
    );
    return EXIT.OK;
  }
  const lines = [`roles: ${decision.roles.length ? decision.roles.join(", ") : "(none)"}`];
  if (usedDefault) {
    lines.push(
      config.rules.length ? "no rule matched: the static roles apply" : "no RBAC rules: the static roles apply",
    );
  } else lines.push("matched rules:");
  for (const m of matched) {
    const extra = `${m.match ?? "exact"}${m.split ? ", split" : ""}${m.issuer ? `, issuer ${m.issuer}` : ""}`;
    lines.push(`  rbac.rules[${m.index}]: ${m.claim} = "${m.value}" (${extra}) -> ${m.roles.join(", ") || "(none)"}`);
  }
  if (!decision.roles.length) lines.push("the exchange would be refused (403 no roles assigned)");
  ctx.stdio.stdout(lines.join("\n") + "\n");
  return EXIT.OK;
});

function usage(msg: string): TalosOidcError {
  return usageError("rbac", msg);
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    throw new TalosOidcError("ERR_IO", `reading ${what} "${path}" failed`, { cause: err });
  }
}

function parseClaims(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new TalosOidcError("ERR_USAGE", "parsing the claims file failed: it must be a JSON object", { cause: err });
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new TalosOidcError("ERR_USAGE", "the claims file must hold a JSON object");
  }
  return v as Record<string, unknown>;
}

/** Payload of a compact JWS, with no verification at all (debugging only). Errors never echo the token. */
function decodeUnverified(jwt: string): Record<string, unknown> {
  try {
    return decodeJwtPayload(jwt);
  } catch (err) {
    throw new TalosOidcError("ERR_USAGE", "decoding the token failed: expected a compact JWT", { cause: err });
  }
}
