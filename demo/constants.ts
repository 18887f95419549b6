/** @module The demo's fixed names: users and their groups, client id, context and scopes (no heavy imports here). */

import type { IdpUser } from "../tests/helpers/idp.ts";

/** alice → talos-admins (os:admin), bob → talos-readers (os:reader), mallory → guests (no rule: refused). */
export const DEMO_USERS: IdpUser[] = [
  {
    sub: "alice",
    password: "alice",
    email: "alice@example.com",
    name: "Alice Admin",
    groups: ["talos-admins", "devs"],
  },
  { sub: "bob", password: "bob", email: "bob@example.com", name: "Bob Reader", groups: ["talos-readers"] },
  { sub: "mallory", password: "mallory", email: "mallory@example.com", name: "Mallory Nobody", groups: ["guests"] },
];
export const DEMO_CLIENT_ID = "talosctl";
export const DEMO_CONTEXT = "talosctl-oidc-demo";
/** The demo IdP releases `groups` only for the "groups" scope (as Pocket ID and Dex do). */
export const DEMO_SCOPES = "openid,profile,email,offline_access,groups";
