/** @module The small page the loopback callback answers the browser with: success or error, never cached. */

export interface PageOutcome {
  ok: boolean;
  /** One sentence for the user; plain text, escaped here. */
  message: string;
  /** The heading instead of "Authentication Successful" / "Authentication Failed". */
  heading?: string;
  /** What to do about it (the terminal's `hint:`), shown below; plain text, line breaks kept. */
  hint?: string;
}

/** Headers for every callback answer: no caching, no referrer (the URL held a code), no framing. */
export const CALLBACK_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "pragma": "no-cache",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'",
  "connection": "close",
});

/**
 * The look of every page a person meets while signing in: this callback page, and the demo IdP's sign-in and device
 * pages (tests/helpers/idp_pages.ts), so that the demo reads as one product. No external resources (the CSP allows
 * none), light and dark.
 */
export const PAGE_STYLE = `:root { color-scheme: light dark; }
body { font-family: system-ui, sans-serif; display: grid; place-items: center; min-height: 90vh; margin: 0; }
main { max-width: 34rem; padding: 2rem; border-radius: 12px; border: 1px solid #8884; text-align: center; }
h1 { font-size: 1.4rem; }
#hint { white-space: pre-wrap; text-align: left; font-size: 0.9rem; }
form { display: grid; gap: 0.75rem; text-align: left; margin: 1rem 0; }
label { display: grid; gap: 0.25rem; }
input { font: inherit; padding: 0.45rem 0.6rem; border-radius: 6px; border: 1px solid #8888; }
button { font: inherit; padding: 0.5rem; border-radius: 6px; border: 0; background: #0969da; color: #fff; }
button[value="no"], button.secondary { background: transparent; color: inherit; border: 1px solid #8888; }
.error { color: #cf222e; }
ul { text-align: left; }`;

/** HTML for the browser tab. The success title matches the original tool's. */
export function renderCallbackPage(outcome: PageOutcome): string {
  const heading = outcome.heading ?? (outcome.ok ? "Authentication Successful" : "Authentication Failed");
  const next = outcome.ok ? "You can now return to your terminal." : "Return to your terminal for details.";
  const close = outcome.ok ? "<script>setTimeout(() => window.close(), 3000)</script>" : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(heading)} - talosctl-oidc</title>
<style>
${PAGE_STYLE}
h1 { color: ${outcome.ok ? "#1a7f37" : "#cf222e"}; }
</style></head>
<body><main id="${outcome.ok ? "success" : "failure"}">
<h1>${escapeHtml(heading)}</h1>
<p id="message">${escapeHtml(outcome.message)}</p>
${outcome.hint ? `<p id="hint">${escapeHtml(outcome.hint)}</p>\n` : ""}<p>${next}</p>
</main>${close}</body></html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
