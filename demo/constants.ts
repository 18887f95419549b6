/** @module The demo's fixed names: users and their groups, client id, context and scopes (no heavy imports here). */

import { DEFAULT_USERS, type IdpUser } from "../tests/helpers/idp_users.ts";

/** alice → talos-admins (os:admin), bob → talos-readers (os:reader), mallory → guests (no rule: refused). */
export const DEMO_USERS: IdpUser[] = DEFAULT_USERS;
export const DEMO_CLIENT_ID = "talosctl";
export const DEMO_CONTEXT = "talosctl-oidc-demo";
/** The demo IdP releases `groups` only for the "groups" scope (as Pocket ID and Dex do). */
export const DEMO_SCOPES = "openid,profile,email,offline_access,groups";
