#!/usr/bin/env bash
# The long reliability and security suite (reliability/, issue 8), then the fuzz targets
# of the parsers of untrusted input, one after the other.
#
#   .ci/reliability.sh                 # long suite + 10 min per fuzz target (~45 min)
#   FUZZTIME=30s .ci/reliability.sh    # shorter fuzzing
#   SKIP_FUZZ=1 .ci/reliability.sh     # the suite only
#
# The suite writes its summary table to internal/reliability/REPORT.md. Some of its cases mount
# file systems (a read-only bind mount, a small tmpfs) and need root; elsewhere they are
# skipped with a message. The short suite runs in CI with `go test -race ./...`.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-10m}
# One fuzzing worker leaves the other cores to whoever else uses the machine.
parallel=${FUZZ_PARALLEL:-1}

echo "== long suite (go test ./internal/reliability -args -long)"
# The long suite fails on known, reported issues too; the fuzzers run all the same. The
# script fails if the suite or a fuzz target did.
status=0
go test ./internal/reliability -run '^TestSuite$' -count=1 -v -timeout 120m -args -long || status=$?
echo "summary table written to internal/reliability/REPORT.md"

if [ -n "${SKIP_FUZZ:-}" ]; then exit "$status"; fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
for target in \
  "./tracing/internal/relation FuzzTracesURL" \
  "./tracing/internal/relation FuzzCABundle" \
  "./internal/otlpjson FuzzUnmarshal"; do
  set -- $target
  echo "== fuzz $2 ($1) for $fuzztime, -parallel $parallel"
  start=$(date +%s)
  # go test's default 10 min timeout would end a 10 min fuzzing run as a failure.
  go test "$1" -run '^$' -fuzz "^$2\$" -fuzztime "$fuzztime" -parallel "$parallel" -timeout 0 2>&1 | tee "$log" ||
    status=1
  echo "$2 ($(( $(date +%s) - start )) s wall): $(grep -E '^fuzz: elapsed' "$log" | tail -1)"
done
exit "$status"
