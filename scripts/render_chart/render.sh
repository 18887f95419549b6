#!/usr/bin/env bash
# Render a Helm chart without helm: builds main.go (Go text/template + Debian's sprig) once, then runs it.
#   scripts/render_chart/render.sh -chart charts/talosctl-oidc [-f values.yaml]... [-release NAME] [-namespace NS]
# Needs Debian's golang-go and golang-github-masterminds-sprig-dev (GOPATH mode, no module download).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
gopath=${RENDER_CHART_GOPATH:-/usr/share/gocode}
[ -d "$gopath/src/github.com/Masterminds/sprig" ] ||
  { echo "error: sprig not found in $gopath (apt-get install golang-github-masterminds-sprig-dev)" >&2; exit 1; }
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
