/** @module The Deno permissions every build runs with (binaries, bundle, and kube setup's plugin command). */

/**
 * Permissions baked into the binary (and used for the bundle's smoke run). No prompts: a compiled binary
 * must not stop to ask.
 * - net: the server listens and fetches the IdP's discovery/JWKS; the client talks to the IdP and the
 *   exchange server and runs the loopback callback listener (RFC 8252).
 * - read: config file, CA certificate/key, TLS files, data_dir, talosconfig, token cache.
 * - write: data_dir (self-signed TLS material), audit/cert logs, talosconfig and token cache (atomic writes).
 * - env: TALOSCTL_OIDC_* settings, HOME, XDG_* dirs, TALOSCONFIG and TALOS_HOME for paths, KUBECONFIG and
 *   KUBERNETES_EXEC_INFO (kube setup, kube token), DEBUG, NO_COLOR.
 * - run: the client opens the browser (xdg-open/open/rundll32 or --browser-command) and reaches the OS
 *   keychain through its CLI (secret-tool/security).
 * - sys: node:os (hostname, homedir, release) used by the client and npm dependencies; read-only facts.
 * No --allow-ffi, no --allow-import: nothing is loaded from outside the binary.
 */
export const PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-sys",
  "--no-prompt",
];
