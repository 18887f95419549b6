/**
 * @module A scriptable "browser" that really follows the IdP's redirects and forms, for `--browser-command`.
 *
 * Run as a command: `deno run -A tests/helpers/browser_walker.ts <url>` with WALKER_USER / WALKER_PASSWORD
 * (default alice/alice). Or call `walkLogin(url, user, password)` in-process. For device flow, call
 * `walkDeviceLogin(verificationUriComplete, user, password)`.
 */

export interface WalkResult {
  /** The last URL fetched (the loopback callback for auth code flows). */
  finalUrl: string;
  status: number;
  body: string;
}

class CookieJar {
  #cookies = new Map<string, Map<string, string>>();
  store(url: URL, headers: Headers): void {
    for (const c of headers.getSetCookie()) {
      const [pair] = c.split(";");
      const eq = pair!.indexOf("=");
      const jar = this.#cookies.get(url.host) ?? new Map();
      jar.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
      this.#cookies.set(url.host, jar);
    }
  }
  header(url: URL): string {
    return [...(this.#cookies.get(url.host) ?? new Map()).entries()].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

async function go(
  jar: CookieJar,
  start: string,
  init: { method?: string; body?: string; client?: Deno.HttpClient } = {},
): Promise<{ url: URL; res: Response; body: string }> {
  let url = new URL(start);
  let method = init.method ?? "GET";
  let body = init.body;
  for (let hop = 0; hop < 20; hop++) {
    const headers: Record<string, string> = { cookie: jar.header(url) };
    if (body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
    const res = await fetch(url, {
      method,
      body,
      headers,
      redirect: "manual",
      ...(init.client ? { client: init.client } : {}),
    });
    jar.store(url, res.headers);
    const loc = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && loc) {
      await res.body?.cancel();
      url = new URL(loc, url);
      method = "GET";
      body = undefined;
      continue;
    }
    return { url, res, body: await res.text() };
  }
  throw new Error(`too many redirects from ${start}`);
}

function formAction(html: string, base: URL): { action: URL; fields: Record<string, string> } | undefined {
  const form = html.match(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i);
  if (!form) return undefined;
  const fields: Record<string, string> = {};
  for (const [tag] of form[2]!.matchAll(/<input\b[^>]*>/gi)) {
    const name = tag.match(/\bname="([^"]*)"/i)?.[1];
    if (name) fields[name] = (tag.match(/\bvalue="([^"]*)"/i)?.[1] ?? "").replace(/&amp;/g, "&");
  }
  return { action: new URL(form[1]!.replace(/&amp;/g, "&"), base), fields };
}

/**
 * Follow an authorization URL through the test IdP's login page to the redirect target. `callbackCaPem`: a CA to
 * trust besides the system's (an https:// loopback callback with a self-signed certificate).
 */
export function walkLogin(
  authUrl: string,
  user = "alice",
  password = user,
  callbackCaPem?: string,
): Promise<WalkResult> {
  return walkWith(new CookieJar(), authUrl, user, password, callbackCaPem);
}

/** A browser that keeps its cookies between logins, so the IdP's session outlives one sign-in (as a real one's). */
export interface BrowserSession {
  /** Follow `authUrl`, signing in as `user` only if the IdP shows its login page; `loginPages` counts those. */
  walk(authUrl: string, user?: string): Promise<WalkResult>;
  /** How many times the IdP showed its sign-in page. */
  readonly loginPages: number;
}

export function browserSession(): BrowserSession {
  const jar = new CookieJar();
  let loginPages = 0;
  return {
    walk: (url, user = "alice") => walkWith(jar, url, user, user, undefined, () => loginPages++),
    get loginPages() {
      return loginPages;
    },
  };
}

async function walkWith(
  jar: CookieJar,
  authUrl: string,
  user: string,
  password: string,
  callbackCaPem?: string,
  onLoginPage?: () => void,
): Promise<WalkResult> {
  using client = callbackCaPem ? Deno.createHttpClient({ caCerts: [callbackCaPem] }) : undefined;
  const opt = client ? { client } : {};
  let page = await go(jar, authUrl, opt);
  for (let step = 0; step < 6; step++) {
    const f = formAction(page.body, page.url);
    if (!f) break;
    if (/\/interaction\//.test(page.url.pathname)) {
      onLoginPage?.();
      const form = new URLSearchParams({ ...f.fields, login: user, password });
      page = await go(jar, f.action.href, { method: "POST", body: form.toString(), ...opt });
    } else if (/document\.forms\[0\]\.submit\(\)/.test(page.body)) {
      // A page that submits itself with script (the IdP ends the old session when another user signs in over it).
      page = await go(jar, f.action.href, { method: "POST", body: new URLSearchParams(f.fields).toString(), ...opt });
    } else break;
  }
  return { finalUrl: page.url.href, status: page.res.status, body: page.body };
}

/** Approve a device-flow login: open the complete verification URI, confirm, sign in. */
export async function walkDeviceLogin(verificationUri: string, user = "alice", password = user): Promise<WalkResult> {
  const jar = new CookieJar();
  let page = await go(jar, verificationUri);
  for (let step = 0; step < 6; step++) {
    const f = formAction(page.body, page.url);
    if (!f) break;
    const fields: Record<string, string> = { ...f.fields };
    if ("login" in fields) Object.assign(fields, { login: user, password });
    if ("confirm" in fields || /confirm/i.test(page.body)) fields.confirm = "yes";
    page = await go(jar, f.action.href, { method: "POST", body: new URLSearchParams(fields).toString() });
    if (/success|signed in|you can close/i.test(page.body) && !/\/interaction\//.test(page.url.pathname)) break;
  }
  return { finalUrl: page.url.href, status: page.res.status, body: page.body };
}

if (import.meta.main) {
  const url = Deno.args[0];
  if (!url) {
    console.error("usage: browser_walker.ts <authorization-url>");
    Deno.exit(2);
  }
  const user = Deno.env.get("WALKER_USER") ?? "alice";
  const r = await walkLogin(url, user, Deno.env.get("WALKER_PASSWORD") ?? user);
  Deno.exit(r.status < 400 ? 0 : 1);
}
