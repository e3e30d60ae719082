#!/usr/bin/env bash
# A rehearsal of the real reference bundle on this machine, with no internet: builds
# bundle-specs/kargo-homelab.yaml unchanged with every upstream stood in on 127.0.0.1 (release
# files and manifests with the published shape through --release-mirror, a small image under every
# name through --registry-mirror), stops the stand-ins, verifies, installs under a root, and has a
# real containerd pull every image through the mirrors install wrote. Prints what a real build will
# fetch. It is the integration test ReferenceRehearsalTests; this script runs it alone and prints
# its report.
#   bash scripts/rehearse.sh
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in dotnet docker-registry containerd ctr qemu-img; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install $(tr "\n" " " < scripts/apt-packages.txt) (and the .NET SDK)" >&2; exit 1; }
done
report=$(mktemp /tmp/kargo-rehearsal.XXXXXX)
trap 'rm -f "$report"' EXIT
echo "rehearsing bundle-specs/kargo-homelab.yaml (builds the tests first; about a minute) ..." >&2
if ! KARGO_REHEARSAL_REPORT=$report dotnet test tests/Kargo.Airgap.Tests -c Release --nologo -v quiet \
    --filter "FullyQualifiedName~ReferenceRehearsalTests" > "$report.log" 2>&1; then
  cat "$report.log" >&2
  rm -f "$report.log"
  echo "the rehearsal failed (above)" >&2
  exit 1
fi
rm -f "$report.log"
cat "$report"
