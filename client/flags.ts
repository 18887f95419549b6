/** @module Flags several client commands share, defined once so their defaults and env vars never drift apart. */

import type { FlagSpec } from "../shared/cli.ts";

/** `--context-name NAME` (default `oidc`, env TALOSCTL_OIDC_CONTEXT): the talosconfig context and cache entry. */
export function contextNameFlag(description: string) {
  return {
    name: "context-name",
    type: "string",
    default: "oidc",
    env: "TALOSCTL_OIDC_CONTEXT",
    arg: "NAME",
    description,
  } as const satisfies FlagSpec;
}

/**
 * `--talosconfig PATH` (env TALOSCTL_OIDC_TALOSCONFIG, which a profile's value does not override); the default
 * follows talosctl (client/paths.ts resolveTalosconfigPath).
 */
export function talosconfigFlag(purpose: string) {
  return {
    name: "talosconfig",
    type: "string",
    env: "TALOSCTL_OIDC_TALOSCONFIG",
    arg: "PATH",
    description: `${purpose} (default $TALOSCONFIG, $TALOS_HOME/config or ~/.talos/config)`,
  } as const satisfies FlagSpec;
}

/** `--profile NAME` as login, logout, status and doctor take it (client/profiles.ts reads the profile). */
export const PROFILE_FLAG = {
  name: "profile",
  type: "string",
  env: "TALOSCTL_OIDC_PROFILE",
  arg: "NAME",
  description: `profile written by "talosctl-oidc setup" (flags and env vars override its values)`,
} as const satisfies FlagSpec;

/** `--provider URL` (env TALOSCTL_OIDC_PROVIDER), with what it is used for. */
export function providerFlag(description: string) {
  return {
    name: "provider",
    type: "string",
    env: "TALOSCTL_OIDC_PROVIDER",
    arg: "URL",
    description,
  } as const satisfies FlagSpec;
}

/**
 * `--insecure-provider`: the loud opt-in for a plain http:// IdP off loopback (client/oidc/discovery.ts
 * checkProviderUrl). Deliberately no env var: it has to be typed where it is used.
 */
export const INSECURE_PROVIDER_FLAG = {
  name: "insecure-provider",
  type: "boolean",
  description: "allow a plain http:// provider off loopback: the login code, PKCE verifier and tokens travel in clear",
} as const satisfies FlagSpec;

/** `--client-id ID` (env TALOSCTL_OIDC_CLIENT_ID), with what it is used for. */
export function clientIdFlag(description: string) {
  return {
    name: "client-id",
    type: "string",
    env: "TALOSCTL_OIDC_CLIENT_ID",
    arg: "ID",
    description,
  } as const satisfies FlagSpec;
}

/** `--client-secret SECRET` (env TALOSCTL_OIDC_CLIENT_SECRET), with what it is used for. */
export function clientSecretFlag(description: string) {
  return {
    name: "client-secret",
    type: "string",
    env: "TALOSCTL_OIDC_CLIENT_SECRET",
    arg: "SECRET",
    description,
  } as const satisfies FlagSpec;
}

/** `--server URL` (env TALOSCTL_OIDC_SERVER), with what it is used for. */
export function serverFlag(description: string) {
  return {
    name: "server",
    type: "string",
    env: "TALOSCTL_OIDC_SERVER",
    arg: "URL",
    description,
  } as const satisfies FlagSpec;
}

/** `--server-ca PATH` (env TALOSCTL_OIDC_SERVER_CA), with what it is used for. */
export function serverCaFlag(description: string) {
  return {
    name: "server-ca",
    type: "string",
    env: "TALOSCTL_OIDC_SERVER_CA",
    arg: "PATH",
    description,
  } as const satisfies FlagSpec;
}

/** `--callback-port PORT` (default 8900, env TALOSCTL_OIDC_CALLBACK_PORT), with what it is used for. */
export function callbackPortFlag(description: string) {
  return {
    name: "callback-port",
    type: "string",
    default: "8900",
    env: "TALOSCTL_OIDC_CALLBACK_PORT",
    arg: "PORT",
    description,
  } as const satisfies FlagSpec;
}

/** `-v, --verbose` (env DEBUG=1, as for serve): the cause of an error and debug lines. */
export const VERBOSE_FLAG = {
  name: "verbose",
  short: "v",
  type: "boolean",
  env: "DEBUG",
  description: "the cause of an error, and debug lines (never tokens, codes or keys)",
} as const satisfies FlagSpec;
