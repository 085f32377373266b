#!/usr/bin/python3
"""Offline checks of deploy/k8s (no cluster, no network): what kubectl/kustomize is not needed for.

1. Structure: every manifest the kustomization lists parses, is a known apiVersion/kind, and
   uses only fields of that kind's schema (a hand-written subset of the Kubernetes API covering
   the fields a web Deployment uses: a misspelt or misplaced key is an error, with its path),
   with the right value types. The schema is a subset: a valid field we never use is reported as
   unknown, so extending the manifests may mean extending SCHEMAS below.
2. References: selectors match the pod labels, ports and volumes named where used exist, the
   HPA targets the Deployment, the ConfigMap the generator makes is the one mounted, the
   profile key is projected to the path the container's args name.
3. Policy (issue 6): non-root, read-only root, all capabilities dropped, no privilege
   escalation, seccomp RuntimeDefault, requests and limits, readiness/liveness probes that
   cannot reach the app (the profile's [server.health] endpoints, wsgid-ready/wsgid-health locations, or a
   static /-/ mount) with
   a Host the profile serves, a rollout that never drops
   below the desired ready pods, terminationGracePeriodSeconds > preStop + graceful_stop_timeout + the launcher's
   escalation.

Usage: validate_k8s.py DIR [--print-probe]   (--print-probe prints "READY LIVE HOST PORT" for the
shell test that then probes a container run with the same constraints).
"""

import re
import sys
import tomllib
from pathlib import Path

import yaml

# --- schema subset ----------------------------------------------------------------------------
# A spec is a type name, a dict of field -> spec (a trailing "!" marks a required field), or a
# one-element list [spec] for "array of spec".
STR, INT, BOOL, QTY, INTSTR, MAP = "string", "integer", "boolean", "quantity", "int-or-string", "map"

METADATA = {"name": STR, "namespace": STR, "labels": MAP, "annotations": MAP}
LABEL_SELECTOR = {"matchLabels": MAP, "matchExpressions": [{"key!": STR, "operator!": STR, "values": [STR]}]}
HTTP_GET = {"path": STR, "port!": INTSTR, "host": STR, "scheme": STR,
            "httpHeaders": [{"name!": STR, "value!": STR}]}
EXEC = {"command": [STR]}
PROBE = {"httpGet": HTTP_GET, "exec": EXEC, "tcpSocket": {"port!": INTSTR, "host": STR},
         "initialDelaySeconds": INT, "periodSeconds": INT, "timeoutSeconds": INT,
         "successThreshold": INT, "failureThreshold": INT, "terminationGracePeriodSeconds": INT}
HANDLER = {"exec": EXEC, "httpGet": HTTP_GET, "sleep": {"seconds!": INT}}
SECCOMP = {"type!": STR, "localhostProfile": STR}
CONTAINER_SC = {"allowPrivilegeEscalation": BOOL, "readOnlyRootFilesystem": BOOL,
                "runAsNonRoot": BOOL, "runAsUser": INT, "runAsGroup": INT, "privileged": BOOL,
                "capabilities": {"add": [STR], "drop": [STR]}, "seccompProfile": SECCOMP,
                "procMount": STR}
CONTAINER = {
    "name!": STR, "image!": STR, "imagePullPolicy": STR, "command": [STR], "args": [STR],
    "workingDir": STR,
    "ports": [{"name": STR, "containerPort!": INT, "protocol": STR, "hostPort": INT}],
    "env": [{"name!": STR, "value": STR, "valueFrom": "any"}],
    "envFrom": ["any"],
    "resources": {"requests": {"cpu": QTY, "memory": QTY, "ephemeral-storage": QTY},
                  "limits": {"cpu": QTY, "memory": QTY, "ephemeral-storage": QTY}},
    "volumeMounts": [{"name!": STR, "mountPath!": STR, "readOnly": BOOL, "subPath": STR}],
    "livenessProbe": PROBE, "readinessProbe": PROBE, "startupProbe": PROBE,
    "lifecycle": {"preStop": HANDLER, "postStart": HANDLER},
    "securityContext": CONTAINER_SC, "terminationMessagePolicy": STR,
}
POD_SPEC = {
    "containers!": [CONTAINER], "initContainers": [CONTAINER],
    "volumes": [{"name!": STR,
                 "configMap": {"name!": STR, "items": [{"key!": STR, "path!": STR, "mode": INT}],
                               "defaultMode": INT, "optional": BOOL},
                 "emptyDir": {"medium": STR, "sizeLimit": QTY},
                 "secret": {"secretName!": STR, "items": ["any"], "defaultMode": INT}}],
    "securityContext": {"runAsNonRoot": BOOL, "runAsUser": INT, "runAsGroup": INT,
                        "fsGroup": INT, "supplementalGroups": [INT], "seccompProfile": SECCOMP,
                        "fsGroupChangePolicy": STR},
    "terminationGracePeriodSeconds": INT, "automountServiceAccountToken": BOOL,
    "enableServiceLinks": BOOL, "serviceAccountName": STR, "nodeSelector": MAP,
    "affinity": "any", "tolerations": ["any"], "priorityClassName": STR,
    "topologySpreadConstraints": [{"maxSkew!": INT, "topologyKey!": STR,
                                   "whenUnsatisfiable!": STR, "labelSelector": LABEL_SELECTOR}],
}
SCHEMAS = {
    ("apps/v1", "Deployment"): {
        "apiVersion!": STR, "kind!": STR, "metadata!": METADATA,
        "spec!": {"replicas": INT, "revisionHistoryLimit": INT, "minReadySeconds": INT,
                  "progressDeadlineSeconds": INT, "selector!": LABEL_SELECTOR,
                  "strategy": {"type": STR, "rollingUpdate": {"maxUnavailable": INTSTR,
                                                              "maxSurge": INTSTR}},
                  "template!": {"metadata": METADATA, "spec!": POD_SPEC}}},
    ("v1", "Service"): {
        "apiVersion!": STR, "kind!": STR, "metadata!": METADATA,
        "spec!": {"type": STR, "selector": MAP, "sessionAffinity": STR,
                  "ports!": [{"name": STR, "port!": INT, "targetPort": INTSTR,
                              "protocol": STR, "nodePort": INT, "appProtocol": STR}]}},
    ("policy/v1", "PodDisruptionBudget"): {
        "apiVersion!": STR, "kind!": STR, "metadata!": METADATA,
        "spec!": {"minAvailable": INTSTR, "maxUnavailable": INTSTR, "selector!": LABEL_SELECTOR,
                  "unhealthyPodEvictionPolicy": STR}},
    ("autoscaling/v2", "HorizontalPodAutoscaler"): {
        "apiVersion!": STR, "kind!": STR, "metadata!": METADATA,
        "spec!": {"scaleTargetRef!": {"apiVersion": STR, "kind!": STR, "name!": STR},
                  "minReplicas": INT, "maxReplicas!": INT,
                  "metrics": [{"type!": STR,
                               "resource": {"name!": STR,
                                            "target!": {"type!": STR, "averageUtilization": INT,
                                                        "averageValue": QTY, "value": QTY}}}],
                  "behavior": {d: {"stabilizationWindowSeconds": INT, "selectPolicy": STR,
                                   "policies": [{"type!": STR, "value!": INT,
                                                 "periodSeconds!": INT}]}
                               for d in ("scaleUp", "scaleDown")}}},
}
KUSTOMIZATION = {
    "apiVersion": STR, "kind": STR, "resources": [STR], "namespace": STR, "namePrefix": STR,
    "configMapGenerator": [{"name!": STR, "files": [STR], "literals": [STR], "behavior": STR}],
    "images": [{"name!": STR, "newName": STR, "newTag": STR, "digest": STR}],
    "labels": ["any"], "patches": ["any"],
}

# After graceful_stop_timeout the launcher SIGTERMs httpd, then SIGKILLs it this much later
# (docs/cli.md, "Signals during run").
ESCALATION_SECONDS = 5

QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

errors = []


def error(where, message):
    errors.append(f"{where}: {message}")


def check_type(value, spec, path, where):
    if spec == "any":
        return
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return error(where, f"{path}: expected an object, got {type(value).__name__}")
        fields = {k.rstrip("!"): v for k, v in spec.items()}
        for key in spec:
            if key.endswith("!") and key[:-1] not in value:
                error(where, f"{path}.{key[:-1]}: required field missing")
        for key, child in value.items():
            if key not in fields:
                error(where, f"{path}.{key}: unknown field (known: {', '.join(sorted(fields))})")
            else:
                check_type(child, fields[key], f"{path}.{key}", where)
        return
    if isinstance(spec, list):
        if not isinstance(value, list):
            return error(where, f"{path}: expected an array")
        for i, item in enumerate(value):
            check_type(item, spec[0], f"{path}[{i}]", where)
        return
    ok = {
        STR: lambda v: isinstance(v, str),
        INT: lambda v: isinstance(v, int) and not isinstance(v, bool),
        BOOL: lambda v: isinstance(v, bool),
        QTY: lambda v: (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, str) and QUANTITY.match(v)),
        INTSTR: lambda v: isinstance(v, (int, str)) and not isinstance(v, bool),
        MAP: lambda v: isinstance(v, dict) and all(isinstance(x, str) for x in v.values()),
    }[spec]
    if not ok(value):
        error(where, f"{path}: expected {spec}, got {value!r}")


def duration_seconds(text):
    match = re.fullmatch(r"(\d+)(s|m|h)", text)
    return int(match[1]) * {"s": 1, "m": 60, "h": 3600}[match[2]] if match else None


def main():
    directory = Path(sys.argv[1])
    kfile = directory / "kustomization.yaml"
    kustomization = yaml.safe_load(kfile.read_text())
    check_type(kustomization, KUSTOMIZATION, "kustomization", kfile.name)

    objects = {}
    for name in kustomization.get("resources", []):
        path = directory / name
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is None:
                continue
            key = (doc.get("apiVersion"), doc.get("kind"))
            schema = SCHEMAS.get(key)
            if schema is None:
                error(name, f"unexpected apiVersion/kind {key} (known: {sorted(SCHEMAS)})")
                continue
            check_type(doc, schema, doc["kind"], name)
            meta_name = doc.get("metadata", {}).get("name", "")
            if not DNS_LABEL.match(meta_name):
                error(name, f"metadata.name {meta_name!r} is not a DNS label")
            objects[doc["kind"]] = doc

    for kind in ("Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler"):
        if kind not in objects:
            error("kustomization", f"no {kind} among the resources")
    if errors:
        return finish()

    deploy, service = objects["Deployment"], objects["Service"]
    pdb, hpa = objects["PodDisruptionBudget"], objects["HorizontalPodAutoscaler"]
    spec = deploy["spec"]
    pod = spec["template"]["spec"]
    pod_labels = spec["template"]["metadata"].get("labels", {})

    # --- references ---------------------------------------------------------------------------
    def selects(selector, where):
        for k, v in selector.items():
            if pod_labels.get(k) != v:
                error(where, f"selector {k}={v} does not match the pod template's labels")

    selects(spec["selector"].get("matchLabels", {}), "deployment.yaml")
    selects(service["spec"].get("selector", {}), "service.yaml")
    selects(pdb["spec"]["selector"].get("matchLabels", {}), "pdb.yaml")
    target = hpa["spec"]["scaleTargetRef"]
    if (target["kind"], target["name"]) != ("Deployment", deploy["metadata"]["name"]):
        error("hpa.yaml", f"scaleTargetRef {target} is not the Deployment")

    containers = pod["containers"]
    if len(containers) != 1:
        error("deployment.yaml", "expected exactly one container")
    container = containers[0]
    ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    for p in service["spec"]["ports"]:
        tp = p.get("targetPort", p["port"])
        if tp not in ports and tp not in ports.values():
            error("service.yaml", f"targetPort {tp!r} is no container port")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = {m["mountPath"]: m for m in container.get("volumeMounts", [])}
    for m in container.get("volumeMounts", []):
        if m["name"] not in volumes:
            error("deployment.yaml", f"volumeMount {m['name']!r} names no volume")

    generated = {g["name"]: g for g in kustomization.get("configMapGenerator", [])}
    profile_path = None
    for v in volumes.values():
        if "configMap" in v:
            cm = v["configMap"]["name"]
            if cm not in generated:
                error("deployment.yaml", f"configMap {cm!r} is not generated by the kustomization")
                continue
            keys = {Path(f.split("=")[-1]).name: f.split("=")[-1] for f in generated[cm].get("files", [])}
            mount = next((m for m in mounts.values() if m["name"] == v["name"]), None)
            for item in v["configMap"].get("items", []):
                if item["key"] not in keys:
                    error("deployment.yaml", f"configMap key {item['key']!r} is not generated")
                elif mount:
                    profile_path = (mount["mountPath"].rstrip("/") + "/" + item["path"], keys[item["key"]])
    if not profile_path:
        return finish(error("deployment.yaml", "no site profile mounted from the generated ConfigMap"))
    if profile_path[0] not in container.get("args", []) + container.get("command", []):
        error("deployment.yaml", f"the container's args do not name the mounted profile {profile_path[0]}")
    profile = tomllib.loads((directory / profile_path[1]).read_text())

    # --- policy -------------------------------------------------------------------------------
    psc, csc = pod.get("securityContext", {}), container.get("securityContext", {})
    need = [
        (psc.get("runAsNonRoot") is True or csc.get("runAsNonRoot") is True, "runAsNonRoot: true"),
        ((csc.get("runAsUser") or psc.get("runAsUser") or 0) > 0, "a non-zero runAsUser"),
        (csc.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem: true"),
        (csc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation: false"),
        (csc.get("capabilities", {}).get("drop") == ["ALL"] and not csc["capabilities"].get("add"),
         "capabilities: drop [ALL], add nothing"),
        ((csc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type") == "RuntimeDefault",
         "seccompProfile RuntimeDefault"),
        (all(k in container.get("resources", {}).get(s, {}) for s in ("requests", "limits")
             for k in ("cpu", "memory")), "cpu and memory requests and limits"),
        (pod.get("automountServiceAccountToken") is False, "automountServiceAccountToken: false"),
    ]
    for good, what in need:
        if not good:
            error("deployment.yaml", f"policy: needs {what}")
    writable = [m for m in mounts.values() if not m.get("readOnly")]
    tmp = [m for m in writable if m["mountPath"] == "/tmp" and "emptyDir" in volumes[m["name"]]]
    if not tmp:
        error("deployment.yaml", "policy: /tmp (the launcher's runtime dir) must be an emptyDir")

    ru = spec.get("strategy", {}).get("rollingUpdate", {})
    if spec.get("strategy", {}).get("type", "RollingUpdate") != "RollingUpdate" or ru.get("maxUnavailable") not in (0, "0%"):
        error("deployment.yaml", "policy: a RollingUpdate with maxUnavailable 0 (no capacity lost on rollout)")
    if hpa["spec"].get("minReplicas", 1) < 2:
        error("hpa.yaml", "policy: minReplicas >= 2, so a PDB eviction leaves a pod serving")
    if pdb["spec"].get("maxUnavailable") not in (1, "1") and "minAvailable" not in pdb["spec"]:
        error("pdb.yaml", "policy: one pod at a time")

    # Probes must not reach the app: each path is either a mod_wsgid handler location from the
    # profile's raw_directives (<Location "P"> SetHandler wsgid-ready|wsgid-health) or under a
    # static mount below /-/. Liveness must not use wsgid-ready, which is 503 while a pod starts
    # or drains: the kubelet would restart pods for doing their job.
    statics, names, handlers = {}, set(), {}
    server = profile.get("server", {})
    # [server.health]: rendered in every virtual host, so any Host header reaches them.
    health = server.get("health", {})
    any_host = set()
    for key, default, handler in (("liveness", "/-/healthz", "wsgid-health"),
                                  ("readiness", "/-/readyz", "wsgid-ready")):
        path = health.get(key, default)
        if path != "off":
            handlers[path] = handler
            any_host.add(path)
    raw = server.get("raw_directives", [])
    for i, line in enumerate(raw):
        match = re.fullmatch(r'\s*<Location\s+"?([^">]+)"?\s*>\s*', line)
        if match:
            for inner in raw[i + 1:]:
                if re.fullmatch(r"\s*</Location>\s*", inner):
                    break
                handler = re.fullmatch(r"\s*SetHandler\s+(wsgid-(?:ready|health))\s*", inner)
                if handler:
                    handlers[match[1]] = handler[1]
    for site in profile.get("site", []):
        statics.update(site.get("static", {}))
        names.add(site.get("server_name"))
        names.update(site.get("aliases", []))
    static_health = [url for url in statics if url.startswith("/-/")]
    probe_info = {}
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        probe = container.get(kind)
        if not probe:
            if kind != "startupProbe":
                error("deployment.yaml", f"policy: needs a {kind}")
            continue
        if "httpGet" not in probe:
            error("deployment.yaml", f"policy: {kind} should be an httpGet")
            continue
        get = probe["httpGet"]
        path = get.get("path", "/")
        host = next((h["value"] for h in get.get("httpHeaders", []) if h["name"].lower() == "host"), None)
        handler = next((h for p, h in handlers.items() if path == p or path.startswith(p + "/")), None)
        if handler is None and not any(path.startswith(url + "/") for url in static_health):
            error("deployment.yaml", f"{kind} path {path!r} is neither a wsgid-ready/wsgid-health "
                  f"location ({handlers or 'none'}) nor under a static /-/ mount "
                  f"({static_health or 'none'}) of the profile: it would reach the app")
        if kind == "livenessProbe" and handler == "wsgid-ready":
            error("deployment.yaml", "livenessProbe must not use wsgid-ready (503 while starting "
                  "or draining would get pods restarted); use wsgid-health")
        if kind == "readinessProbe" and handler == "wsgid-health":
            # A warning while mod_wsgid's daemons do not yet publish their state to wsgid-ready.
            print("validate_k8s: warning: readinessProbe uses wsgid-health, which is 200 before "
                  "the daemons accept; use a wsgid-ready location once it reports daemon state",
                  file=sys.stderr)
        if host not in names and path not in any_host:
            error("deployment.yaml", f"{kind} Host {host!r} is no server_name/alias of the profile "
                  f"({sorted(names)}): the catch-all vhost would answer 403")
        port = ports.get(get["port"], get["port"])
        listen = server.get("listen", "0.0.0.0:8080")
        listen = [listen] if isinstance(listen, str) else listen
        if not any(l.rsplit(":", 1)[1] == str(port) for l in listen):
            error("deployment.yaml", f"{kind} port {port} is not one the profile listens on ({listen})")
        probe_info[kind] = (path, host, port)

    grace = pod.get("terminationGracePeriodSeconds", 30)
    drain = duration_seconds(profile.get("server", {}).get("graceful_stop_timeout", "30s"))
    pre = container.get("lifecycle", {}).get("preStop", {})
    pause = pre.get("sleep", {}).get("seconds", 0)
    command = pre.get("exec", {}).get("command", [])
    if command[:1] == ["sleep"] and len(command) == 2 and command[1].isdigit():
        pause = int(command[1])
    if drain is None:
        error("site.toml", "graceful_stop_timeout is not a duration like \"25s\"")
    elif grace <= pause + drain + ESCALATION_SECONDS:
        error("deployment.yaml", f"terminationGracePeriodSeconds {grace} must exceed preStop "
              f"{pause} s + graceful_stop_timeout {drain} s + the launcher's {ESCALATION_SECONDS} s "
              "SIGTERM-to-SIGKILL escalation, or draining pods are SIGKILLed by the kubelet")

    if "--print-probe" in sys.argv and not errors:
        ready, live = probe_info["readinessProbe"], probe_info["livenessProbe"]
        # "-": no Host header needed (a [server.health] endpoint answers in every vhost).
        print(ready[0], live[0], ready[1] or "-", ready[2])
    return finish()


def finish(_=None):
    for e in errors:
        print(f"validate_k8s: {e}", file=sys.stderr)
    if errors:
        print(f"validate_k8s: {len(errors)} problem(s)", file=sys.stderr)
        return 1
    if "--print-probe" not in sys.argv:
        print("validate_k8s: deploy/k8s passes the structure, reference and policy checks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
