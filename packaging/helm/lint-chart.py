#!/usr/bin/python3
"""Checks the Helm chart and the plain manifests without helm or a cluster (neither is in
Debian): the chart's metadata, that every .Values path a template uses exists in values.yaml,
that template actions are balanced, and that the manifests in packaging/kubernetes are well-formed
Kubernetes objects that agree with the chart (same kinds, the container's security settings,
volumes that exist, a ConfigMap that holds an auditrelay config). In the chart's DaemonSet (read
through a rough render, see pseudo_render) and in the plain one, data_dir is a hostPath per
release that an init container chowns to the uid and gid the agent runs as, with no more
privilege than that needs. The PrometheusRule and the Grafana dashboard's ConfigMap render
(both enabled) to YAML holding the rules file and the dashboard JSON, which parses (see
lint_monitoring). With --binary, each config in a ConfigMap is checked by `auditrelay validate`.

Usage: lint-chart.py [--binary PATH]"""
import json
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
        for ref in re.findall(r'\.Files\.Get "([^"]+)"', text):
            if not os.path.isfile(os.path.join(CHART, ref)):
                problem(f"{where}: .Files.Get {ref}: no such file in the chart")
        kinds.update(re.findall(r"^kind: (\w+)", text, re.M))
    return values, kinds


ACTION = re.compile(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}", re.S)
CONTROL = re.compile(r"(/\*|if\b|else\b|end\b|range\b|with\b|define\b|\$\w+\s*:=)")
INCLUDE = re.compile(r'include "([^"]+)" \.(?: \| (n?indent) (\d+))?$')
FILES_GET = re.compile(r'\.Files\.Get "([^"]+)"(?: \| (n?indent) (\d+))?$')


def indent(body, how, n):
    """Helm's indent N / nindent N (None: as is)."""
    if not how:
        return body
    pad = " " * int(n)
    body = pad + body.replace("\n", "\n" + pad)
    return "\n" + body if how == "nindent" else body


def template_defines(text):
    """The bodies of {{ define "name" }} ... {{ end }}, with nested actions counted."""
    defines, depth, name, start = {}, 0, None, 0
    for m in ACTION.finditer(text):
        word = m.group(2).split(" ", 1)[0]
        if word in ("if", "range", "with", "define"):
            if depth == 0 and word == "define":
                name, start = re.match(r'define "([^"]+)"', m.group(2)).group(1), m.end()
            depth += 1
        elif word == "end":
            depth -= 1
            if depth == 0 and name:
                defines[name] = text[start:m.start()].strip()
                name = None
    return defines


def pseudo_render(text, defines):
    """Enough of `helm template` for the checks here, without helm: the trim markers are honoured,
    control actions vanish (so both branches of an if stay), include of a define (optionally
    | indent/nindent N) is replaced by that define rendered the same way, .Files.Get of a chart
    file (optionally | indent/nindent N) by the file's text, unrendered as in Helm, other block values
    (toYaml, toJson, | indent) vanish, and every other action becomes the placeholder <action>
    (characters YAML could trip on become _), which keeps .Release.Name and the like visible."""
    out, pos, skip_ws = "", 0, False
    for m in ACTION.finditer(text):
        chunk = text[pos:m.start()]
        out += chunk.lstrip() if skip_ws else chunk
        if m.group(1):
            out = out.rstrip()
        expr = m.group(2)
        inc = INCLUDE.match(expr)
        get = FILES_GET.match(expr)
        if inc and inc.group(1) in defines:
            out += indent(pseudo_render(defines[inc.group(1)], defines), inc.group(2), inc.group(3))
        elif get and os.path.isfile(os.path.join(CHART, get.group(1))):
            out += indent(open(os.path.join(CHART, get.group(1))).read(), get.group(2), get.group(3))
        elif not (CONTROL.match(expr) or re.match(r"(toYaml|toJson)\b", expr)
                  or re.search(r"\| n?indent \d+$", expr)):
            out += "<" + re.sub(r"[^A-Za-z0-9_./$]", "_", expr) + ">"
        skip_ws = bool(m.group(3))
        pos = m.end()
    chunk = text[pos:]
    return out + (chunk.lstrip() if skip_ws else chunk)


def check_data_dir(spec, data_dir, where, path_ok):
    """data_dir (the config's) is a hostPath DirectoryOrCreate whose path path_ok accepts; an init
    container mounting only that volume chowns it, not recursively, to the agent's uid:gid and
    makes it 0700, as root with at most CAP_CHOWN and CAP_FOWNER; the agent stays non-root."""
    agent = next((c for c in spec.get("containers", []) if c.get("name") == "auditrelay"), None)
    if agent is None:
        problem(f"{where}: no auditrelay container")
        return
    sc = agent.get("securityContext", {})
    uid, gid = sc.get("runAsUser"), sc.get("runAsGroup")
    if not isinstance(uid, int) or not isinstance(gid, int) or uid == 0 or gid == 0:
        problem(f"{where}: the agent should run with a numeric non-root runAsUser and runAsGroup")
        return
    caps = sc.get("capabilities", {})
    if caps.get("drop") != ["ALL"] or caps.get("add"):
        problem(f"{where}: the agent should drop ALL capabilities and add none")
    vol_name = next((m.get("name") for m in agent.get("volumeMounts", [])
                     if m.get("mountPath") == data_dir), None)
    vol = next((v for v in spec.get("volumes", []) if v.get("name") == vol_name), None)
    if vol is None or "hostPath" not in vol:
        problem(f"{where}: data_dir {data_dir} is not mounted from a hostPath volume")
        return
    if vol["hostPath"].get("type") != "DirectoryOrCreate":
        problem(f"{where}: hostPath volume {vol_name} should have type DirectoryOrCreate")
    path_ok(str(vol["hostPath"].get("path")))
    inits = [c for c in spec.get("initContainers", [])
             if any(m.get("name") == vol_name for m in c.get("volumeMounts", []))]
    if not inits:
        problem(f"{where}: no initContainer makes hostPath volume {vol_name} (created root:root 0755 "
                f"by the kubelet) writable by uid {uid}, the agent's")
    for init in inits:
        iw = f"{where} initContainer {init.get('name')}"
        mounts = init.get("volumeMounts", [])
        if len(mounts) != 1:
            problem(f"{iw}: should mount the data volume and nothing else")
        path = next(m.get("mountPath") for m in mounts if m.get("name") == vol_name)
        cmd = " ".join(str(a) for a in init.get("command", []) + init.get("args", []))
        end = r"(?=$|\s|;|&)"
        if not re.search(rf"(^|[\s;&])chown {uid}:{gid} {re.escape(path)}{end}", cmd):
            problem(f"{iw}: does not run `chown {uid}:{gid} {path}` (the agent's uid and gid)")
        if not re.search(rf"(^|[\s;&])chmod 0?700 {re.escape(path)}{end}", cmd):
            problem(f"{iw}: does not run `chmod 0700 {path}`")
        if re.search(r"(chown|chmod)\s+(-\w*R|--recursive)", cmd):
            problem(f"{iw}: must not chown or chmod recursively (root would follow what is inside)")
        isc = init.get("securityContext", {})
        icaps = isc.get("capabilities", {})
        if icaps.get("drop") != ["ALL"]:
            problem(f"{iw}: should drop ALL capabilities")
        extra = set(icaps.get("add", [])) - {"CHOWN", "FOWNER"}
        if extra:
            problem(f"{iw}: adds capabilities beyond CHOWN and FOWNER: {sorted(extra)}")
        for key, want in (("privileged", False), ("allowPrivilegeEscalation", False),
                          ("readOnlyRootFilesystem", True)):
            if isc.get(key, False) is not want:
                problem(f"{iw}: securityContext.{key} should be {want}")


def lint_chart_data_dir(values):
    """The DaemonSet as the chart renders it, by pseudo_render: the data_dir checks, with the
    hostPath under daemonset.dataHostPath and named after the release's namespace and name."""
    tdir = os.path.join(CHART, "templates")
    defines = template_defines(open(os.path.join(tdir, "_helpers.tpl")).read())
    where = "templates/daemonset.yaml"
    try:
        config = yaml.safe_load(pseudo_render(defines["auditrelay.defaultConfig"], defines))
        ds = yaml.safe_load(pseudo_render(open(os.path.join(tdir, "daemonset.yaml")).read(), defines))
        spec = ds["spec"]["template"]["spec"]
    except (KeyError, TypeError, yaml.YAMLError) as e:
        problem(f"{where}: cannot read the DaemonSet through pseudo_render: {e}")
        return {}

    def path_ok(path):
        if ("daemonset.dataHostPath" not in path or "<.Release.Namespace>" not in path
                or not path.endswith("/<.Release.Name>")):
            problem(f"{where}: data hostPath {path} should be <dataHostPath>/<namespace>/<release>, "
                    "so that two releases never share one data_dir")
    check_data_dir(spec, config["data_dir"], where, path_ok)
    return spec


def rendered_docs(name, defines, where):
    """The documents of templates/<name> through pseudo_render (every if taken), or None."""
    try:
        text = open(os.path.join(CHART, "templates", name)).read()
        return [d for d in yaml.safe_load_all(pseudo_render(text, defines)) if d]
    except (OSError, yaml.YAMLError) as e:
        problem(f"{where}: does not render to YAML (pseudo_render): {e}")
        return None


def lint_monitoring(values):
    """The PrometheusRule and the dashboard ConfigMap: off by default; rendered (both enabled),
    they parse, the PrometheusRule's spec is the groups of files/auditrelay-rules.yaml and the
    ConfigMap holds files/auditrelay.json, which parses as JSON and is a sane dashboard. Those
    files have one home, the chart: packaging/prometheus/ and packaging/grafana/ link there."""
    tdir = os.path.join(CHART, "templates")
    defines = template_defines(open(os.path.join(tdir, "_helpers.tpl")).read())
    files = os.path.join(CHART, "files")
    for link, target in (("prometheus/auditrelay-rules.yaml", "auditrelay-rules.yaml"),
                         ("grafana/auditrelay.json", "auditrelay.json")):
        path = os.path.join(HERE, "..", link)
        if not os.path.islink(path) or os.path.realpath(path) != os.path.realpath(os.path.join(files, target)):
            problem(f"packaging/{link}: should be a symlink to the chart's files/{target} (one copy)")
    for key in ("prometheusRule", "grafanaDashboard"):
        if values.get(key, {}).get("enabled") is not False:
            problem(f"values.yaml: {key}.enabled should be false by default")

    where = "templates/prometheusrule.yaml"
    docs = rendered_docs("prometheusrule.yaml", defines, where)
    if docs is not None:
        rules = load(os.path.join(files, "auditrelay-rules.yaml"))
        if len(docs) != 1 or docs[0].get("kind") != "PrometheusRule" \
                or docs[0].get("apiVersion") != "monitoring.coreos.com/v1":
            problem(f"{where}: should render one monitoring.coreos.com/v1 PrometheusRule")
        elif docs[0].get("spec") != rules or not rules.get("groups"):
            problem(f"{where}: spec is not the groups of files/auditrelay-rules.yaml")
        else:
            text = open(os.path.join(tdir, "prometheusrule.yaml")).read()
            if not re.search(r"\.Values\.prometheusRule\.labels\b", text):
                problem(f"{where}: prometheusRule.labels are not applied")

    where = "templates/grafana-dashboard.yaml"
    docs = rendered_docs("grafana-dashboard.yaml", defines, where)
    if docs is not None:
        cm = docs[0] if len(docs) == 1 and docs[0].get("kind") == "ConfigMap" else None
        if cm is None:
            problem(f"{where}: should render one ConfigMap")
            return
        labels = cm.get("metadata", {}).get("labels", {})
        if labels.get("<.Values.grafanaDashboard.label>") != "<.Values.grafanaDashboard.labelValue___quote>":
            problem(f"{where}: the sidecar's label should be grafanaDashboard.label: grafanaDashboard.labelValue")
        g = values.get("grafanaDashboard", {})
        if g.get("label") != "grafana_dashboard" or g.get("labelValue") != "1":
            problem('values.yaml: grafanaDashboard should default to the sidecar\'s grafana_dashboard: "1"')
        data = cm.get("data", {})
        if list(data) != ["auditrelay.json"]:
            problem(f"{where}: data should hold auditrelay.json only (the sidecar loads *.json keys)")
            return
        try:
            dash = json.loads(data["auditrelay.json"])
        except ValueError as e:
            problem(f"{where}: auditrelay.json does not parse as JSON: {e}")
            return
        if dash != json.load(open(os.path.join(files, "auditrelay.json"))):
            problem(f"{where}: auditrelay.json is not files/auditrelay.json")
        lint_dashboard(dash, "files/auditrelay.json")


def lint_dashboard(dash, where):
    """Panel ids unique, every panel placed on the 24-column grid without overlapping another,
    queries through the datasource variable, the instance variable there."""
    variables = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
    if variables.get("datasource", {}).get("type") != "datasource" \
            or variables["datasource"].get("query") != "prometheus":
        problem(f"{where}: no datasource variable of type prometheus")
    if "auditrelay_bytes_in_flight" not in str(variables.get("instance", {}).get("definition")):
        problem(f"{where}: no instance variable from label_values(auditrelay_bytes_in_flight, instance)")
    panels = dash.get("panels", [])
    ids = [p.get("id") for p in panels]
    if len(set(ids)) != len(ids) or None in ids:
        problem(f"{where}: panel ids are missing or not unique")
    cells = {}
    for p in panels:
        g = p.get("gridPos", {})
        if not all(isinstance(g.get(k), int) for k in "xywh") or g["x"] + g["w"] > 24:
            problem(f"{where}: panel {p.get('title')!r}: gridPos outside the 24 columns")
            continue
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                if (x, y) in cells:
                    problem(f"{where}: panels {cells[(x, y)]!r} and {p.get('title')!r} overlap")
                cells[(x, y)] = p.get("title")
        if p.get("type") != "row":
            for t in p.get("targets", []) or [None]:
                if not t or not t.get("expr") or t.get("datasource", {}).get("uid") != "${datasource}":
                    problem(f"{where}: panel {p.get('title')!r}: a target without expr or $datasource")


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


def lint_manifests(values, chart_kinds, chart_spec, binary):
    parent = str(values["daemonset"]["dataHostPath"]).rstrip("/")
    configmaps = {}
    daemonsets = []
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
                    for c in spec.get("containers", []) + spec.get("initContainers", []):
                        lint_container(c, volumes, f"{where} container {c.get('name')}")
                    if kind == "DaemonSet":
                        daemonsets.append((doc, where))
                    for v in spec.get("volumes", []):
                        cm = v.get("configMap", {}).get("name")
                        if cm and cm not in configmaps and not any(
                                cm in open(os.path.join(r, f)).read()
                                for r, _, fs in os.walk(MANIFESTS) for f in fs):
                            problem(f"{where}: volume {v['name']} names ConfigMap {cm}, defined nowhere")
    for doc, where in daemonsets:
        spec = doc["spec"]["template"]["spec"]
        release = doc["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/instance")
        cm = next((v["configMap"]["name"] for v in spec.get("volumes", []) if "configMap" in v), None)
        if cm not in configmaps:
            problem(f"{where}: its config ConfigMap {cm} is not in the same directory")
            continue
        data_dir = yaml.safe_load(configmaps[cm]["data"]["auditrelay.yaml"]).get("data_dir")

        def path_ok(path, where=where, release=release):
            if not re.fullmatch(rf"{re.escape(parent)}/[a-z0-9-]+/{re.escape(release)}", path):
                problem(f"{where}: data hostPath {path} should be {parent}/<namespace>/{release} "
                        "as the chart renders it, so that two releases never share one data_dir")
        check_data_dir(spec, data_dir, where, path_ok)
        # The init container is the chart's, word for word (only its image comes from values).
        ours = {c.get("name"): c for c in spec.get("initContainers", [])}
        for c in chart_spec.get("initContainers", []):
            mine = ours.get(c.get("name"))
            if mine is None:
                problem(f"{where}: lacks the chart's initContainer {c.get('name')}")
                continue
            for key in ("command", "args", "securityContext", "volumeMounts"):
                if mine.get(key) != c.get(key):
                    problem(f"{where}: initContainer {c.get('name')}: {key} differs from the chart's")
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
    values, kinds = lint_chart()
    chart_spec = lint_chart_data_dir(values)
    lint_monitoring(values)
    lint_manifests(values, kinds, chart_spec, binary)
    for p in problems:
        print("FAIL:", p)
    if problems:
        sys.exit(1)
    print(f"chart and manifests ok (chart kinds: {', '.join(sorted(kinds))})")


if __name__ == "__main__":
    main()
