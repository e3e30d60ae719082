# Shared by bench.sh and demo.sh: a throwaway CNCF registry, and random OCI images built by hand
# (tar, zstd, sha256sum) in an OCI layout at $seed, pushed with skopeo. Needs $work set.

start_registry() { # folder -> prints HOST:PORT of a fresh CNCF registry storing there; its pid goes to $folder.pid
  local dir=$1 port=
  mkdir -p "$dir/data"
  cat > "$dir/registry.yml" <<YAML
version: 0.1
log: {level: info, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $dir/data}}
http: {addr: 127.0.0.1:0}
YAML
  docker-registry serve "$dir/registry.yml" > "$dir/registry.log" 2>&1 &
  echo $! > "$dir.pid"
  for _ in $(seq 100); do
    port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$dir/registry.log" | grep -o '[0-9]*$' || true)
    [ -n "$port" ] && break; sleep 0.05
  done
  [ -n "$port" ] || { echo "the registry did not start" >&2; cat "$dir/registry.log" >&2; exit 1; }
  echo "127.0.0.1:$port"
}
stop_registry() { kill "$(cat "$1.pid")" 2>/dev/null || true; }

start_seed() { # an empty OCI layout at $seed to add images to
  seed=$work/seed; mkdir -p "$seed/blobs/sha256"
  echo '{"imageLayoutVersion":"1.0.0"}' > "$seed/oci-layout"
  index='{"schemaVersion":2,"manifests":['; sep=
}
end_seed() { echo "$index]}" > "$seed/index.json"; rm -f "$work/data.bin" "$work/layer.tar"; }

new_layer() { # -> appends a random layer of $layer_bytes bytes to $seed; sets layer_json and diff_ids
  head -c "$layer_bytes" /dev/urandom > "$work/data.bin"
  tar -cf "$work/layer.tar" -C "$work" data.bin
  local diff_id d s
  diff_id=$(sha256sum "$work/layer.tar" | cut -c1-64)
  zstd -1 -q -f "$work/layer.tar" -o "$work/layer.tar.zst"
  d=$(sha256sum "$work/layer.tar.zst" | cut -c1-64); s=$(stat -c %s "$work/layer.tar.zst")
  mv "$work/layer.tar.zst" "$seed/blobs/sha256/$d"
  layer_json="${layer_json:+$layer_json,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\",\"digest\":\"sha256:$d\",\"size\":$s}"
  diff_ids="${diff_ids:+$diff_ids,}\"sha256:$diff_id\""
}
add_image() { # ref name -> writes config and manifest over $layer_json/$diff_ids into $seed's index
  local cd_ cs md ms
  printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[%s]}}' "$diff_ids" > "$work/config.json"
  cd_=$(sha256sum "$work/config.json" | cut -c1-64); cs=$(stat -c %s "$work/config.json"); mv "$work/config.json" "$seed/blobs/sha256/$cd_"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' "$cd_" "$cs" "$layer_json" > "$work/manifest.json"
  md=$(sha256sum "$work/manifest.json" | cut -c1-64); ms=$(stat -c %s "$work/manifest.json"); mv "$work/manifest.json" "$seed/blobs/sha256/$md"
  index="$index$sep{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$md\",\"size\":$ms,\"annotations\":{\"org.opencontainers.image.ref.name\":\"$1\"}}"; sep=,
}

