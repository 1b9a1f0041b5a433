#!/usr/bin/python3
"""Checks the Helm chart and the plain manifests without helm or a cluster (neither is in
Debian): the chart's metadata, that every .Values path a template uses exists in values.yaml,
that template actions are balanced, and that the manifests in packaging/kubernetes are well-formed
Kubernetes objects that agree with the chart (same kinds, the container's security settings,
volumes that exist, a ConfigMap that holds an auditrelay config). With --binary, each config in
a ConfigMap is checked by `auditrelay validate`.

Usage: lint-chart.py [--binary PATH]"""
import os
import re
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
CHART = os.path.join(HERE, "auditrelay")
MANIFESTS = os.path.join(HERE, "..", "kubernetes")
problems = []


def problem(msg):
    problems.append(msg)


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


def has_path(values, dotted):
    node = values
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def lint_chart():
    chart = load(os.path.join(CHART, "Chart.yaml"))
    for key in ("apiVersion", "name", "version", "appVersion"):
        if key not in chart:
            problem(f"Chart.yaml: missing {key}")
    if chart.get("apiVersion") != "v2":
        problem("Chart.yaml: apiVersion must be v2")
    if not re.fullmatch(r"\d+\.\d+\.\d+", str(chart.get("version", ""))):
        problem("Chart.yaml: version is not SemVer")
    values = load(os.path.join(CHART, "values.yaml"))
    if values.get("mode") not in ("daemonset", "sidecar"):
        problem("values.yaml: mode must be daemonset or sidecar")
    kinds = set()
    tdir = os.path.join(CHART, "templates")
    for name in sorted(os.listdir(tdir)):
        text = open(os.path.join(tdir, name)).read()
        where = f"templates/{name}"
        for ref in re.findall(r"\.Values\.([A-Za-z0-9_.]+)", text):
            if not has_path(values, ref):
                problem(f"{where}: .Values.{ref} is not in values.yaml")
        actions = re.findall(r"\{\{-?\s*(/\*|if|range|with|define|else|end)\b", text)
        depth = 0
        for a in actions:
            if a in ("if", "range", "with", "define"):
                depth += 1
            elif a == "end":
                depth -= 1
                if depth < 0:
                    problem(f"{where}: 'end' without an opening action")
        if depth != 0:
            problem(f"{where}: {depth} action(s) without 'end'")
        if text.count("{{") != text.count("}}"):
            problem(f"{where}: unbalanced {{{{ }}}}")
        kinds.update(re.findall(r"^kind: (\w+)", text, re.M))
    return values, kinds


def lint_container(c, volumes, where):
    for m in c.get("volumeMounts", []):
        if m.get("name") not in volumes:
            problem(f"{where}: volumeMount {m.get('name')} names no volume")
    if c.get("name") != "auditrelay":
        return  # coderd's own container in the sidecar patch: only its mounts are ours
    for key in ("name", "image"):
        if key not in c:
            problem(f"{where}: container lacks {key}")
    sc = c.get("securityContext", {})
    for key, want in (("runAsNonRoot", True), ("readOnlyRootFilesystem", True),
                      ("allowPrivilegeEscalation", False)):
        if sc.get(key) is not want:
            problem(f"{where}: securityContext.{key} should be {want}")
    for probe in ("livenessProbe", "readinessProbe"):
        if c["name"] == "auditrelay" and probe not in c:
            problem(f"{where}: no {probe}")
    if c["name"] == "auditrelay" and "resources" not in c:
        problem(f"{where}: no resource requests/limits")


def lint_manifests(chart_kinds, binary):
    configmaps = {}
    for root, _, files in os.walk(MANIFESTS):
        for name in sorted(files):
            if not name.endswith(".yaml"):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, MANIFESTS)
            for i, doc in enumerate(d for d in yaml.safe_load_all(open(path)) if d):
                where = f"kubernetes/{rel}[{i}]"
                for key in ("apiVersion", "kind", "metadata"):
                    if key not in doc:
                        problem(f"{where}: missing {key}")
                kind = doc.get("kind")
                is_patch = name.endswith("-patch.yaml")
                if not is_patch and kind not in chart_kinds:
                    problem(f"{where}: kind {kind} is not rendered by the chart")
                if kind == "ConfigMap":
                    configmaps[doc["metadata"]["name"]] = doc
                    if "auditrelay.yaml" not in doc.get("data", {}):
                        problem(f"{where}: ConfigMap without auditrelay.yaml")
                if kind in ("DaemonSet", "Deployment"):
                    spec = doc["spec"]["template"]["spec"]
                    volumes = {v["name"] for v in spec.get("volumes", [])}
                    if not is_patch:
                        sel = doc["spec"]["selector"]["matchLabels"]
                        labels = doc["spec"]["template"]["metadata"]["labels"]
                        if any(labels.get(k) != v for k, v in sel.items()):
                            problem(f"{where}: selector does not match the pod labels")
                    for c in spec.get("containers", []):
                        lint_container(c, volumes, f"{where} container {c.get('name')}")
                    for v in spec.get("volumes", []):
                        cm = v.get("configMap", {}).get("name")
                        if cm and cm not in configmaps and not any(
                                cm in open(os.path.join(r, f)).read()
                                for r, _, fs in os.walk(MANIFESTS) for f in fs):
                            problem(f"{where}: volume {v['name']} names ConfigMap {cm}, defined nowhere")
    if binary:
        for name, cm in configmaps.items():
            with tempfile.TemporaryDirectory() as tmp:
                text = cm["data"]["auditrelay.yaml"].replace("/var/lib/auditrelay", tmp)
                cfg = os.path.join(tmp, "auditrelay.yaml")
                open(cfg, "w").write(text)
                r = subprocess.run([binary, "validate", "--config", cfg], capture_output=True, text=True)
                if r.returncode != 0:
                    problem(f"ConfigMap {name}: auditrelay validate: {r.stderr.strip()}")


def main():
    binary = None
    if len(sys.argv) == 3 and sys.argv[1] == "--binary":
        binary = sys.argv[2]
    _, kinds = lint_chart()
    lint_manifests(kinds, binary)
    for p in problems:
        print("FAIL:", p)
    if problems:
        sys.exit(1)
    print(f"chart and manifests ok (chart kinds: {', '.join(sorted(kinds))})")


if __name__ == "__main__":
    main()
