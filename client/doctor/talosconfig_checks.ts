/** @module Doctor checks on the talosconfig: it parses, it is private (0600), the context exists, its certificate works. */

import { FORBIDDEN_ROLE } from "../../shared/roles.ts";
import { certValidFor, readContextCert } from "../talosconfig/cert.ts";
import { contextNames, currentContext, getContext, readTalosconfig } from "../talosconfig/read.ts";
import { type CheckResult, type DoctorInputs, fail, humanDuration, ok, skip, warn } from "./types.ts";

/** Renew hint threshold: less than this left on the certificate is a warning. */
const SOON_MS = 60_000;

/** talosconfig parse, permissions, context and certificate, in that order (later ones skip when earlier fail). */
export async function checkTalosconfig(inputs: DoctorInputs): Promise<CheckResult[]> {
  const path = inputs.talosconfigPath;
  let loaded;
  try {
    loaded = await readTalosconfig(path);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return [fail("talosconfig", why, `fix the file by hand, or move it away and run: ${inputs.loginHint}`)];
  }
  if (!loaded.exists) {
    return [fail("talosconfig", `"${path}" does not exist`, `run: ${inputs.loginHint}`)];
  }
  const out: CheckResult[] = [
    ok("talosconfig", `"${path}" parses (${plural(contextNames(loaded.doc).length, "context")})`),
  ];
  out.push(await checkPermissions(path));

  const name = inputs.contextName ?? currentContext(loaded.doc);
  if (!name) {
    out.push(fail("context", "no context selected and the talosconfig has no current context", "pass --context NAME"));
    return out;
  }
  const view = getContext(loaded.doc, name);
  if (!view) {
    const names = contextNames(loaded.doc);
    out.push(
      fail(
        "context",
        `context "${name}" is not in "${path}"${names.length ? ` (has: ${names.join(", ")})` : ""}`,
        `run: ${inputs.loginHint}`,
      ),
    );
    return out;
  }
  const current = currentContext(loaded.doc) === name;
  const where = `${plural(view.endpoints.length, "endpoint")}, ${plural(view.nodes.length, "node")}`;
  out.push(
    view.endpoints.length === 0
      ? fail("context", `context "${name}" has no endpoints`, `run: ${inputs.loginHint}`)
      : current || inputs.contextName
      ? ok("context", `context "${name}" found (${where}${current ? ", current" : ""})`)
      : ok("context", `context "${name}" found (${where})`),
  );
  if (view.nodes.length === 0 && view.endpoints.length > 0) {
    out.push(
      warn(
        "nodes",
        `context "${name}" has no nodes: talosctl needs -n/--nodes on every call`,
        `talosctl config nodes <ip>`,
      ),
    );
  }
  out.push(checkCertificate(loaded.doc, name, inputs));
  return out;
}

async function checkPermissions(path: string): Promise<CheckResult> {
  if (Deno.build.os === "windows") return skip("permissions", "file modes are not checked on Windows");
  const mode = (await Deno.stat(path)).mode;
  if (mode === null) return skip("permissions", "file mode unknown");
  const perm = mode & 0o777;
  if ((perm & 0o077) === 0) return ok("permissions", `"${path}" is ${octal(perm)}`);
  return warn(
    "permissions",
    `"${path}" is ${octal(perm)}: other users can read the private keys in it`,
    `chmod 600 ${shellQuote(path)}`,
  );
}

function checkCertificate(doc: Parameters<typeof readContextCert>[0], name: string, inputs: DoctorInputs): CheckResult {
  let info;
  try {
    info = readContextCert(doc, name);
  } catch (err) {
    return fail("certificate", err instanceof Error ? err.message : String(err), `run: ${inputs.loginHint}`);
  }
  if (!info) return fail("certificate", `context "${name}" has no client certificate`, `run: ${inputs.loginHint}`);
  const now = inputs.clock.now();
  const roles = info.roles.length ? info.roles.join(", ") : "none";
  if (info.roles.length === 0) {
    return fail(
      "certificate",
      `the certificate carries no roles (Subject O): apid denies every call`,
      "ask your admin to check the RBAC rules",
    );
  }
  if (info.roles.includes(FORBIDDEN_ROLE)) {
    return warn(
      "certificate",
      `the certificate carries ${FORBIDDEN_ROLE}: it can claim any role`,
      "talosctl-oidc never issues it; this certificate came from elsewhere",
    );
  }
  if (now < info.notBefore) {
    return fail(
      "certificate",
      `the certificate is not valid for another ${
        humanDuration(info.notBefore.getTime() - now.getTime())
      } (roles ${roles}): is this clock behind?`,
      "sync the clock (apid has no clock-skew tolerance)",
    );
  }
  if (!certValidFor(info, now)) {
    return fail(
      "certificate",
      `the certificate expired ${
        humanDuration(now.getTime() - info.notAfter.getTime())
      } ago (${info.notAfter.toISOString()}; roles ${roles})`,
      `run: ${inputs.loginHint}`,
    );
  }
  const left = humanDuration(info.notAfter.getTime() - now.getTime());
  if (!certValidFor(info, now, SOON_MS)) {
    return warn("certificate", `the certificate expires in ${left} (roles ${roles})`, `run: ${inputs.loginHint}`);
  }
  return ok("certificate", `valid for ${left} more, roles ${roles}${info.commonName ? `, CN ${info.commonName}` : ""}`);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function octal(n: number): string {
  return "0" + n.toString(8).padStart(3, "0");
}

/** Quote a path for a copy-pasted shell command. */
function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
