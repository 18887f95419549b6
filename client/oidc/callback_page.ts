/** @module The small page the loopback callback answers the browser with: success or error, never cached. */

export interface PageOutcome {
  ok: boolean;
  /** One sentence for the user; plain text, escaped here. */
  message: string;
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

/** HTML for the browser tab. The success title matches the original tool's. */
export function renderCallbackPage(outcome: PageOutcome): string {
  const heading = outcome.ok ? "Authentication Successful" : "Authentication Failed";
  const hint = outcome.ok ? "You can now return to your terminal." : "Return to your terminal for details.";
  const close = outcome.ok ? "<script>setTimeout(() => window.close(), 3000)</script>" : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${heading} - talosctl-oidc</title>
<style>
:root { color-scheme: light dark; }
body { font-family: system-ui, sans-serif; display: grid; place-items: center; min-height: 90vh; margin: 0; }
main { max-width: 32rem; padding: 2rem; border-radius: 12px; border: 1px solid #8884; text-align: center; }
h1 { font-size: 1.4rem; color: ${outcome.ok ? "#1a7f37" : "#cf222e"}; }
</style></head>
<body><main id="${outcome.ok ? "success" : "failure"}">
<h1>${heading}</h1>
<p id="message">${escapeHtml(outcome.message)}</p>
<p>${hint}</p>
</main>${close}</body></html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
