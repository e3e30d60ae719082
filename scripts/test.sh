#!/usr/bin/env bash
# The test command: format check, build with warnings as errors, every test (unit and integration
# against real local components), then the totals as one line: "N passed, N failed[, N skipped]".
set -uo pipefail
cd "$(dirname "$0")/.."

dotnet format Kargo.Airgap.sln --verify-no-changes || { echo "dotnet format found unformatted code: run 'dotnet format Kargo.Airgap.sln'"; echo "0 passed, 1 failed"; exit 1; }

# The install's cluster tests run against a real kube-apiserver: built once (6-9 minutes) and cached.
bash scripts/real-apiserver.sh build >/dev/null || echo "warning: scripts/real-apiserver.sh could not build kube-apiserver; the cluster tests will fail"

results=$(mktemp -d)
dotnet test Kargo.Airgap.sln --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
status=$?

trx=$(find "$results" -name '*.trx' | head -n 1)
if [ -z "$trx" ]; then
  echo "no test results were written (the build failed?)"
  echo "0 passed, 1 failed"
  exit 1
fi
counters=$(grep -o '<Counters [^>]*>' "$trx")
count() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
passed=$(count passed); failed=$(count failed); total=$(count total); executed=$(count executed)
skipped=$(( total - executed ))
line="${passed} passed, ${failed} failed"
[ "$skipped" -gt 0 ] && line="${line}, ${skipped} skipped"
rm -rf "$results"
echo "$line"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
