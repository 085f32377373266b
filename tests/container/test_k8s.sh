#!/usr/bin/env bash
# deploy/k8s, offline: structure/reference/policy checks (validate_k8s.py), `kubectl kustomize`
# when a kubectl is installed (Debian 12 has none), `wsgid check` of the ConfigMap's profile in
# the image, and the image run under the Deployment's constraints (read-only root, uid 10001,
# all capabilities dropped, no-new-privileges, default seccomp, /tmp a tmpfs) answering the
# probes, even with an app that fails every request: the probe never touches the app.
source "$(dirname "$0")/lib.sh"

k8s=$repo/deploy/k8s
/usr/bin/python3 "$here/validate_k8s.py" "$k8s"
read -r ready_path live_path probe_host probe_port < <(/usr/bin/python3 "$here/validate_k8s.py" "$k8s" --print-probe)
# No Host header in the probes: the kubelet then sends the pod's IP, which names no site.
[ "$probe_host" = - ] && probe_host=10.244.1.7

if command -v kubectl >/dev/null; then
  kinds=$(kubectl kustomize "$k8s" | awk '/^kind:/ { print $2 }' | sort | tr '\n' ' ')
  [ "$kinds" = "ConfigMap Deployment HorizontalPodAutoscaler PodDisruptionBudget Service " ] ||
    fail "kubectl kustomize produced: $kinds"
  ok "kubectl kustomize builds: $kinds"
else
  echo "skip: kubectl not installed; kustomize build not checked (validate_k8s.py emulates the generator)"
fi

$DOCKER run --rm --label wsgid.ci=1 -v "$k8s/site.toml:/etc/wsgid/site.toml:ro" \
  --entrypoint /usr/local/bin/wsgid "$image" check /etc/wsgid/site.toml
ok "wsgid check accepts the ConfigMap's profile inside the image"

broken="$scratch/broken-app"
mkdir -p "$broken/static"
printf 'def application(environ, start_response):\n    raise RuntimeError("broken app")\n' \
  >"$broken/wsgi.py"
cid=""
trap 'remove_container "$cid"' EXIT
cid=$(start_container --read-only --tmpfs /tmp:rw,size=64m --user 10001:10001 --cap-drop ALL \
  --security-opt no-new-privileges \
  -v "$k8s/site.toml:/etc/wsgid/site.toml:ro" -v "$broken:/srv/app:ro")
wait_serving "$cid" "$ready_path" "$probe_host" 30
port=$(published_port "$cid")
[ "$(http_status "http://127.0.0.1:$port$live_path" "$probe_host")" = 200 ] || fail "liveness $live_path"
app_status=$(http_status "http://127.0.0.1:$port/" localhost)
[ "$app_status" -ge 500 ] || fail "the broken app answered $app_status, expected a 5xx"
ok "readiness $ready_path and liveness $live_path (Host $probe_host) answer 200 under the pod's constraints while the app itself fails ($app_status)"
