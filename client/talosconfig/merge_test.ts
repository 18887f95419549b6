/** @module Tests for the pure talosconfig merge and remove. */

import { parseDocument } from "yaml";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../tests/helpers/assert.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import { encodePem, endpointHost, mergeContext, removeContext } from "./merge.ts";

const pem = (label: string, body = "AAAA") => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
const CREDS = {
  endpoints: ["10.0.0.9", "10.0.0.10:50000"],
  ca: pem("CERTIFICATE", "Q0E="),
  crt: pem("CERTIFICATE", "Q1JU"),
  key: pem("ED25519 PRIVATE KEY", "S0VZ"),
};

/** talosctl (go-yaml v3) style: 4-space indent, indented sequences, plus Omni keys and a comment. */
const TALOSCTL_STYLE = `context: prod
contexts:
    prod:
        endpoints:
            - 10.0.0.1
        nodes:
            - 10.0.0.1
        ca: LS0tQ0E=
        crt: LS0tQ1JU
        key: LS0tS0VZ
    omni:
        endpoints:
            - https://omni.example.com
        auth:
            siderov1:
                identity: alice@example.com
        cluster: prod
        proxy-url: http://proxy.internal:3128
# kept at the end
`;

/** Hand-written style: comments everywhere, flow lists, quotes, blank lines, unknown top-level keys. */
const HAND_STYLE = `# my talosconfig — do not lose this comment
context: prod   # the current one
contexts:
  prod:
    endpoints: [10.0.0.1, "10.0.0.2"]   # flow list
    ca: 'x'

  oidc:
    endpoints:
    - old.example.com
    auth: {siderov1: {identity: bob}}
    cluster: lab
unknown-top: {a: 1}
another:
  - nested: true
`;

function lines(text: string): string[] {
  return text.split("\n");
}

Deno.test("mergeContext() adds a new context and keeps every other byte of a talosctl-style file", () => {
  const out = mergeContext(TALOSCTL_STYLE, "oidc", CREDS);
  const unchanged = lines(TALOSCTL_STYLE).slice(1); // only "context:" changes
  const outLines = lines(out);
  assertEquals(outLines[0], "context: oidc");
  for (const l of unchanged.slice(0, -2)) assert(outLines.includes(l), `line lost: ${l}`);
  assert(out.startsWith("context: oidc\n" + TALOSCTL_STYLE.split("\n").slice(1, 18).join("\n") + "\n    oidc:\n"));
  assert(out.endsWith("# kept at the end\n"));
  const js = parseDocument(out).toJS();
  assertEquals(js.contexts.oidc.endpoints, CREDS.endpoints);
  assertEquals(js.contexts.oidc.nodes, ["10.0.0.9"]);
  assertEquals(js.contexts.oidc.key, encodePem(CREDS.key, "key"));
  assertEquals(js.contexts.omni.auth, { siderov1: { identity: "alice@example.com" } });
  assertStringIncludes(out, "        endpoints:\n            - 10.0.0.9\n            - 10.0.0.10:50000\n");
});

Deno.test("mergeContext() replaces only endpoints, ca, crt and key of an existing context and keeps its other keys", () => {
  const out = mergeContext(HAND_STYLE, "oidc", CREDS);
  const expected = HAND_STYLE.replace("context: prod   #", "context: oidc   #").replace(
    "    endpoints:\n    - old.example.com\n    auth: {siderov1: {identity: bob}}\n    cluster: lab\n",
    "    endpoints:\n    - 10.0.0.9\n    - 10.0.0.10:50000\n    auth: {siderov1: {identity: bob}}\n    cluster: lab\n" +
      `    nodes:\n    - 10.0.0.9\n    ca: ${encodePem(CREDS.ca, "ca")}\n    crt: ${encodePem(CREDS.crt, "crt")}\n` +
      `    key: ${encodePem(CREDS.key, "key")}\n`,
  );
  assertEquals(out, expected);
});

Deno.test("mergeContext() keeps the user's nodes of an existing context unless nodesOverride is given", () => {
  const kept = parseDocument(mergeContext(TALOSCTL_STYLE, "prod", { ...CREDS, nodes: ["10.9.9.9"] })).toJS();
  assertEquals(kept.contexts.prod.nodes, ["10.0.0.1"]);
  const over = parseDocument(mergeContext(TALOSCTL_STYLE, "prod", { ...CREDS, nodesOverride: ["n1", "n2"] })).toJS();
  assertEquals(over.contexts.prod.nodes, ["n1", "n2"]);
  const server = parseDocument(mergeContext("", "new", { ...CREDS, nodes: ["10.1.1.1"] })).toJS();
  assertEquals(server.contexts.new.nodes, ["10.1.1.1"]);
});

Deno.test("mergeContext() writes base64 of the PEM with padding and no line wraps", () => {
  const longPem = pem("CERTIFICATE", "A".repeat(64).concat("\n").repeat(40).trim());
  const out = mergeContext("", "oidc", { ...CREDS, crt: longPem });
  const crtLine = lines(out).find((l) => l.trimStart().startsWith("crt: "))!;
  const value = crtLine.trim().slice(5);
  assertEquals(new TextDecoder().decode(Uint8Array.from(atob(value), (c) => c.charCodeAt(0))), longPem.trim() + "\n");
  assert(/^[A-Za-z0-9+/]+={0,2}$/.test(value));
});

Deno.test("mergeContext() starts a new file, keeps a comment-only file's comments, and fills contexts: {}", () => {
  assertEquals(parseDocument(mergeContext("", "oidc", CREDS)).toJS().context, "oidc");
  assert(mergeContext("# hello\n", "oidc", CREDS).startsWith("# hello\ncontext: oidc\n"));
  const out = mergeContext('context: ""\ncontexts: {}\n', "oidc", CREDS);
  assertEquals(Object.keys(parseDocument(out).toJS().contexts), ["oidc"]);
});

Deno.test("mergeContext() falls back to the Document API for flow-style maps and still keeps every key", () => {
  const src = "{context: a, contexts: {a: {endpoints: [x], auth: {basic: {username: u}}}}, extra: 1}\n";
  const js = parseDocument(mergeContext(src, "oidc", CREDS)).toJS();
  assertEquals(js.extra, 1);
  assertEquals(js.contexts.a.auth, { basic: { username: "u" } });
  assertEquals(js.context, "oidc");
});

Deno.test("mergeContext() quotes context names that YAML would misread", () => {
  for (const name of ["yes", "123", "a: b", "#x"]) {
    const js = parseDocument(mergeContext(TALOSCTL_STYLE, name, CREDS)).toJS();
    assertEquals(js.context, name);
    assert(js.contexts[name], name);
  }
});

Deno.test("mergeContext() refuses empty endpoints and non-PEM credentials", async () => {
  for (const bad of [{ ...CREDS, endpoints: [] }, { ...CREDS, key: "" }, { ...CREDS, crt: "bm90IHBlbQ==" }]) {
    await assertRejects(() => Promise.resolve().then(() => mergeContext("", "oidc", bad)), (e) => {
      assert(isTalosOidcError(e, "ERR_TALOSCONFIG"));
    });
  }
});

Deno.test("removeContext() removes only that context and clears context: when it was current", () => {
  const r = removeContext(TALOSCTL_STYLE, "prod");
  assertEquals(r.removed, true);
  assertEquals(r.wasCurrent, true);
  assertEquals(r.text, 'context: ""\ncontexts:\n' + TALOSCTL_STYLE.split("\n").slice(10).join("\n"));
  const other = removeContext(HAND_STYLE, "oidc");
  assertEquals(other.wasCurrent, false);
  assertEquals(
    other.text,
    HAND_STYLE.replace("  oidc:\n    endpoints:\n    - old.example.com\n    auth: {siderov1: {identity: bob}}\n", "")
      .replace("    cluster: lab\n", ""),
  );
});

Deno.test("removeContext() leaves contexts: {} after the last context and reports a missing one", () => {
  const r = removeContext("context: a\ncontexts:\n  a:\n    endpoints: [x]\n# c\n", "a");
  assertEquals(r.text, 'context: ""\ncontexts: {}\n# c\n');
  const none = removeContext(TALOSCTL_STYLE, "nope");
  assertEquals(none, { text: TALOSCTL_STYLE, removed: false, wasCurrent: false });
});

Deno.test("endpointHost() strips scheme, port and IPv6 brackets", () => {
  assertEquals(endpointHost("10.0.0.1:50000"), "10.0.0.1");
  assertEquals(endpointHost("[fd00::1]:50000"), "fd00::1");
  assertEquals(endpointHost("fd00::1"), "fd00::1");
  assertEquals(endpointHost("https://omni.example.com:443/x"), "omni.example.com");
});

Deno.test("mergeContext() fills an empty context entry in place and keeps CRLF line endings", () => {
  const src = "context: a\ncontexts:\n  oidc:\n  a:\n    endpoints: [ x ]  # odd spacing kept\n";
  const out = mergeContext(src, "oidc", CREDS);
  assert(out.endsWith("  a:\n    endpoints: [ x ]  # odd spacing kept\n"), out);
  assertEquals(parseDocument(out).toJS().contexts.oidc.endpoints, CREDS.endpoints);
  const crlf = mergeContext("context: a\r\ncontexts:\r\n  a:\r\n    endpoints:\r\n      - x\r\n", "oidc", CREDS);
  assert(!/[^\r]\n/.test(crlf), "a bare LF was written into a CRLF file");
});
