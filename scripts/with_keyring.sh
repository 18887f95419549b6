#!/usr/bin/env bash
# Run a command inside a private D-Bus session with an unlocked gnome-keyring Secret Service, headless.
#
#   scripts/with_keyring.sh deno test -A tests/keychain_test.ts
#
# Needs (Debian/Ubuntu): apt-get install gnome-keyring libsecret-tools dbus   (dbus-x11 not needed)
# The keyring lives in a throwaway directory (its password is "talosctl-oidc-test") and disappears with the session,
# so the user's real keyrings are never touched. The command's own environment (HOME, XDG_DATA_HOME...) is unchanged.
set -euo pipefail

if [ -z "${TALOSCTL_OIDC_KEYRING_SESSION:-}" ]; then
  for tool in dbus-run-session gnome-keyring-daemon secret-tool; do
    command -v "$tool" >/dev/null 2>&1 || { echo "with_keyring.sh: $tool is not installed" >&2; exit 127; }
  done
  # dbus-run-session starts a session bus, runs us again inside it, and stops the bus (and the keyring) afterwards.
  # Its harmless "Failed to set fd limit" warning when run as root is filtered out.
  TALOSCTL_OIDC_KEYRING_SESSION=1 exec dbus-run-session -- "$0" "$@" 2> >(grep -v 'Failed to set fd limit' >&2) \
    || exit $?
fi

keyring_dir=$(mktemp -d "${TMPDIR:-/tmp}/talosctl-oidc-keyring.XXXXXX")
trap 'rm -rf "$keyring_dir"' EXIT INT TERM
# --unlock reads the login keyring password on stdin, creating the keyring if needed, then daemonizes.
printf 'talosctl-oidc-test' | XDG_DATA_HOME="$keyring_dir" HOME="$keyring_dir" \
  gnome-keyring-daemon --unlock --components=secrets >/dev/null

# Wait until org.freedesktop.secrets answers: a lookup of a missing item exits 1 with nothing on stderr.
i=0
while :; do
  if err=$(secret-tool lookup service talosctl-oidc username __with_keyring_probe__ 2>&1 >/dev/null); then break; fi
  [ -z "$err" ] && break
  i=$((i + 1))
  if [ "$i" -ge 50 ]; then echo "with_keyring.sh: the Secret Service did not come up: $err" >&2; exit 1; fi
  sleep 0.1
done

unset TALOSCTL_OIDC_KEYRING_SESSION
# Tells tests that this Secret Service is a throwaway one they may write to.
export TALOSCTL_OIDC_TEST_KEYRING=1
"$@"
