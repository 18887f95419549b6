#!/usr/bin/env bash
# Build the talosctl-oidc Talos system extension image (OCI) from a Linux binary, without docker.
#
#   scripts/build_extension.sh BINARY [OUT]
#     BINARY  the linux-amd64 or linux-arm64 talosctl-oidc binary (dist/talosctl-oidc-linux-<arch>)
#     OUT     oci-archive file to write (default dist/talosctl-oidc-extension-<arch>.tar);
#             a path ending in "/" writes an OCI layout directory instead
#   VERSION   release version for manifest.yaml (default: dev); a leading "v" is dropped
#   LIB_PATH  colon-separated directories searched first for the binary's libraries (cross builds, e.g.
#             /usr/aarch64-linux-gnu/lib from Debian's libc6-arm64-cross)
#
# Image layout (what Talos requires): /manifest.yaml and /rootfs/, everything under /rootfs/usr/local/:
#   rootfs/usr/local/etc/containers/talosctl-oidc.yaml              the service spec (ext-talosctl-oidc)
#   rootfs/usr/local/lib/containers/talosctl-oidc/                  the service's container rootfs ("/")
#     talosctl-oidc                                                 the binary (entrypoint ./talosctl-oidc)
#     lib64/ld-linux-x86-64.so.2 | lib/ld-linux-aarch64.so.1       glibc's loader at the binary's PT_INTERP path
#     lib/*.so*                                                     every library in its DT_NEEDED closure
# Talos's rootfs is musl and the `deno compile` binary is glibc-linked, so it brings its own glibc. The loader
# sits exactly where the binary's ELF interpreter path points inside the container, so the kernel finds it.
# We do not run the loader as the entrypoint (ld.so ./talosctl-oidc): a compiled Deno binary reads its
# embedded program from /proc/self/exe, which would then be the loader.
set -euo pipefail
export LC_ALL=C

die() {
  echo "error: $*" >&2
  exit 1
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then die "usage: $0 BINARY [OUT]"; fi
binary=$1
[ -f "$binary" ] || die "binary \"$binary\" does not exist"
root_dir=$(cd "$(dirname "$0")/.." && pwd)
for tool in umoci skopeo readelf; do
  command -v "$tool" >/dev/null || die "\"$tool\" is required (Debian: apt-get install umoci skopeo binutils)"
done

machine=$(readelf -h "$binary" 2>/dev/null | sed -n 's/^ *Machine: *//p') || true
case "$machine" in
  *X86-64*) arch=amd64 triplet=x86_64-linux-gnu ;;
  AArch64) arch=arm64 triplet=aarch64-linux-gnu ;;
  *) die "\"$binary\" is not an x86-64 or AArch64 ELF executable (machine: \"${machine:-none}\")" ;;
esac
out=${2:-$root_dir/dist/talosctl-oidc-extension-$arch.tar}
version=${VERSION:-dev}
version=${version#v}
name=talosctl-oidc

search_dirs=()
IFS=: read -r -a extra <<<"${LIB_PATH:-}"
for d in "${extra[@]}" "/lib/$triplet" "/usr/lib/$triplet" "/usr/$triplet/lib" /lib64 /usr/lib64 /lib /usr/lib; do
  [ -n "$d" ] && [ -d "$d" ] && search_dirs+=("$d")
done

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*Shared library: \[\(.*\)\]/\1/p'; }

# find_lib NAME: the first file of that name built for the binary's machine.
find_lib() {
  local d
  for d in "${search_dirs[@]}"; do
    if [ -e "$d/$1" ] && [ "$(readelf -h "$d/$1" | sed -n 's/^ *Machine: *//p')" = "$machine" ]; then
      readlink -f "$d/$1"
      return
    fi
  done
  die "library \"$1\" for $arch not found in ${search_dirs[*]} (set LIB_PATH)"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootless=()
[ "$(id -u)" -eq 0 ] || rootless=(--rootless)
layout=$work/oci
umoci init --layout "$layout"
umoci new --image "$layout:$name"
umoci unpack "${rootless[@]}" --image "$layout:$name" "$work/bundle" >/dev/null
img=$work/bundle/rootfs
ctr=$img/rootfs/usr/local/lib/containers/$name

umask 022
mkdir -p "$img/rootfs"
sed "s/^  version: .*/  version: $version/" "$root_dir/extension/manifest.yaml" >"$img/manifest.yaml"
cp -R "$root_dir/extension/rootfs/." "$img/rootfs/"
mkdir -p "$ctr"
install -m 0755 "$binary" "$ctr/$name"

interp=$(readelf -l "$binary" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
if [ -n "$interp" ]; then
  mkdir -p "$ctr$(dirname "$interp")"
  install -m 0755 "$(find_lib "$(basename "$interp")")" "$ctr$interp"
  mkdir -p "$ctr/lib"
  queue=$(needed "$binary")
  seen=" $(basename "$interp") "
  shipped=""
  while [ -n "$queue" ]; do
    lib=${queue%%$'\n'*}
    [ "$lib" = "$queue" ] && queue="" || queue=${queue#*$'\n'}
    case "$seen" in *" $lib "*) continue ;; esac
    seen="$seen$lib "
    path=$(find_lib "$lib")
    install -m 0644 "$path" "$ctr/lib/$lib"
    shipped="$shipped $lib"
    more=$(needed "$path")
    [ -n "$more" ] && queue=$(printf '%s\n%s' "$queue" "$more" | sed '/^$/d')
  done
  echo "shipping glibc for $arch: $interp and$shipped" >&2
fi
chmod -R go-w "$img"

umoci repack --image "$layout:$name" "$work/bundle" >/dev/null
umoci config --image "$layout:$name" --architecture "$arch" --os linux \
  --config.label "org.opencontainers.image.title=$name" \
  --config.label "org.opencontainers.image.version=$version" \
  --config.label "org.opencontainers.image.description=talosctl-oidc Talos system extension" >/dev/null
umoci gc --layout "$layout"

mkdir -p "$(dirname "$out")"
case "$out" in
  */) skopeo copy --quiet "oci:$layout:$name" "oci:${out%/}:$version" ;;
  *)
    rm -f "$out"
    skopeo copy --quiet "oci:$layout:$name" "oci-archive:$out:$version"
    ;;
esac
echo "wrote $out ($name $version, linux/$arch)" >&2
