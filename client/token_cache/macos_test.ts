/**
 * @module The macOS backend's command-line contract, checked with a stand-in `security` script (no macOS here):
 * secrets go on stdin, never in argv, for realistic token sizes.
 */

import { join } from "node:path";
import { assert, assertEquals } from "../../tests/helpers/assert.ts";
import { macosKeychain, shrink } from "./macos.ts";

/** Records argv and stdin; keeps one item as the hex it was given (as `security` prints non-text data). */
const FAKE_SECURITY = `#!/bin/sh
echo "$*" >> "$FAKE_DIR/argv"
case "$1" in
  -i) line=$(cat); printf '%s\\n' "$line" >> "$FAKE_DIR/stdin"; printf '%s' "\${line##* -X }" > "$FAKE_DIR/item" ;;
  find-generic-password)
    [ -f "$FAKE_DIR/item" ] || { echo "The specified item could not be found in the keychain." >&2; exit 44; }
    cat "$FAKE_DIR/item"; echo ;;
  delete-generic-password)
    [ -f "$FAKE_DIR/item" ] || { echo "The specified item could not be found in the keychain." >&2; exit 44; }
    rm "$FAKE_DIR/item" ;;
  *) exit 1 ;;
esac
`;

Deno.test("macOS backend sends a realistic token set through security -i on stdin, never in argv", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fake-security-" });
  try {
    const tool = join(dir, "security");
    await Deno.writeTextFile(tool, FAKE_SECURITY, { mode: 0o755 });
    const kc = macosKeychain({ FAKE_DIR: dir, PATH: "/usr/bin:/bin" }, tool);
    const jwt = (n: number) => "eyJ" + "a".repeat(n);
    const secret = JSON.stringify({
      access_token: jwt(1200),
      refresh_token: "r".repeat(700),
      id_token: jwt(1100),
      expires_at: "2030-01-01T00:00:00Z",
      issuer: "https://id.example.com",
      client_id: "talosctl",
    });
    assertEquals(await kc.get("oidc"), null);
    await kc.set("oidc", secret);
    const stored = JSON.parse((await kc.get("oidc"))!);
    assertEquals(stored.refresh_token, "r".repeat(700));
    assertEquals(stored.access_token, undefined); // dropped to fit security -i's 4095-byte line
    const argv = await Deno.readTextFile(join(dir, "argv"));
    assert(!argv.includes("rrrr") && !argv.includes("eyJ"), "a token reached argv");
    assertEquals(await kc.delete("oidc"), true);
    assertEquals(await kc.delete("oidc"), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("shrink() drops the access token, then the ID token, and leaves non-JSON secrets alone", () => {
  const s = JSON.stringify({ access_token: "a", refresh_token: "r", id_token: "i", issuer: "x", client_id: "c" });
  assertEquals(shrink(s).map((v) => Object.keys(JSON.parse(v)).join(",")), [
    "access_token,refresh_token,id_token,issuer,client_id",
    "refresh_token,id_token,issuer,client_id",
    "refresh_token,issuer,client_id",
  ]);
  assertEquals(shrink("plain"), ["plain"]);
});
