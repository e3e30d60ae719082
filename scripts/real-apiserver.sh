#!/usr/bin/env bash
# A real Kubernetes API server for the install's cluster tests: kube-apiserver v1.20.2, built once
# from Debian bookworm's `kubernetes` source package (its orig tarball carries a complete vendor/,
# so Go builds it offline), with etcd 3.4 from Debian's `etcd-server`. No controller-manager,
# scheduler or kubelet: the tests' stand-in operators do through its API what the real ones do.
#
#   real-apiserver.sh build         build the binary into the cache unless it is there; print its path
#   real-apiserver.sh start DIR     start etcd and kube-apiserver on 127.0.0.1 with certificates,
#                                   logs and DIR/kubeconfig in DIR; print "ready DIR/kubeconfig" and
#                                   stay in the foreground until SIGTERM/SIGINT, then stop both
#
# KARGO_APISERVER_CACHE: where the binary is kept (default /var/cache/kargo-tests/kube-apiserver).
# Building takes 6-9 minutes on 2 cores (peak 1.3 GB RAM, 1.7 GB disk, removed afterwards).
set -euo pipefail

CACHE="${KARGO_APISERVER_CACHE:-/var/cache/kargo-tests/kube-apiserver}"
BINARY="$CACHE/kube-apiserver"
log() { echo "[real-apiserver] $*" >&2; }
die() { log "error: $*"; exit 1; }

install_packages() {
  local missing=() p
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 \
    || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; }
}

build() {
  [ -x "$BINARY" ] && { echo "$BINARY"; return 0; }
  install_packages golang-go golang-github-modern-go-reflect2-dev dpkg-dev make rsync
  # Sources of Debian 1.20.5+really1.20.2 (bookworm): the only suite whose kubernetes package has cmd/kube-apiserver and vendor/.
  if ! apt-cache showsrc kubernetes 2>/dev/null | grep -q '^Version: .*really1\.20'; then
    cat > /etc/apt/sources.list.d/kargo-tests-src.sources <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    apt-get update -q >&2
  fi
  local work; work=$(mktemp -d "${TMPDIR:-/tmp}/kube-apiserver-build.XXXXXX")
  trap 'rm -rf "$work"' RETURN
  ( cd "$work" && apt-get source --download-only kubernetes/bookworm >&2 )
  dpkg-source -x "$(ls "$work"/kubernetes_*.dsc | head -n 1)" "$work/src" >&2
  [ -d "$work/src/cmd/kube-apiserver" ] && [ -d "$work/src/vendor/k8s.io" ] || die "the source package has no cmd/kube-apiserver or vendor/"
  # 1.20 vendors modern-go/reflect2 v1.0.1, which breaks at run time on Go >= 1.18; Debian's 1.0.2 has the same API.
  rm -f "$work"/src/vendor/github.com/modern-go/reflect2/*.go "$work"/src/vendor/github.com/modern-go/reflect2/*.s
  cp /usr/share/gocode/src/github.com/modern-go/reflect2/*.go "$work/src/vendor/github.com/modern-go/reflect2/"
  log "building kube-apiserver with $(go version) (6-9 minutes)"
  ( cd "$work/src" && nice -n 10 env GOPROXY=off GOFLAGS= make WHAT=cmd/kube-apiserver >&2 )
  mkdir -p "$CACHE"
  cp "$work/src/_output/bin/kube-apiserver" "$BINARY.tmp"
  mv "$BINARY.tmp" "$BINARY"
  echo "$BINARY"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
    || echo $(( 20000 + RANDOM % 40000 ))
}

start() {
  local run="$1"
  [ -x "$BINARY" ] || build >/dev/null
  install_packages etcd-server openssl curl
  mkdir -p "$run/pki"
  local etcd_pid="" api_pid=""
  # kube-apiserver's graceful shutdown can outlive etcd: both are killed outright, they hold nothing worth keeping.
  stop() { trap - EXIT INT TERM; [ -n "$api_pid" ] && kill -9 "$api_pid" 2>/dev/null; [ -n "$etcd_pid" ] && kill -9 "$etcd_pid" 2>/dev/null; wait 2>/dev/null; exit 0; }
  trap stop EXIT INT TERM
  (
    cd "$run/pki"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 -subj /CN=kargo-tests-ca 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj /CN=kube-apiserver 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > ext.cnf
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt -days 30 -extfile ext.cnf 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  )
  local token; token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  echo "$token,admin,admin-uid,system:masters" > "$run/pki/tokens.csv"
  local etcd_port peer_port api_port
  etcd_port=$(free_port); peer_port=$(free_port); api_port=$(free_port)
  etcd --name kargo-tests --data-dir "$run/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "kargo-tests=http://127.0.0.1:$peer_port" --log-level warn --logger zap > "$run/etcd.log" 2>&1 &
  etcd_pid=$!
  # Loopback service range and aggregator routing: the server never dials an address off this machine.
  "$BINARY" --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" --insecure-port 0 \
    --tls-cert-file "$run/pki/apiserver.crt" --tls-private-key-file "$run/pki/apiserver.key" \
    --client-ca-file "$run/pki/ca.crt" --token-auth-file "$run/pki/tokens.csv" --authorization-mode RBAC \
    --service-account-key-file "$run/pki/sa.pub" --service-account-signing-key-file "$run/pki/sa.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local --api-audiences https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range 127.0.100.0/24 --enable-aggregator-routing=true \
    --disable-admission-plugins ServiceAccount --allow-privileged=true --profiling=false --cert-dir "$run/pki" \
    > "$run/kube-apiserver.log" 2>&1 &
  api_pid=$!
  echo "$etcd_pid $api_pid" > "$run/pids"
  cat > "$run/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kargo-tests
  cluster: {server: "https://127.0.0.1:$api_port", certificate-authority: "$run/pki/ca.crt"}
users:
- name: admin
  user: {token: "$token"}
contexts:
- name: kargo-tests
  context: {cluster: kargo-tests, user: admin}
current-context: kargo-tests
EOF
  local i
  for i in $(seq 1 600); do
    curl -fsS --cacert "$run/pki/ca.crt" -H "Authorization: Bearer $token" "https://127.0.0.1:$api_port/api/v1/namespaces/default" >/dev/null 2>&1 && break
    kill -0 "$api_pid" 2>/dev/null || { tail -n 20 "$run/kube-apiserver.log" >&2; die "kube-apiserver exited"; }
    kill -0 "$etcd_pid" 2>/dev/null || { tail -n 20 "$run/etcd.log" >&2; die "etcd exited"; }
    sleep 0.1
  done
  [ "$i" -lt 600 ] || die "kube-apiserver not ready after 60 s (see $run/kube-apiserver.log)"
  echo "ready $run/kubeconfig"
  wait "$api_pid"
}

case "${1:-}" in
  build) build ;;
  start) [ -n "${2:-}" ] || die "start needs a folder"; start "$2" ;;
  *) die "usage: $0 build | start DIR" ;;
esac
