#!/usr/bin/env bash
# Benchmark, one run, printed as a table with ratios against peers and against the floors of this
# machine: kargo-bundle build against skopeo copy (registry -> OCI layout) + tar and against the
# fetch floor (every blob out of the registry by 8 parallel curl into one file); a rebuild with one
# image changed (bytes fetched); verify against openssl's sha256 (and sha256sum); unpack against
# tar -xf of the bundle; reading the bundle (cat) and writing as much (dd conv=fdatasync); serve
# against the distribution registry (skopeo copy out, and 8 clients pulling every blob at once)
# and against reading the blob files; push against skopeo copy into a fresh registry; the peak
# memory of every kargo command; and kargo-offline --version of the published single file.
#   bash scripts/bench.sh [--size 4G] [--layer 128M] [--keep]   (--keep leaves about 12x --size on /tmp)
# Each pipeline runs twice from scratch; the faster run is reported (disk writeback makes single runs noisy).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

size=4G; layer=128M; keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size=$2; shift 2 ;;
    --layer) layer=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n 2,12p "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
for tool in docker-registry skopeo zstd /usr/bin/time jq curl; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install $(tr "\n" " " < scripts/apt-packages.txt)" >&2; exit 1; }
done

total=$(numfmt --from=iec "$size"); layer_bytes=$(numfmt --from=iec "$layer")
layers=$(( (total + layer_bytes - 1) / layer_bytes )); images=4
[ "$layers" -lt "$images" ] && images=$layers
work=$(mktemp -d /tmp/kargo-bench.XXXXXX)
cleanup() { for pid in "$work"/*.pid; do [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true; done; [ "$keep" = 1 ] || rm -rf "$work"; }
trap cleanup EXIT

echo "== publishing kargo-bundle and kargo-offline (Release, ReadyToRun)"
dotnet publish src/Kargo.Bundle -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$work/bin" --nologo -v quiet >/dev/null
dotnet publish src/Kargo.Offline -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$work/bin" --nologo -v quiet >/dev/null

echo "== starting the registry"
host=$(start_registry "$work/registry")
echo "   registry at $host"

echo "== generating $layers layers of $layer in $images images (zstd, random content), and a changed img0 (one new layer)"
start_seed
for i in $(seq 0 $((images - 1))); do
  layer_json=; diff_ids=
  for _ in $(seq "$i" "$images" $((layers - 1))); do new_layer; done
  add_image "img$i"
done
# img0:2 is img0:1 with its first layer replaced: what a rebuild of one application looks like.
layer_json=; diff_ids=
new_layer
manifest0=$seed/blobs/sha256/$(jq -r '.manifests[0].digest' <<<"$index]}" | cut -c8-)
config0=$seed/blobs/sha256/$(jq -r '.config.digest' "$manifest0" | cut -c8-)
if [ "$(jq '.layers | length' "$manifest0")" -gt 1 ]; then
  layer_json="$layer_json,$(jq -c '.layers[1:][]' "$manifest0" | paste -sd,)"
  diff_ids="$diff_ids,$(jq -c '.rootfs.diff_ids[1:][]' "$config0" | paste -sd,)"
fi
add_image "img0-v2"
end_seed

echo "== pushing them to the registry with skopeo"
spec_images=
for i in $(seq 0 $((images - 1))); do
  skopeo copy -q --dest-tls-verify=false "oci:$seed:img$i" "docker://$host/bench/img$i:1"
  spec_images="$spec_images    - $host/bench/img$i:1"$'\n'
done
skopeo copy -q --dest-tls-verify=false "oci:$seed:img0-v2" "docker://$host/bench/img0:2"
rm -rf "$seed"
content=$(du -sb "$work/registry/data" | cut -f1)

cat > "$work/bench.yaml" <<YAML
kind: Bundle
metadata: {name: bench, version: "1"}
spec:
  images:
$spec_images
YAML
sed "s|bench/img0:1|bench/img0:2|" "$work/bench.yaml" > "$work/bench-v2.yaml"
kargo() { dotnet "$work/bin/kargo-bundle.dll" "$@"; }
kargo lock "$work/bench.yaml" --lock "$work/images.lock" --cache "$work/lock-cache" >/dev/null 2>&1
kargo lock "$work/bench-v2.yaml" --lock "$work/images-v2.lock" --cache "$work/lock-cache" >/dev/null 2>&1

measure() { # label, command...: prints "seconds peak_kib"
  local out=$work/time.txt
  sync; /usr/bin/time -f "%e %M" -o "$out" "$@" > "$work/last.log" 2>&1 || { cat "$work/last.log" >&2; exit 1; }
  cat "$work/last.log" >> "$work/runs.log"
  cat "$out"
}

cat > "$work/skopeo.sh" <<SH
set -e
rm -rf "$work/layout" "$work/skopeo.tar"
for i in \$(seq 0 $((images - 1))); do
  skopeo copy -q --src-tls-verify=false "docker://$host/bench/img\$i:1" "oci:$work/layout:$host/bench/img\$i:1"
done
tar -cf "$work/skopeo.tar" -C "$work/layout" .
SH
best() { # keeps the faster of two "seconds peak_kib" lines, and the larger peak
  awk 'NR==1{s=$1;m=$2} NR==2{if($1<s)s=$1; if($2>m)m=$2} END{print s, m}'
}
# Each pipeline runs twice, alternating, from scratch each time; the faster run counts.
cold=(); pipeline=()
for round in 1 2; do
  echo "== round $round: kargo-bundle build (cold cache), then skopeo copy + tar"
  rm -rf "$work/cache" "$work/kargo.kargo"
  cold+=("$(measure dotnet "$work/bin/kargo-bundle.dll" build "$work/bench.yaml" -o "$work/kargo.kargo" --lock "$work/images.lock" --cache "$work/cache" --locked)")
  pipeline+=("$(measure bash "$work/skopeo.sh")")
done
echo "== the fetch floor: every blob out of the registry into one file, 8 curl at once"
: > "$work/blob-paths.txt"
for i in $(seq 0 $((images - 1))); do
  skopeo inspect --raw --tls-verify=false "docker://$host/bench/img$i:1" | jq -r '.config.digest, .layers[].digest' | sed "s|^|/v2/bench/img$i/blobs/|" >> "$work/blob-paths.txt"
done
pull_blobs() { # host, clients, output (a file, or /dev/null): each client fetches every blob, 8 at a time; all clients at once
  local out=$3 clean=
  [ "$out" = /dev/null ] || { out="$3.\$c"; clean="rm -f '$3'.*"; }
  cat > "$work/pull.sh" <<SH
set -e
for c in \$(seq $2); do
  sed "s|^|http://$1|" "$work/blob-paths.txt" | xargs -P 8 -n 1 curl -sf > "$out" &
done
wait
$clean
SH
  measure bash "$work/pull.sh"
}
fetch_floor=()
for round in 1 2; do fetch_floor+=("$(pull_blobs "$host" 1 "$work/floor.bin")"); done
read -r ff_s _ < <(printf '%s\n' "${fetch_floor[@]}" | best)

echo "== kargo-bundle build (warm cache, nothing to fetch)"
rm -f "$work/kargo.kargo"
read -r w_s w_kib < <(measure dotnet "$work/bin/kargo-bundle.dll" build "$work/bench.yaml" -o "$work/kargo.kargo" --lock "$work/images.lock" --cache "$work/cache" --locked)
echo "== kargo-bundle build of the spec with img0 changed (warm cache: fetches only the new layer)"
read -r r_s r_kib < <(measure dotnet "$work/bin/kargo-bundle.dll" build "$work/bench-v2.yaml" -o "$work/v2.kargo" --lock "$work/images-v2.lock" --cache "$work/cache" --locked)
r_bytes=$(grep -o 'blobs: [0-9]* fetched ([0-9]* bytes)' "$work/last.log" | sed 's/.*(\([0-9]*\) bytes)/\1/')
read -r k_s k_kib < <(printf '%s\n' "${cold[@]}" | best)
read -r s_s s_kib < <(printf '%s\n' "${pipeline[@]}" | best)

echo "== verify: kargo-offline verify, sha256sum and openssl dgst -sha256 of the same file (warm page cache)"
dotnet "$work/bin/kargo-bundle.dll" keygen --out "$work/bench-key" >/dev/null
dotnet "$work/bin/kargo-bundle.dll" sign "$work/kargo.kargo" --key "$work/bench-key.key" >/dev/null
cat "$work/kargo.kargo" > /dev/null
read -r v_s v_kib < <(measure dotnet "$work/bin/kargo-offline.dll" verify "$work/kargo.kargo" --pub "$work/bench-key.pub")
read -r h_s h_kib < <(measure sha256sum "$work/kargo.kargo")
read -r o_s o_kib < <(measure openssl dgst -sha256 "$work/kargo.kargo")

echo "== read and write floors: cat of the bundle, dd of as much with fdatasync"
read -r rd_s _ < <(measure bash -c "cat '$work/kargo.kargo' > /dev/null")
bundle_mib=$(( $(stat -c %s "$work/kargo.kargo") / 1048576 ))
read -r wr_s _ < <(measure dd if=/dev/zero of="$work/dd.bin" bs=1M count="$bundle_mib" conv=fdatasync status=none)
rm -f "$work/dd.bin"

echo "== unpack: kargo-offline unpack beside tar -xf of the bundle into an empty folder"
unpack_runs=(); tar_runs=()
for round in 1 2; do
  rm -rf "$work/node" "$work/tarx"; mkdir -p "$work/tarx"
  unpack_runs+=("$(measure dotnet "$work/bin/kargo-offline.dll" unpack "$work/kargo.kargo" --pub "$work/bench-key.pub" --to "$work/node")")
  tar_runs+=("$(measure tar -xf "$work/kargo.kargo" -C "$work/tarx")")
done
rm -rf "$work/tarx"
read -r u_s u_kib < <(printf '%s\n' "${unpack_runs[@]}" | best)
read -r tx_s _ < <(printf '%s\n' "${tar_runs[@]}" | best)


echo "== serve: skopeo copy out of kargo-offline serve beside out of the distribution registry"
/usr/bin/time -f "%e %M" -o "$work/serve-time.txt" dotnet "$work/bin/kargo-offline.dll" serve "$work/node" --addr 127.0.0.1:0 --no-access-log > "$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 100); do
  serve_host=$(grep -o 'at http://127.0.0.1:[0-9]*' "$work/serve.log" | sed 's|at http://||' || true)
  [ -n "$serve_host" ] && break; sleep 0.1
done
[ -n "$serve_host" ] || { echo "serve did not start" >&2; cat "$work/serve.log" >&2; exit 1; }
copy_out() { # registry host -> seconds peak, copying every image into a fresh OCI layout
  cat > "$work/copy-out.sh" <<SH
set -e
rm -rf "$work/out"
for i in \$(seq 0 $((images - 1))); do
  skopeo copy -q --src-tls-verify=false "docker://$1/bench/img\$i:1" "oci:$work/out:img\$i"
done
SH
  measure bash "$work/copy-out.sh"
}
serve_runs=(); dist_runs=()
for round in 1 2; do
  serve_runs+=("$(copy_out "$serve_host")")
  dist_runs+=("$(copy_out "$host")")
done
echo "== serve floor and 8 clients: every blob through serve and distribution (8 clients at once), and the blob files read"
read -r sf_s _ < <(measure bash -c "cat '$work'/node/oci/blobs/sha256/* > /dev/null")
serve8=(); dist8=()
for round in 1 2; do
  serve8+=("$(pull_blobs "$serve_host" 8 /dev/null)")
  dist8+=("$(pull_blobs "$host" 8 /dev/null)")
done
read -r s8_s _ < <(printf '%s\n' "${serve8[@]}" | best)
read -r d8_s _ < <(printf '%s\n' "${dist8[@]}" | best)
read -r s1_s _ < <(pull_blobs "$serve_host" 1 /dev/null)
pkill -TERM -P "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null || true
sv_kib=$(cut -d' ' -f2 "$work/serve-time.txt")
read -r sv_s _ < <(printf '%s\n' "${serve_runs[@]}" | best)

echo "== push: kargo-offline push beside skopeo copy, each into a fresh, empty registry"
cat > "$work/skopeo-push.sh" <<SH
set -e
for i in \$(seq 0 $((images - 1))); do
  skopeo copy -q --dest-tls-verify=false "oci:$work/node/oci:$host/bench/img\$i:1" "docker://\$1/bench/img\$i:1"
done
SH
kargo_push=(); skopeo_push=()
for round in 1 2; do
  target=$(start_registry "$work/push-kargo-$round")
  kargo_push+=("$(measure dotnet "$work/bin/kargo-offline.dll" push "$work/node" --registry "$target" --insecure)")
  stop_registry "$work/push-kargo-$round"
  target=$(start_registry "$work/push-skopeo-$round")
  skopeo_push+=("$(measure bash "$work/skopeo-push.sh" "$target")")
  stop_registry "$work/push-skopeo-$round"
done
read -r p_s p_kib < <(printf '%s\n' "${kargo_push[@]}" | best)
read -r sp_s sp_kib < <(printf '%s\n' "${skopeo_push[@]}" | best)
read -r dr_s dr_kib < <(printf '%s\n' "${dist_runs[@]}" | best)

echo "== kargo-offline --version of the published single file (best of 5)"
KARGO_PUBLISH_DIR=$work/pub KARGO_PUBLISH_PROGRAMS=Kargo.Offline bash scripts/publish.sh linux-x64 > /dev/null
ver_s=$(for _ in 1 2 3 4 5; do /usr/bin/time -f %e "$work/pub/linux-x64/kargo-offline" --version 2>&1 >/dev/null | tail -1; done | sort -n | head -1)

bundle=$(stat -c %s "$work/kargo.kargo")
awk -v c="$content" -v b="$bundle" -v ks="$k_s" -v kk="$k_kib" -v ws="$w_s" -v wk="$w_kib" -v ss="$s_s" -v sk="$s_kib" \
    -v rs="$r_s" -v rk="$r_kib" -v rb="${r_bytes:-0}" -v us="$u_s" -v uk="$u_kib" \
    -v vs="$v_s" -v vk="$v_kib" -v hs="$h_s" -v hk="$h_kib" -v os="$o_s" -v ok="$o_kib" \
    -v svs="$sv_s" -v svk="$sv_kib" -v drs="$dr_s" -v ps="$p_s" -v pk="$p_kib" -v sps="$sp_s" -v spk="$sp_kib" \
    -v ffs="$ff_s" -v rds="$rd_s" -v wrs="$wr_s" -v txs="$tx_s" -v sfs="$sf_s" -v s8s="$s8_s" -v d8s="$d8_s" -v s1s="$s1_s" -v vers="$ver_s" 'BEGIN {
  mib = 1048576
  peak = max(max(max(kk, wk), max(rk, vk)), max(max(uk, svk), pk))
  printf "\ncontent: %.0f MiB in the registry; bundle: %.0f MiB\n\n", c/mib, b/mib
  printf "| %-44s | %8s | %9s | %13s |\n", "step", "seconds", "MiB/s", "peak RSS MiB"
  printf "|%s|%s|%s|%s|\n", "----------------------------------------------", "----------", "-----------", "---------------"
  row("kargo-bundle build (cold cache)", ks, b/mib/ks, kk/1024)
  row("kargo-bundle build (warm cache)", ws, b/mib/ws, wk/1024)
  row("skopeo copy -> oci layout + tar", ss, b/mib/ss, sk/1024)
  row("kargo-bundle rebuild, one image changed", rs, b/mib/rs, rk/1024)
  row("kargo-offline verify (signed bundle)", vs, b/mib/vs, vk/1024)
  row("sha256sum", hs, b/mib/hs, hk/1024)
  row("openssl dgst -sha256", os, b/mib/os, ok/1024)
  row("kargo-offline unpack", us, b/mib/us, uk/1024)
  row("skopeo copy out of kargo-offline serve", svs, b/mib/svs, svk/1024)
  printf "| %-44s | %8.2f | %9.0f | %13s |\n", "skopeo copy out of distribution", drs, b/mib/drs, "-"
  row("kargo-offline push (into distribution)", ps, b/mib/ps, pk/1024)
  row("skopeo copy oci layout -> distribution", sps, b/mib/sps, spk/1024)
  row("floor: 8 curl, every blob into one file", ffs, b/mib/ffs, 0)
  row("floor: cat of the bundle", rds, b/mib/rds, 0)
  row("floor: dd of as much, conv=fdatasync", wrs, b/mib/wrs, 0)
  row("floor: tar -xf of the bundle", txs, b/mib/txs, 0)
  row("floor: cat of every blob file", sfs, b/mib/sfs, 0)
  row("curl every blob through serve, 1 client", s1s, b/mib/s1s, 0)
  printf "| %-44s | %8.2f | %9.0f | %13s |\n", "8 clients, every blob, through serve", s8s, 8*b/mib/s8s, "-"
  printf "| %-44s | %8.2f | %9.0f | %13s |\n", "8 clients, every blob, through distribution", d8s, 8*b/mib/d8s, "-"
  printf "\npeers:\n"
  printf "  build: skopeo pipeline / kargo build (cold):  %.2fx\n", ss/ks
  printf "  rebuild with one image changed: %.0f MiB fetched of %.0f MiB\n", rb/mib, c/mib
  printf "  serve, skopeo copy out: distribution / serve: %.2fx\n", drs/svs
  printf "install, one pass (verify + unpack: every byte read once, hashed and written): %.1f s for %.0f MiB, against %.1f s to read it (cat) and %.1f s to write as much (dd)\n", us, b/mib, rds, wrs
  printf "goals (ratio, goal, met):\n"
  goal("cold build / fetch floor", ffs/ks, 0.8)
  goal("unpack / tar -xf", txs/us, 0.8)
  goal("verify / openssl sha256", os/vs, 0.95)
  goal("push / skopeo copy", sps/ps, 1.2)
  goal("serve / distribution, 8 clients", d8s/s8s, 1.2)
  printf "  %-44s %6.0f MiB  (goal: < 150 MiB)  %s\n", "peak RSS of kargo commands", peak/1024, (peak/1024 < 150 ? "met" : "MISSED")
  printf "  %-44s %6.0f ms   (goal: < 100 ms)   %s\n", "kargo-offline --version, single file", vers*1000, (vers < 0.1 ? "met" : "MISSED")
}
function goal(label, ratio, want) { printf "  %-44s %6.2fx     (goal: >= %.2fx)  %s\n", label, ratio, want, (ratio >= want ? "met" : "MISSED") }
function row(label, seconds, rate, rss) { printf "| %-44s | %8.2f | %9.0f | %13.0f |\n", label, seconds, rate, rss }
function max(a, b) { return a > b ? a : b }'
