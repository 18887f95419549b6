#!/usr/bin/env bash
# Render a Helm chart without helm: builds main.go (Go text/template + Debian's sprig) once, then runs it.
#   scripts/render_chart/render.sh -chart charts/talosctl-oidc [-f values.yaml]... [-release NAME] [-namespace NS]
# Needs Debian's golang-go, golang-github-masterminds-sprig-dev, golang-gopkg-yaml.v2-dev and golang-gopkg-yaml.v3-dev
# (GOPATH mode, no module download).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
gopath=${RENDER_CHART_GOPATH:-/usr/share/gocode}
for pkg in github.com/Masterminds/sprig:golang-github-masterminds-sprig-dev gopkg.in/yaml.v2:golang-gopkg-yaml.v2-dev \
  gopkg.in/yaml.v3:golang-gopkg-yaml.v3-dev; do
  [ -d "$gopath/src/${pkg%%:*}" ] || { echo "error: ${pkg%%:*} not found in $gopath (apt-get install ${pkg#*:})" >&2; exit 1; }
done
command -v go >/dev/null || { echo "error: go not found (apt-get install golang-go)" >&2; exit 1; }
cache=${XDG_CACHE_HOME:-$HOME/.cache}/talosctl-oidc
hash=$(sha256sum <"$here/main.go" | cut -c1-16)
bin=$cache/render_chart-$hash
if [ ! -x "$bin" ]; then
  mkdir -p "$cache"
  tmp=$(mktemp "$cache/render_chart.XXXXXX")
  (cd "$here" && GO111MODULE=off GOPATH=$gopath GOFLAGS="" go build -o "$tmp" .)
  mv -f "$tmp" "$bin"
fi
exec "$bin" "$@"
