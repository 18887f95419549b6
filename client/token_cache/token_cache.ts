/**
 * @module The token cache: OS keychain first (service `talosctl-oidc`, account = context), else the 0600 token file.
 *
 * Entries are keyed by context but only returned when their issuer and client id match the caller's (a context
 * re-pointed at another IdP never reuses the old IdP's tokens). When both stores hold a matching entry the one that
 * expires later wins; a successful keychain write deletes the context's plaintext file entry.
 */

import { dirname, join } from "../../shared/path.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import type { Logger } from "../../shared/log.ts";
import type { CacheBackend, CachedToken, CacheKey } from "../types.ts";
import type { FileLock, FileLockOptions } from "../file_lock.ts";
import { type Env, type Os, tokenCachePath } from "../paths.ts";
import { type FileStore, fileStore } from "./file_store.ts";
import { defaultKeychain, isKeychainOff, type KeychainBackend } from "./keychain.ts";
import { parseToken, sameIssuer, serializeToken, tokenExpiry } from "./token.ts";

export interface TokenCacheOptions {
  env: Env;
  logger: Logger;
  /** The keychain to use; undefined = this OS's default (see defaultKeychain), null = token file only. */
  keychain?: KeychainBackend | null;
  /** Token file path (default `<user config dir>/talosctl-oidc/tokens.json`). */
  filePath?: string;
  os?: Os;
}

/** What `status` shows about where tokens live. */
export interface CacheDescription {
  backend: CacheBackend;
  /** The keychain backend's name, or null when none is configured for this OS. */
  keychain: string | null;
  /** Why the keychain is not used, when it is not. */
  keychainProblem?: string;
  filePath: string;
}

/** The token cache on this machine: the OS keychain when it works, else a 0600 file; one lock per key. */
export interface LocalTokenCache {
  /** Which backend is in use ("keychain" when the OS keychain works, else "file"). */
  backend(): Promise<CacheBackend>;
  /**
   * The cached token for this context, or null. Entries for another issuer/client are ignored. `log` (default the
   * cache's logger) takes what the read has to say: kube token's read without the lock holds it back (heldLogger).
   */
  get(key: CacheKey, log?: Logger): Promise<CachedToken | null>;
  put(key: CacheKey, token: CachedToken): Promise<void>;
  /** Remove from keychain and file; returns which backends had something. */
  delete(context: string): Promise<CacheBackend[]>;
  readonly filePath: string;
  describe(): Promise<CacheDescription>;
  /**
   * The entry for `context` whatever its issuer and client (for status and logout, which do not know them):
   * the later-expiring of the keychain and file entries, with where it came from.
   */
  peek(context: string): Promise<{ token: CachedToken; backend: CacheBackend } | null>;
  /** Lock for read-refresh-write of one key, so two logins never refresh (and rotate) the same token at once. */
  lock(key: CacheKey, options?: FileLockOptions): Promise<FileLock>;
}

/** Build the token cache. Nothing is probed or read until a method is called. */
export function createTokenCache(options: TokenCacheOptions): LocalTokenCache {
  return new TokenCache(options);
}

/**
 * A class rather than closures in createTokenCache: a method is compiled when first called, so `kube token` answering
 * from the cache (kubectl's every command) compiles get() and not put(), delete() or lock().
 */
class TokenCache implements LocalTokenCache {
  readonly filePath: string;
  readonly #logger: Logger;
  readonly #file: FileStore;
  readonly #keychain: KeychainBackend | null;
  /** TALOSCTL_OIDC_KEYCHAIN=off chooses the file on purpose: say so only with -v, as it is no surprise. */
  readonly #onPurpose: boolean;
  #probed: Promise<string | null> | undefined;
  #warned = false;

  constructor(options: TokenCacheOptions) {
    this.#logger = options.logger;
    this.filePath = options.filePath ?? tokenCachePath(options.env, options.os);
    this.#file = fileStore(this.filePath);
    this.#keychain = options.keychain === undefined ? defaultKeychain(options.env, options.os) : options.keychain;
    this.#onPurpose = options.keychain === undefined && isKeychainOff(options.env);
  }

  async backend(): Promise<CacheBackend> {
    return (await this.#usable()) ? "keychain" : "file";
  }

  async describe(): Promise<CacheDescription> {
    const why = await this.#problem();
    return {
      backend: why === null ? "keychain" : "file",
      keychain: this.#keychain?.name ?? null,
      ...(why === null ? {} : { keychainProblem: why }),
      filePath: this.filePath,
    };
  }

  async get(key: CacheKey, log: Logger = this.#logger): Promise<CachedToken | null> {
    const found = await this.#entries(key.context, log);
    const matching = found.filter(({ token: t }) => sameIssuer(t.issuer, key.issuer) && t.client_id === key.clientId);
    if (matching.length < found.length) log.debug("ignoring cached tokens of another issuer or client");
    return best(matching)?.token ?? null;
  }

  async peek(context: string): Promise<{ token: CachedToken; backend: CacheBackend } | null> {
    return best(await this.#entries(context));
  }

  async put(key: CacheKey, token: CachedToken): Promise<void> {
    const value: CachedToken = {
      ...token,
      issuer: key.issuer,
      client_id: key.clientId,
      ...(key.scopes ? { scopes: [...key.scopes] } : {}),
    };
    if (await this.#usable()) {
      try {
        await this.#keychain!.set(key.context, serializeToken(value));
        if (await this.#fileHas()) await this.#file.update((e) => void delete e[key.context]);
        this.#logger.debug(`token cached in ${this.#keychain!.name}`);
        return;
      } catch (err) {
        if (isTalosOidcError(err) && err.code !== "ERR_TOKEN_CACHE") throw err;
        this.#warnFallback(`storing failed: ${describe(err)}`);
      }
    } else this.#warnFallback((await this.#problem()) ?? "unknown");
    await this.#file.update((e) => void (e[key.context] = value));
    this.#logger.debug(`token cached in ${this.filePath}`);
  }

  async delete(context: string): Promise<CacheBackend[]> {
    const removed: CacheBackend[] = [];
    if (await this.#usable()) {
      try {
        if (await this.#keychain!.delete(context)) removed.push("keychain");
      } catch (err) {
        this.#logger.warn(`removing the token from the OS keychain failed (${describe(err)})`);
      }
    }
    if (await this.#fileHas()) {
      let had = false;
      await this.#file.update((e) => {
        had = context in e;
        delete e[context];
      });
      if (had) removed.push("file");
    }
    return removed;
  }

  async lock(key: CacheKey, lockOptions?: FileLockOptions): Promise<FileLock> {
    await Deno.mkdir(dirname(this.filePath), { recursive: true, mode: 0o700 });
    // WebCrypto, not node:crypto: loading node:crypto costs every `kube token` run (kubectl's every command) ~15 ms.
    const digest = await crypto.subtle.digest(
      "SHA-256",
      new TextEncoder().encode(`${key.issuer}\n${key.clientId}\n${key.context}`),
    );
    const id = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
    // Loaded only to lock: kube token answering from the cache reads it without the lock (client/login/id_token.ts).
    const { acquireFileLock } = await import("../file_lock.ts");
    return await acquireFileLock(join(dirname(this.filePath), `refresh-${id.slice(0, 16)}`), {
      what: `token refresh for context "${key.context}"`,
      ...lockOptions,
    });
  }

  #problem(): Promise<string | null> {
    const keychain = this.#keychain;
    return this.#probed ??= keychain
      ? keychain.probe().catch((err) => `probe failed: ${err instanceof Error ? err.message : String(err)}`)
      : Promise.resolve("no OS keychain support on this platform, or disabled by TALOSCTL_OIDC_KEYCHAIN");
  }

  async #usable(): Promise<boolean> {
    return this.#keychain !== null && (await this.#problem()) === null;
  }

  #warnFallback(why: string): void {
    if (this.#warned) return;
    this.#warned = true;
    const where = `caching tokens in "${this.filePath}" (mode 0600)`;
    if (this.#onPurpose) this.#logger.debug(`TALOSCTL_OIDC_KEYCHAIN is off; ${where}`);
    else this.#logger.warn(`OS keychain unavailable (${why}); ${where}`);
  }

  async #fileHas(): Promise<boolean> {
    try {
      await Deno.lstat(this.filePath);
      return true;
    } catch {
      return false;
    }
  }

  async #entries(context: string, log: Logger = this.#logger): Promise<Found[]> {
    const found: Found[] = [];
    if (await this.#usable()) {
      try {
        const t = parseToken(await this.#keychain!.get(context));
        if (t) found.push({ token: t, backend: "keychain" });
      } catch (err) {
        log.warn(`reading the OS keychain failed; trying the token file (${describe(err)})`);
      }
    }
    const fromFile = parseToken((await this.#file.read())[context]);
    if (fromFile) found.push({ token: fromFile, backend: "file" });
    return found;
  }
}

interface Found {
  token: CachedToken;
  backend: CacheBackend;
}

/** The entry that expires last; on a tie the keychain entry (listed first) stays. */
function best(found: Found[]): Found | null {
  const exp = (f: Found) => tokenExpiry(f.token)?.getTime() ?? -Infinity;
  return found.reduce<Found | null>((b, f) => b === null || exp(f) > exp(b) ? f : b, null);
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : "";
  return `${err.message}${cause}`;
}
