/**
 * @module kube doctor's checks: a fresh ID token held against kube-apiserver's OIDC rules as the cluster is set up
 * (the Talos patch and ClusterRoleBinding kube setup wrote, or the same flags), one verdict each with its fix.
 */

import { parse } from "yaml";
import { TalosOidcError } from "../../shared/errors.ts";
import { type CheckResult, fail, ok, warn } from "../doctor/types.ts";
import { BINDING_FILE, PATCH_FILE } from "./cluster_config.ts";

/** What kube-apiserver was told, read back from the Talos document (either form). */
export interface ApiserverOidc {
  issuer: string;
  audiences: string[];
  usernameClaim: string;
  usernamePrefix: string;
  /** "" = no groups mapping. */
  groupsClaim: string;
  groupsPrefix: string;
}

/** The cluster side as kube doctor sees it. */
export interface ClusterSide {
  apiserver: ApiserverOidc;
  /** Where it came from (a file, or "the kube setup flags"). */
  source: string;
  /** Group subjects of the ClusterRoleBinding, when there is one. */
  bindingGroups?: string[];
}

/** Read the Talos document text (extraArgs patch or KubeAuthenticationConfig) back into what kube-apiserver uses. */
export function readApiserverOidc(text: string, path: string): ApiserverOidc {
  const doc = parse(text) as Record<string, unknown> | null;
  if (doc?.kind === "KubeAuthenticationConfig") {
    const jwt = ((doc.configuration as { jwt?: Record<string, Record<string, unknown>>[] })?.jwt ?? [])[0];
    const m = (jwt?.claimMappings ?? {}) as Record<string, { claim?: string; prefix?: string }>;
    return {
      issuer: String(jwt?.issuer?.url ?? ""),
      audiences: (jwt?.issuer?.audiences ?? []) as string[],
      usernameClaim: m.username?.claim ?? "",
      usernamePrefix: m.username?.prefix ?? "",
      groupsClaim: m.groups?.claim ?? "",
      groupsPrefix: m.groups?.prefix ?? "",
    };
  }
  const a = (doc?.cluster as { apiServer?: { extraArgs?: Record<string, string> } })?.apiServer?.extraArgs;
  if (!a) {
    throw new TalosOidcError("ERR_CONFIG", `"${path}" is neither a KubeAuthenticationConfig nor an extraArgs patch`, {
      hint: `point --from at the directory "talosctl-oidc kube setup --output-dir" wrote`,
    });
  }
  const claim = a["oidc-username-claim"] ?? "sub", issuer = a["oidc-issuer-url"] ?? "";
  const prefix = a["oidc-username-prefix"];
  return {
    issuer,
    audiences: [a["oidc-client-id"] ?? ""],
    usernameClaim: claim,
    usernamePrefix: prefix === "-" ? "" : prefix ?? (claim === "email" ? "" : `${issuer}#`),
    groupsClaim: a["oidc-groups-claim"] ?? "",
    groupsPrefix: a["oidc-groups-prefix"] ?? "",
  };
}

/** Read what `kube setup --output-dir DIR` wrote. */
export async function readClusterSide(dir: string): Promise<ClusterSide> {
  const patchPath = `${dir}/${PATCH_FILE}`;
  let text: string;
  try {
    text = await Deno.readTextFile(patchPath);
  } catch (err) {
    throw new TalosOidcError("ERR_CONFIG", `reading "${patchPath}"`, {
      cause: err,
      hint: `point --from at the directory "talosctl-oidc kube setup --output-dir" wrote`,
    });
  }
  const side: ClusterSide = { apiserver: readApiserverOidc(text, patchPath), source: patchPath };
  const binding = await Deno.readTextFile(`${dir}/${BINDING_FILE}`).catch(() => undefined);
  if (binding !== undefined) {
    const subjects = (parse(binding) as { subjects?: { kind?: string; name?: string }[] })?.subjects ?? [];
    side.bindingGroups = subjects.filter((s) => s.kind === "Group").map((s) => String(s.name));
  }
  return side;
}

/**
 * Hold a verified ID token's claims against kube-apiserver's rules for `side`; `scopes` are what login asks for.
 * Names each miss with its fix: issuer not https or not exactly `iss`, client id not in `aud`, `email_verified`
 * false with the email claim, the username claim missing, the groups claim missing (scope not requested), and the
 * binding's group not carrying the groups prefix.
 */
export function checkTokenForKube(claims: Record<string, unknown>, side: ClusterSide, scopes: string[]): CheckResult[] {
  const a = side.apiserver, out: CheckResult[] = [];
  const redo = `run "talosctl-oidc kube setup" with the right flags and apply the patch again`;
  out.push(
    a.issuer.startsWith("https://") ? ok("issuer", `"${a.issuer}" is https`) : fail(
      "issuer",
      `"${a.issuer}" is not https: kube-apiserver refuses to start with it`,
      "serve the IdP over https (a certificate the control plane trusts), then " + redo,
    ),
  );
  out.push(
    claims.iss === a.issuer ? ok("issuer match", `the token's "iss" equals the patch's issuer exactly`) : fail(
      "issuer match",
      `the token's "iss" is "${claims.iss}", the patch says "${a.issuer}" (compared byte for byte)`,
      redo,
    ),
  );
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  out.push(
    aud.some((x) => a.audiences.includes(String(x)))
      ? ok("audience", `"aud" holds ${a.audiences.map((x) => `"${x}"`).join(" or ")}`)
      : fail(
        "audience",
        `"aud" is ${JSON.stringify(claims.aud)}, none of ${JSON.stringify(a.audiences)}`,
        `use the same --client-id for login and kube setup, or ${redo}`,
      ),
  );
  out.push(...usernameChecks(claims, a));
  out.push(...groupChecks(claims, side, scopes));
  return out;
}

function usernameChecks(claims: Record<string, unknown>, a: ApiserverOidc): CheckResult[] {
  const name = claims[a.usernameClaim];
  if (typeof name !== "string") {
    return [
      fail(
        "username",
        `the token has no string "${a.usernameClaim}" claim`,
        `pick a claim the token has with kube setup --username-claim (e.g. sub), or request the scope that releases it`,
      ),
    ];
  }
  if (a.usernameClaim === "email" && claims.email_verified === false) {
    return [
      fail(
        "username",
        `"email_verified" is false: kube-apiserver refuses the token ("oidc: email not verified")`,
        `verify the email address at the IdP (Pocket ID: the user's profile), or use --username-claim sub`,
      ),
    ];
  }
  return [ok("username", `kube-apiserver sees user "${a.usernamePrefix}${name}"`)];
}

function groupChecks(claims: Record<string, unknown>, side: ClusterSide, scopes: string[]): CheckResult[] {
  const a = side.apiserver, out: CheckResult[] = [];
  if (!a.groupsClaim) {
    return [warn("groups", "no groups claim is mapped: RBAC can only name users", `kube setup --groups-claim groups`)];
  }
  const raw = claims[a.groupsClaim];
  const groups = typeof raw === "string" ? [raw] : Array.isArray(raw) ? raw.map(String) : undefined;
  if (!groups) {
    const scopeFix = scopes.includes(a.groupsClaim)
      ? `make the IdP put "${a.groupsClaim}" into the ID token (client or scope mapping)`
      : `add "${a.groupsClaim}" to --scopes of login and kube setup, then log in again (many IdPs release it only for that scope)`;
    out.push(
      fail(
        "groups",
        `the token has no "${a.groupsClaim}" claim${
          scopes.includes(a.groupsClaim) ? "" : ` (scope "${a.groupsClaim}" not requested)`
        }`,
        scopeFix,
      ),
    );
  } else {
    out.push(
      ok("groups", `kube-apiserver sees groups ${groups.map((g) => `"${a.groupsPrefix}${g}"`).join(", ") || "(none)"}`),
    );
  }
  for (const g of side.bindingGroups ?? []) {
    if (!g.startsWith(a.groupsPrefix)) {
      out.push(
        fail(
          "binding",
          `the ClusterRoleBinding names group "${g}", but kube-apiserver puts "${a.groupsPrefix}" in front of every group`,
          `name "${a.groupsPrefix}${g}" in the binding (kube setup --admin-group does), or use the same --prefix`,
        ),
      );
    } else if (groups && !groups.some((x) => a.groupsPrefix + x === g)) {
      out.push(
        warn(
          "binding",
          `the ClusterRoleBinding's group "${g}" is not one of yours`,
          `ask to be added to "${g.slice(a.groupsPrefix.length)}" at the IdP, or bind a group you are in`,
        ),
      );
    } else if (groups) out.push(ok("binding", `you are in "${g}" (cluster-admin)`));
  }
  return out;
}
