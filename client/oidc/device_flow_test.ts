/** @module Tests for the device flow against the real IdP, approved or denied by a walker in parallel. */

import { assert, assertEquals, assertMatch, assertRejects } from "../../tests/helpers/assert.ts";
import { startTestIdp, type TestIdp } from "../../tests/helpers/idp.ts";
import { approveDeviceLogin } from "../../tests/helpers/cli.ts";
import { systemClock } from "../../shared/clock.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import { nullLogger } from "../../shared/log.ts";
import { type DeviceCodePrompt, type DeviceFlowOptions, runDeviceFlow } from "./device_flow.ts";
import { discoverProvider } from "./discovery.ts";

/** Poll quickly (tests do not wait the real interval) but record what the flow asked for. */
function quickSleep(asked: number[]) {
  return (ms: number) => {
    asked.push(ms);
    return new Promise<void>((r) => setTimeout(r, 20));
  };
}

async function options(idp: TestIdp, onPrompt: (p: DeviceCodePrompt) => void, asked: number[] = []) {
  return {
    metadata: await discoverProvider(idp.issuer),
    client: { clientId: idp.clientId },
    scopes: ["openid", "email", "offline_access"],
    prompt: onPrompt,
    sleep: quickSleep(asked),
    clock: systemClock,
    logger: nullLogger,
    signal: new AbortController().signal,
  } satisfies DeviceFlowOptions;
}

Deno.test("runDeviceFlow() shows the code, polls, honours slow_down and returns tokens once approved", async () => {
  await using idp = await startTestIdp();
  let approval: Promise<unknown> | undefined;
  let prompt: DeviceCodePrompt | undefined;
  const asked: number[] = [];
  const tokens = await runDeviceFlow(
    await options(idp, (p) => {
      prompt = p;
      approval = approveDeviceLogin(p.verification_uri_complete!, "alice");
    }, asked),
  );
  await approval;
  assert(tokens.id_token && tokens.refresh_token);
  assertMatch(prompt!.user_code, /\S+/);
  assertEquals(asked[0], 5000); // RFC 8628 §3.2 default interval
  // Polling faster than the interval earns slow_down; every one adds 5 s (§3.5).
  for (let i = 1; i < asked.length; i++) assert(asked[i]! === asked[i - 1]! || asked[i]! === asked[i - 1]! + 5000);
});

Deno.test("runDeviceFlow() reports access_denied when the user aborts on the IdP", async () => {
  await using idp = await startTestIdp();
  let denial: Promise<unknown> | undefined;
  const o = await options(
    idp,
    (p) => void (denial = approveDeviceLogin(p.verification_uri_complete!, "alice", { abort: true })),
  );
  const err = await assertRejects(() => runDeviceFlow(o));
  await denial;
  assert(isTalosOidcError(err, "ERR_OIDC"));
  assertMatch(err.message, /^the device login was denied: access_denied/);
});

Deno.test("runDeviceFlow() says so when the IdP does not offer the device flow", async () => {
  await using idp = await startTestIdp();
  const o = await options(idp, () => {});
  const err = await assertRejects(() =>
    runDeviceFlow({ ...o, metadata: { ...o.metadata, device_authorization_endpoint: undefined } })
  );
  assert(isTalosOidcError(err, "ERR_OIDC"));
  assertMatch(err.hint ?? "", /device authorization grant/);
});

Deno.test("runDeviceFlow() with a client id the IdP does not know names --client-id in its hint", async () => {
  await using idp = await startTestIdp();
  const o = await options(idp, () => {
    throw new Error("no code is shown for an unknown client");
  });
  const err = await assertRejects(() => runDeviceFlow({ ...o, client: { clientId: "talosctl-typo" } }));
  assert(isTalosOidcError(err, "ERR_OIDC"), String(err));
  assertMatch(err.message, /^starting the device login failed: invalid_client/);
  assertMatch(err.hint ?? "", /^check --client-id "talosctl-typo": the IdP does not know that client/);
});
