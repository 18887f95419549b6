#!/usr/bin/env bash
# Set up (apt + npm) and run the whole test suite; ends with one line "N passed, M failed".
#   scripts/test.sh [deno test args...]   e.g. scripts/test.sh tests/exchange_e2e_test.ts
set -uo pipefail
export RUST_BACKTRACE=0 NO_COLOR=1
cd "$(dirname "$0")/.." || exit 1
bash scripts/setup.sh test || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
deno=node_modules/.bin/deno
mkdir -p test-artifacts
log=test-artifacts/test-output.txt

passed=0
failed=0
# Static gates count as tests: formatting, lint (incl. layout rules) and type checks.
for gate in "fmt --check" "lint" "check main.ts server client shared tests scripts demo"; do
  # shellcheck disable=SC2086
  if $deno $gate >"test-artifacts/gate.txt" 2>&1; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "gate failed: deno $gate" && tail -n 30 test-artifacts/gate.txt
  fi
done
if $deno run --allow-read scripts/check_layout.ts >/dev/null 2>&1; then passed=$((passed + 1)); else
  failed=$((failed + 1)); $deno run --allow-read scripts/check_layout.ts
fi

# The real Secret Service for the keychain tests lives only inside this D-Bus session.
runner=(bash scripts/with_keyring.sh)
[ -f scripts/with_keyring.sh ] || runner=()
# --no-check: the check gate above type-checked everything; checking again here would also type-check the module
# graph of every serve worker thread a test starts (~4 s each, not cached across threads).
"${runner[@]}" "$deno" test -A --parallel --no-check "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

summary=$(grep -E '^(ok|FAILED) \| ' "$log" | tail -n 1)
p=$(printf '%s' "$summary" | sed -nE 's/.*\| ([0-9]+) passed.*/\1/p')
f=$(printf '%s' "$summary" | sed -nE 's/.*\| ([0-9]+) failed.*/\1/p')
if [ -z "$p" ]; then
  echo "could not read Deno's summary (exit $rc)"
  f=$((${f:-0} + 1)); p=0
fi
passed=$((passed + p))
failed=$((failed + ${f:-0}))
[ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ] && failed=$((failed + 1))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
