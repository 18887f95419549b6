/** @module The test and demo IdP's users (no heavy imports, so the demo can name them before loading the IdP). */

export interface IdpUser {
  /** Login name and OIDC `sub`. */
  sub: string;
  password: string;
  email?: string;
  name?: string;
  groups?: string[];
  /** Extra claims put into the ID token (e.g. realm_access). */
  extra?: Record<string, unknown>;
}

/** Users every test and the demo can rely on. Passwords are the user names. */
export const DEFAULT_USERS: IdpUser[] = [
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

/** The RBAC rules these users are tested with: alice (talos-admins) → os:admin, bob (talos-readers) → os:reader, mallory → nothing. */
export const USERS_RBAC = {
  rules: [
    { claim: "groups", value: "talos-admins", roles: ["os:admin"] },
    { claim: "groups", value: "talos-readers", roles: ["os:reader"] },
  ],
};
