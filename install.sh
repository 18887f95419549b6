#!/bin/sh
# Install the talosctl-oidc binary from a GitHub release, verifying its SHA-256 against checksums.txt.
#
#   curl -fsSL https://raw.githubusercontent.com/talosctl-oidc/talosctl-oidc/main/install.sh | sh
#   curl -fsSL .../install.sh | VERSION=v0.2.0 INSTALL_DIR="$HOME/bin" sh
#
# Environment:
#   VERSION                    release tag to install (default: the latest release)
#   INSTALL_DIR                target directory (default: /usr/local/bin if writable, else ~/.local/bin)
#   TALOSCTL_OIDC_RELEASE_URL  releases base URL (default: https://github.com/<repo>/releases); assets are
#                              fetched from <base>/download/<tag>/<asset> or <base>/latest/download/<asset>
#   TALOSCTL_OIDC_OS, TALOSCTL_OIDC_ARCH   override the detected platform (linux|darwin, amd64|arm64)
set -eu

REPO="talosctl-oidc/talosctl-oidc"
NAME="talosctl-oidc"

say() { printf '%s\n' "talosctl-oidc install: $*" >&2; }
die() {
  printf '%s\n' "error: $*" >&2
  exit 1
}

detect_os() {
  if [ -n "${TALOSCTL_OIDC_OS:-}" ]; then
    printf '%s\n' "$TALOSCTL_OIDC_OS"
    return
  fi
  kernel=$(uname -s)
  case "$kernel" in
    Linux) echo linux ;;
    Darwin) echo darwin ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT)
      die "this installer does not support Windows; download ${NAME}-windows-amd64.exe and checksums.txt from ${BASE_URL}/latest and verify with: certutil -hashfile ${NAME}-windows-amd64.exe SHA256"
      ;;
    *) die "unsupported operating system \"$kernel\": prebuilt binaries exist for Linux and macOS" ;;
  esac
}

detect_arch() {
  if [ -n "${TALOSCTL_OIDC_ARCH:-}" ]; then
    machine=$TALOSCTL_OIDC_ARCH
  else
    machine=$(uname -m)
    # An x86_64 shell under Rosetta 2 on Apple silicon: the native arm64 binary is the better choice.
    if [ "$1" = darwin ] && [ "$machine" = x86_64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || true)" = 1 ]; then
      machine=arm64
    fi
  fi
  case "$machine" in
    x86_64 | amd64) echo amd64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) die "unsupported architecture \"$machine\": prebuilt binaries exist for amd64 and arm64" ;;
  esac
}

# download URL FILE: curl or wget, following redirects, failing on HTTP errors.
download() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 3 -o "$2" "$1" || die "downloading \"$1\" failed"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1" || die "downloading \"$1\" failed"
  else
    die "neither curl nor wget is installed; install one of them and retry"
  fi
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst -sha256 -r "$1" | cut -d ' ' -f 1
  else
    die "no SHA-256 tool found (sha256sum, shasum or openssl); refusing to install an unverified binary"
  fi
}

choose_dir() {
  if [ -n "${INSTALL_DIR:-}" ]; then
    mkdir -p "$INSTALL_DIR" || die "cannot create INSTALL_DIR \"$INSTALL_DIR\""
    [ -w "$INSTALL_DIR" ] || die "INSTALL_DIR \"$INSTALL_DIR\" is not writable; choose another or run as its owner"
    printf '%s\n' "$INSTALL_DIR"
  elif [ -d /usr/local/bin ] && [ -w /usr/local/bin ]; then
    echo /usr/local/bin
  else
    [ -n "${HOME:-}" ] || die "/usr/local/bin is not writable and HOME is not set; set INSTALL_DIR"
    mkdir -p "$HOME/.local/bin" || die "cannot create \"$HOME/.local/bin\""
    printf '%s\n' "$HOME/.local/bin"
  fi
}

main() {
  BASE_URL=${TALOSCTL_OIDC_RELEASE_URL:-https://github.com/$REPO/releases}
  BASE_URL=${BASE_URL%/}
  os=$(detect_os)
  arch=$(detect_arch "$os")
  asset="${NAME}-${os}-${arch}"

  version=${VERSION:-latest}
  case "$version" in
    latest) url_dir="$BASE_URL/latest/download" ;;
    v*) url_dir="$BASE_URL/download/$version" ;;
    *) url_dir="$BASE_URL/download/v$version" ;;
  esac

  tmp=$(mktemp -d 2>/dev/null || mktemp -d -t talosctl-oidc) || die "cannot create a temporary directory"
  # shellcheck disable=SC2064 # expand $tmp now: it is fixed for the whole run
  trap "rm -rf '$tmp'" EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  say "downloading $asset ($version) from $url_dir"
  download "$url_dir/$asset" "$tmp/$asset"
  download "$url_dir/checksums.txt" "$tmp/checksums.txt"

  expected=$(awk -v f="$asset" '$2 == f || $2 == "*" f { print $1; exit }' "$tmp/checksums.txt")
  [ -n "$expected" ] || die "checksums.txt has no entry for \"$asset\"; refusing to install an unverified binary"
  actual=$(sha256_of "$tmp/$asset")
  if [ "$actual" != "$expected" ]; then
    die "checksum mismatch for \"$asset\": expected $expected, got $actual; the download is corrupt or was tampered with, nothing was installed"
  fi
  say "checksum verified (sha256 $actual)"

  dir=$(choose_dir)
  # Copy next to the target, then rename: a running old binary is never half-overwritten.
  cp "$tmp/$asset" "$dir/.$NAME.new.$$" || die "cannot write to \"$dir\""
  chmod 0755 "$dir/.$NAME.new.$$"
  mv -f "$dir/.$NAME.new.$$" "$dir/$NAME" || {
    rm -f "$dir/.$NAME.new.$$"
    die "cannot install into \"$dir\""
  }
  say "installed $dir/$NAME"

  if ! "$dir/$NAME" version; then
    say "warning: \"$dir/$NAME version\" failed; the Linux binaries need glibc (on Alpine/musl use the container image)"
  fi
  case ":${PATH:-}:" in
    *":$dir:"*) ;;
    *) say "$dir is not on your PATH; add it, e.g.: export PATH=\"$dir:\$PATH\"" ;;
  esac
}

main "$@"
