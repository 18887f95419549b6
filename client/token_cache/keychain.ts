/** @module The OS keychain seen as a tiny secret store, and the choice of backend for this OS. */

import type { Env, Os } from "../paths.ts";
import { macosKeychain } from "./macos.ts";
import { secretServiceKeychain } from "./secret_service.ts";
import { windowsCredentialManager } from "./windows.ts";

/** Service name every backend files our secrets under (same as the original tool). */
export const KEYCHAIN_SERVICE = "talosctl-oidc";

/** One OS keychain. Accounts are context names; secrets are compact JSON strings. */
export interface KeychainBackend {
  /** Shown by `status`, e.g. "secret-service (secret-tool)". */
  readonly name: string;
  /** null when the keychain can be used now, else a one-line reason it cannot. */
  probe(): Promise<string | null>;
  /** The secret, or null when there is none. */
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  /** True when something was deleted. */
  delete(account: string): Promise<boolean>;
}

/** The keychain backend for `os`, or null where there is none (then the token file is used). */
export function defaultKeychain(env: Env, os: Os = Deno.build.os): KeychainBackend | null {
  const off = env.TALOSCTL_OIDC_KEYCHAIN;
  if (off !== undefined && /^(0|false|no|off)$/i.test(off)) return null;
  if (os === "darwin") return macosKeychain(env);
  if (os === "windows") return windowsCredentialManager(env);
  if (os === "linux" || os === "freebsd" || os === "netbsd") return secretServiceKeychain(env);
  return null;
}

/** A helper's stderr, shortened to one line for messages (it never contains the secret: secrets go via stdin). */
export function oneLine(text: string): string {
  const line = text.split("\n").map((l) => l.trim()).filter(Boolean).pop() ?? "";
  return line.length > 160 ? line.slice(0, 157) + "..." : line;
}
