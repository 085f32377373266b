#!/usr/bin/env bash
# The image serves HTTPS and HTTP/2 with a certificate mounted read-only (issue 14 items 1, 2):
# a CA and a leaf made here with openssl, a profile naming them, TLS 1.2+ on 8443 with h2 by
# ALPN, plain HTTP on 8080 redirected but for the health probes, all as uid 10001.
source "$(dirname "$0")/lib.sh"

cids=()
trap 'for c in "${cids[@]}"; do remove_container "$c"; done' EXIT

work="$scratch/tls"
mkdir -p "$work/tls"
(
  cd "$work/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj "/CN=wsgid container CA" -keyout ca.key -out ca.crt 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
    -keyout site.key -out site.csr 2>/dev/null
  printf 'subjectAltName=DNS:localhost\nbasicConstraints=critical,CA:FALSE\n' >leaf.ext
  openssl x509 -req -in site.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 \
    -extfile leaf.ext -out site.crt 2>/dev/null
  rm ca.key site.csr leaf.ext
  # The container runs as uid 10001: it must read the key (0600 and owned by it in production).
  chmod 0644 site.crt site.key ca.crt
)
cat >"$work/site.toml" <<'TOML'
[server]
listen = "0.0.0.0:8080"

[server.tls]
listen = "0.0.0.0:8443"
certificate = "/etc/wsgid/tls/site.crt"
key = "/etc/wsgid/tls/site.key"
hsts = "1y"
redirect_http = true

[[site]]
name = "own"
server_name = "localhost"
app = "/srv/app/wsgi.py"
TOML
chmod 0755 "$work" "$work/tls"; chmod 0644 "$work/site.toml"

cid=$($DOCKER run -d --label wsgid.ci=1 --read-only --tmpfs /tmp -p 127.0.0.1::8080 \
  -p 127.0.0.1::8443 -v "$work/site.toml:/etc/wsgid/site.toml:ro" \
  -v "$work/tls:/etc/wsgid/tls:ro" -v "$here/site/app:/srv/app:ro" "$image")
cids+=("$cid")
wait_serving "$cid" /-/healthz localhost 30
port=$(published_port "$cid")
tls_port=$($DOCKER port "$cid" 8443/tcp | head -n1 | sed 's/.*://')

curl_tls() {
  curl -sS -m 10 --cacert "$work/tls/ca.crt" --resolve "localhost:$tls_port:127.0.0.1" "$@"
}
deadline=$((SECONDS + 30))
until body=$(curl_tls --http2 "https://localhost:$tls_port/" 2>/dev/null); do
  [ $SECONDS -lt $deadline ] || { $DOCKER logs "$cid" >&2; fail "no HTTPS answer in 30 s"; }
  sleep 0.2
done
[ "$body" = "own app served" ] || fail "HTTPS body: $body"
version=$(curl_tls --http2 -o /dev/null -w '%{http_version}' "https://localhost:$tls_port/")
[ "$version" = 2 ] || fail "HTTP version over TLS: $version (h2 expected)"
hsts=$(curl_tls -D - -o /dev/null "https://localhost:$tls_port/" | tr -d '\r' | grep -i '^strict-transport-security:' || true)
[ "$hsts" = "strict-transport-security: max-age=31536000" ] || fail "HSTS header: $hsts"
curl_tls --tlsv1.2 --tls-max 1.2 -o /dev/null "https://localhost:$tls_port/" || fail "TLS 1.2 refused"
ok "HTTPS with the mounted certificate: h2, TLS 1.2 and 1.3, HSTS"

location=$(curl -s -m 5 -o /dev/null -w '%{redirect_url}' -H "Host: localhost" "http://127.0.0.1:$port/x?y=1")
[ "$location" = "https://localhost:8443/x?y=1" ] || fail "redirect: $location"
[ "$(http_status "http://127.0.0.1:$port/-/healthz")" = 200 ] || fail "health probe redirected"
ok "HTTP redirects to https://localhost:8443/, the health probe still answers on 8080"

uids=$($DOCKER top "$cid" -eo pid,uid,comm | awk 'NR > 1 { print $2 }' | sort -u | tr '\n' ' ')
[ "$uids" = "10001 " ] || fail "processes run as uids: $uids"
ok "every process runs as uid 10001"
