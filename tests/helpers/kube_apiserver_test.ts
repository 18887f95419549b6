/** @module The kube-apiserver stand-in, checked with the real kubectl and tokens minted by the real test IdP. */

import { stringify } from "yaml";
import { assert, assertEquals, assertMatch, assertStringIncludes, assertThrows } from "./assert.ts";
import { startTestIdp, type TestIdp } from "./idp.ts";
import { startKubeApiserver } from "./kube_apiserver.ts";
import { readAuthenticator } from "./kube_authn.ts";
import { kubectl, requireKubectl, writeTokenKubeconfig } from "./kubectl.ts";
import { makeHome } from "./cli.ts";

function structured(idp: TestIdp, username = { claim: "email", prefix: "oidc:" }): string {
  return stringify({
    apiVersion: "v1alpha1",
    kind: "KubeAuthenticationConfig",
    configuration: {
      jwt: [{
        issuer: { url: idp.issuer, audiences: [idp.clientId] },
        claimMappings: { username, groups: { claim: "groups", prefix: "oidc:" } },
      }],
    },
  });
}

async function whoami(doc: string, token: string) {
  await using home = await makeHome();
  await using api = await startKubeApiserver({ talosDocument: doc, allowHttpIssuer: true });
  const kubeconfig = await writeTokenKubeconfig(home.path, api.clusterEntry("standin"), token);
  const r = await kubectl(["auth", "whoami", "-o", "json"], { kubeconfig, home: home.path });
  return { ...r, log: api.requests };
}

Deno.test("kubectl auth whoami through the stand-in shows the prefixed user and groups of a valid token", async () => {
  await requireKubectl();
  await using idp = await startTestIdp();
  const token = await idp.mint({ email: "alice@example.com", email_verified: true, groups: ["devs", "ops"] });
  const r = await whoami(structured(idp), token);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(JSON.parse(r.stdout).status.userInfo, {
    username: "oidc:alice@example.com",
    groups: ["oidc:devs", "oidc:ops", "system:authenticated"],
  });
  assertEquals(r.log.at(-1)?.path, "/apis/authentication.k8s.io/v1/selfsubjectreviews");
});

Deno.test("the stand-in refuses what kube-apiserver refuses, and kubectl reports Unauthorized", async () => {
  await requireKubectl();
  await using idp = await startTestIdp();
  const now = Math.floor(Date.now() / 1000);
  const cases: [Record<string, unknown>, RegExp, object?][] = [
    [{ email: "a@x", email_verified: false }, /email not verified/],
    [{ email: "a@x", aud: "someone-else" }, /expected audience/],
    [{ email: "a@x", exp: now - 10 }, /verify token.*exp/],
    [{ email: "a@x", iss: `${idp.issuer}/` }, /no authenticator for this issuer/],
    [{ sub: "alice" }, /parse username claims "email"/],
    [{ email: "a@x", groups: [1] }, /parse groups claim/],
    [{ email: "a@x" }, /verify token/, { alg: "EdDSA" }],
  ];
  for (const [claims, reason, mint] of cases) {
    const r = await whoami(structured(idp), await idp.mint(claims, mint));
    assertEquals(r.code, 1, JSON.stringify(claims));
    assertStringIncludes(r.stderr, "Unauthorized");
    assertMatch(r.log.at(-1)?.reason ?? "", reason);
  }
});

Deno.test("flags (Talos <= 1.13): a non-email username claim gets the <issuer># prefix unless one is set", async () => {
  await requireKubectl();
  await using idp = await startTestIdp();
  const flags = (extra: Record<string, string>) =>
    stringify({
      cluster: {
        apiServer: {
          extraArgs: { "oidc-issuer-url": idp.issuer, "oidc-client-id": idp.clientId, ...extra },
        },
      },
    });
  const token = await idp.mint({ groups: "admins" });
  const bare = await whoami(flags({ "oidc-username-claim": "sub", "oidc-groups-claim": "groups" }), token);
  assertEquals(JSON.parse(bare.stdout).status.userInfo.username, `${idp.issuer}#alice`, bare.stderr);
  assertEquals(JSON.parse(bare.stdout).status.userInfo.groups, ["admins", "system:authenticated"]);
  const none = await whoami(flags({ "oidc-username-claim": "sub", "oidc-username-prefix": "-" }), token);
  assertEquals(JSON.parse(none.stdout).status.userInfo.username, "alice", none.stderr);
  const es256 = await whoami(flags({ "oidc-username-claim": "sub" }), await idp.mint({}, { alg: "ES256" }));
  assert(es256.code !== 0, "flags accept RS256 only by default");
});

Deno.test("the stand-in refuses to start with what kube-apiserver refuses at start", () => {
  const doc = (jwt: unknown) =>
    stringify({ apiVersion: "v1alpha1", kind: "KubeAuthenticationConfig", configuration: { jwt: [jwt] } });
  const issuer = { url: "https://id.example.com", audiences: ["a"] };
  assertThrows(() =>
    readAuthenticator(
      doc({
        issuer: { ...issuer, url: "http://id.example.com" },
        claimMappings: { username: { claim: "sub", prefix: "" } },
      }),
    )
  );
  assertThrows(() =>
    readAuthenticator(
      doc({ issuer: { ...issuer, audiences: [] }, claimMappings: { username: { claim: "sub", prefix: "" } } }),
    )
  );
  assertThrows(() =>
    readAuthenticator(
      doc({ issuer: { ...issuer, audiences: ["a", "b"] }, claimMappings: { username: { claim: "sub", prefix: "" } } }),
    )
  );
  assertThrows(() => readAuthenticator(doc({ issuer, claimMappings: { username: { claim: "sub" } } })));
});
