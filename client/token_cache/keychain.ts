/** @module The OS keychain seen as a tiny secret store, and the choice of backend for this OS. */

import type { Env, Os } from "../paths.ts";

/** Service name every backend files our secrets under (same as the original tool). */
export const KEYCHAIN_SERVICE = "talosctl-oidc";

/** What each backend is called in `status`, known before its module loads. */
export const KEYCHAIN_NAMES = Object.freeze({
  macos: "macOS keychain (security)",
  secretService: "secret-service (secret-tool)",
  windows: "windows credential manager (powershell)",
});

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

/**
 * The keychain backend for `os`, or null where there is none (then the token file is used). Its module loads on
 * first use: `kube token` answering from the token file (kubectl runs it for every command) loads none of them.
 */
export function defaultKeychain(env: Env, os: Os = Deno.build.os): KeychainBackend | null {
  if (isKeychainOff(env)) return null;
  if (os === "darwin") {
    return onFirstUse(KEYCHAIN_NAMES.macos, async () => (await import("./macos.ts")).macosKeychain(env));
  }
  if (os === "windows") {
    return onFirstUse(KEYCHAIN_NAMES.windows, async () => (await import("./windows.ts")).windowsCredentialManager(env));
  }
  if (os === "linux" || os === "freebsd" || os === "netbsd") {
    return onFirstUse(
      KEYCHAIN_NAMES.secretService,
      async () => (await import("./secret_service.ts")).secretServiceKeychain(env),
    );
  }
  return null;
}

/**
 * TALOSCTL_OIDC_KEYCHAIN is 0, false, no or off, in any case: the token file, on purpose. Compared in lower case, not
 * with a case-insensitive RegExp, whose first use costs `kube token` (kubectl's every command) ~0.1 ms.
 */
export function isKeychainOff(env: Env): boolean {
  const off = env.TALOSCTL_OIDC_KEYCHAIN?.toLowerCase();
  return off === "0" || off === "false" || off === "no" || off === "off";
}

/** A backend whose module is imported when one of its methods is first called. */
function onFirstUse(name: string, load: () => Promise<KeychainBackend>): KeychainBackend {
  let backend: Promise<KeychainBackend> | undefined;
  const use = () => backend ??= load();
  return {
    name,
    probe: async () => await (await use()).probe(),
    get: async (account) => await (await use()).get(account),
    set: async (account, secret) => await (await use()).set(account, secret),
    delete: async (account) => await (await use()).delete(account),
  };
}

/** A helper's stderr, shortened to one line for messages (it never contains the secret: secrets go via stdin). */
export function oneLine(text: string): string {
  const line = text.split("\n").map((l) => l.trim()).filter(Boolean).pop() ?? "";
  return line.length > 160 ? line.slice(0, 157) + "..." : line;
}
