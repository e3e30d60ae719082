#!/usr/bin/env bash
# System packages the tests and the benchmark use: the real registry, skopeo, containerd and friends.
set -euo pipefail
packages=(docker-registry apache2-utils skopeo buildah podman containerd runc qemu-utils zstd jq curl openssl tar time)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
