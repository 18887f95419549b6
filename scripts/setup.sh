#!/usr/bin/env bash
# Install what talosctl-oidc needs on a fresh Debian machine, idempotently.
#   scripts/setup.sh demo   npm packages only (the Deno runtime comes from npm)
#   scripts/setup.sh test   plus the system packages the test suite drives for real
set -euo pipefail
export RUST_BACKTRACE=0
cd "$(dirname "$0")/.."
mode=${1:-test}

# Debian packages the tests use: a real browser, a real keychain, real OpenSSL and the packaging tools.
TEST_APT=(chromium gnome-keyring libsecret-tools dbus dbus-x11 openssl shellcheck yamllint ruby umoci skopeo zsh fish
  golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v2-dev golang-gopkg-yaml.v3-dev binutils
  wrk hyperfine curl wget systemd tmux redis-server)

if [ "$mode" = test ]; then
  missing=()
  for p in "${TEST_APT[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # kubectl (kube token/setup tests drive it; "auth whoami" needs 1.27+): the machine image's "kubectl" package,
  # else the one apt can install (Debian's own is "kubernetes-client").
  if ! command -v kubectl >/dev/null 2>&1; then
    if apt-cache policy kubectl 2>/dev/null | grep -q "Candidate: [0-9]"; then missing+=(kubectl); else
      missing+=(kubernetes-client)
    fi
  fi
  if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "setup: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# npm ci only when node_modules is missing or older than the lock file.
if [ ! -x node_modules/.bin/deno ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
node_modules/.bin/deno --version | head -n 1 >&2
