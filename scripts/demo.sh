#!/usr/bin/env bash
# The whole journey in one command, on a machine with the packages of scripts/apt-packages.txt and
# the .NET SDK. First the Kargo platform itself: scripts/rehearse.sh builds the reference bundle
# (k3s, KubeVirt, CDI, cert-manager, network add-ons, hostpath storage, two VMs) with every upstream
# stood in locally, installs it under a root and pulls every image the operators start. Then each
# command by hand on a small bundle: lock, build (signed), inspect, verify, unpack, serve, point
# containerd at it, and pull every image back by its upstream name. Ends with a summary. Nothing
# touches the internet; everything lives in a temp folder.
#   bash scripts/demo.sh [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
keep=0
[ "${1:-}" = "--keep" ] && keep=1
for tool in dotnet docker-registry skopeo containerd ctr zstd jq; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install $(tr "\n" " " < scripts/apt-packages.txt) (and the .NET SDK)" >&2; exit 1; }
done
work=$(mktemp -d /tmp/kargo-demo.XXXXXX)
cleanup() {
  for pid in "$work"/*.pid; do [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "$keep" = 1 ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
step() { echo; echo "== $*"; }

step "the Kargo platform: a rehearsal of bundle-specs/kargo-homelab.yaml (scripts/rehearse.sh)"
bash scripts/rehearse.sh | tee "$work/rehearsal.txt"

step "building kargo-bundle and kargo-offline"
dotnet build src/Kargo.Bundle -c Release -o "$work/bin" --nologo -v quiet >/dev/null
dotnet build src/Kargo.Offline -c Release -o "$work/bin" --nologo -v quiet >/dev/null
kargo_bundle() { dotnet "$work/bin/kargo-bundle.dll" "$@"; }
kargo_offline() { dotnet "$work/bin/kargo-offline.dll" "$@"; }

step "a local registry with three generated images (an app, a two-layer service, an operator)"
host=$(start_registry "$work/registry")
layer_bytes=$((2 * 1024 * 1024))
start_seed
for name in app service operator; do
  layer_json=; diff_ids=
  new_layer
  [ "$name" = service ] && new_layer
  add_image "$name"
done
end_seed
for name in app service operator; do
  skopeo copy -q --dest-tls-verify=false "oci:$seed:$name" "docker://$host/demo/$name:1.0"
  echo "   $host/demo/$name:1.0"
done
cat > "$work/demo.yaml" <<YAML
kind: Bundle
metadata: {name: demo, version: "1.0"}
spec:
  platforms: [linux/amd64]
  images:
    - $host/demo/app:1.0
    - $host/demo/service:1.0
    - $host/demo/operator:1.0
YAML

step "kargo-bundle keygen, lock and build --key"
kargo_bundle keygen --out "$work/keys/builder"
kargo_bundle lock "$work/demo.yaml" --lock "$work/images.lock" --cache "$work/cache"
kargo_bundle build "$work/demo.yaml" -o "$work/stick/" --lock "$work/images.lock" --cache "$work/cache" --locked --key "$work/keys/builder.key"
bundle=$work/stick/demo-1.0.kargo

step "kargo-bundle inspect"
kargo_bundle inspect "$bundle"

step "the registry goes away: everything from here on reads only the bundle"
stop_registry "$work/registry"

step "kargo-offline verify and unpack"
kargo_offline verify "$bundle" --pub "$work/keys/builder.pub"
kargo_offline unpack "$bundle" --pub "$work/keys/builder.pub" --to "$work/node"

step "kargo-offline serve, and containerd's mirror config from registry-config"
# dotnet itself in the background (not the shell function), so the pid kept is the one to stop.
dotnet "$work/bin/kargo-offline.dll" serve "$work/node" --addr 127.0.0.1:0 --no-access-log > "$work/serve.log" 2>&1 &
echo $! > "$work/serve.pid"
for _ in $(seq 100); do
  served=$(grep -o 'at http://127.0.0.1:[0-9]*' "$work/serve.log" | sed 's|at ||' || true)
  [ -n "$served" ] && break; sleep 0.1
done
[ -n "$served" ] || { echo "serve did not start" >&2; cat "$work/serve.log" >&2; exit 1; }
echo "   serving at $served"
kargo_offline registry-config "$work/node" --endpoint "$served" --root "$work/root"

step "a real containerd pulls every image by its upstream name through the mirror"
mkdir -p "$work/containerd"
cat > "$work/containerd/config.toml" <<TOML
version = 2
root = "$work/containerd/root"
state = "$work/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$work/containerd/containerd.sock"
[ttrpc]
  address = "$work/containerd/ttrpc.sock"
TOML
containerd --config "$work/containerd/config.toml" > "$work/containerd/log" 2>&1 &
echo $! > "$work/containerd.pid"
for _ in $(seq 200); do [ -S "$work/containerd/containerd.sock" ] && break; sleep 0.05; done
pulled=0
for name in app service operator; do
  ctr --address "$work/containerd/containerd.sock" images pull --hosts-dir "$work/root/etc/containerd/certs.d" "$host/demo/$name:1.0" > /dev/null
  echo "   pulled $host/demo/$name:1.0"
  pulled=$((pulled + 1))
done
ctr --address "$work/containerd/containerd.sock" images check

step "what 'kargo-offline install' would do on a node (--dry-run under --root: nothing runs)"
kargo_offline install "$bundle" --pub "$work/keys/builder.pub" --root "$work/node-root" --dry-run

echo
echo "== summary"
echo "   bundle:    $bundle ($(du -h "$bundle" | cut -f1), signed, $(jq '.images | length' "$work/node/bundles/demo-1.0/kargo-bundle.json") images)"
echo "   verified:  every entry against the signed inventory"
echo "   served:    $served, from $work/node"
echo "   pulled:    $pulled of 3 images by containerd, by their upstream names, with the source registry stopped"
echo "   platform:  $(tail -n 1 "$work/rehearsal.txt")"
