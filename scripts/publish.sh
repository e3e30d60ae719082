#!/usr/bin/env bash
# Self-contained single-file binaries of kargo-bundle and kargo-offline: nothing of .NET is needed
# on the machine that runs them. Not trimmed: the trimmer cannot prove ASP.NET Core's minimal APIs
# (the registry server), YamlDotNet or KubernetesClient safe, and a smaller binary that fails on a
# node is worth nothing. ReadyToRun and not compressed: measured here, kargo-offline --version
# starts in 30 ms so (170 MB), 120 ms compressed (57 MB) and 420 ms compressed with ReadyToRun.
#   scripts/publish.sh [RID…]     default: linux-x64 linux-arm64; binaries in dist/bin/RID/
#   KARGO_PUBLISH_DIR=DIR         write DIR/RID/ instead of dist/bin/RID/
#   KARGO_PUBLISH_PROGRAMS="Kargo.Offline"   publish only these projects
set -euo pipefail
cd "$(dirname "$0")/.."
out=${KARGO_PUBLISH_DIR:-dist/bin}
read -r -a programs <<<"${KARGO_PUBLISH_PROGRAMS:-Kargo.Bundle Kargo.Offline}"
rids=("$@")
[ ${#rids[@]} -gt 0 ] || rids=(linux-x64 linux-arm64)
# A RID-specific restore rewrites obj/; keep it away from the development build's.
artifacts=$(mktemp -d)
trap 'rm -rf "$artifacts"' EXIT
for rid in "${rids[@]}"; do
  for project in "${programs[@]}"; do
    dotnet publish "src/$project" -c Release -r "$rid" --self-contained --nologo -v quiet \
      --artifacts-path "$artifacts" \
      -p:PublishSingleFile=true -p:PublishReadyToRun=true -p:DebugType=none \
      -p:PublishDocumentationFile=false -p:PublishReferencesDocumentationFiles=false \
      -o "$out/$rid"
  done
  echo "$out/$rid: $(cd "$out/$rid" && ls -1 | tr '\n' ' ')"
done
