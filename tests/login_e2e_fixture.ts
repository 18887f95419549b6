/** @module Shared setup for the login end-to-end tests: real IdP, real exchange server, temp HOME, CLI args. */

import { join } from "node:path";
import { startTestIdp, type TestIdp, type TestIdpOptions } from "./helpers/idp.ts";
import { USERS_RBAC } from "./helpers/idp_users.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { makeHome } from "./helpers/cli.ts";
import { decodeBase64Pem } from "../client/talosconfig/cert.ts";
import { getContext, readTalosconfig } from "../client/talosconfig/read.ts";
import { startFakeApid } from "./helpers/apid.ts";
import { callApid } from "./helpers/apid.ts";

export interface LoginWorld extends AsyncDisposable {
  idp: TestIdp;
  server: TestServer;
  home: string;
  talosconfig: string;
  /** Flags every login needs; append more per test. */
  args(...extra: string[]): string[];
  /** Call the fake apid over mTLS with context `name` of the written talosconfig. */
  callApidAs(name?: string, path?: string): Promise<unknown>;
}

export async function startLoginWorld(idpOptions: TestIdpOptions = {}): Promise<LoginWorld> {
  const idp = await startTestIdp(idpOptions);
  const server = await startTestServer({ idp, config: { rbac: USERS_RBAC } });
  const home = await makeHome();
  const caFile = join(home.path, "server-ca.pem");
  await Deno.writeTextFile(caFile, server.tlsCaPem!);
  const talosconfig = join(home.path, ".talos", "config");
  return {
    idp,
    server,
    home: home.path,
    talosconfig,
    args: (...extra) => [
      "login",
      ...["--provider", idp.issuer, "--client-id", idp.clientId, "--server", server.url, "--server-ca", caFile],
      ...["--callback-port", "0", "--scopes", "openid,email,groups,offline_access"],
      ...extra,
    ],
    async callApidAs(name = "oidc", path = talosconfig) {
      const ctx = getContext((await readTalosconfig(path)).doc, name);
      if (!ctx?.crt || !ctx.key || !ctx.ca) throw new Error(`context "${name}" has no credentials`);
      await using apid = await startFakeApid({ caPem: decodeBase64Pem(ctx.ca), caKeyPem: server.devCa.keyPem });
      return await callApid(apid, { certPem: decodeBase64Pem(ctx.crt), keyPem: decodeBase64Pem(ctx.key) });
    },
    async [Symbol.asyncDispose]() {
      await server.close();
      await idp.close();
      await home[Symbol.asyncDispose]();
    },
  };
}

/** A talosconfig a user already has: another cluster, comments, keys we do not know. */
export const EXISTING_TALOSCONFIG = `# my clusters — keep this comment
context: prod
contexts:
  prod:
    endpoints:
      - 10.0.0.1 # the VIP
    nodes: [10.0.0.2]
    ca: Y2E=
    crt: Y3J0
    key: a2V5
    auth:
      siderov1:
        identity: me@example.com
`;
