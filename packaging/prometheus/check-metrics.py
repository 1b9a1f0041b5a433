#!/usr/bin/python3
"""Checks that every metric the alert rules (auditrelay-rules.yaml) and the Grafana dashboard
(packaging/grafana/auditrelay.json) query is one the agent exports: starts the agent (a file
input, an http output with a disk buffer to a closed port, the built-in alert rules), reads the
names of its /metrics from the `# TYPE` lines (a histogram X also gives X_bucket, X_sum, X_count),
and compares them with the metric names of every rule expression, panel query and variable query.
Those names are read with a small PromQL lexer, so a misspelt name fails too, whatever its prefix;
`up` is Prometheus' own. Fails listing each unknown name and where it is used, and fails when
either side yields no names at all.

Usage: check-metrics.py --binary PATH [--rules FILE] [--dashboard FILE]"""
import argparse
import ctypes
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROMETHEUS_MADE = {"up"}  # made by Prometheus for every target
KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
            "bool", "offset", "atan2", "inf", "nan"}
LABEL_LISTS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
TOKEN = re.compile(r"""\s+|(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)"""
                   r"""|(?P<var>\$\{[^}]*\}|\$\w+)|(?P<dur>(?:\d+(?:ms|s|m|h|d|w|y))+\b)|(?P<num>0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:e[+-]?\d+)?)"""
                   r"""|(?P<id>[A-Za-z_:][A-Za-z0-9_:]*)|(?P<op>.)""")


def metric_names(expr):
    """The metric names in a PromQL expression: identifiers that are not functions or
    aggregations (followed by '(', by or without), keywords, label names (inside {...} or after by/without/on/
    ignoring/group_*) or durations (inside [...]). Grafana variables ($x, ${x}) are skipped."""
    tokens = [(m.lastgroup, m.group()) for m in TOKEN.finditer(expr) if m.lastgroup]
    names, braces, brackets, label_list, i = set(), 0, 0, False, 0
    while i < len(tokens):
        kind, text = tokens[i]
        nxt = tokens[i + 1][1] if i + 1 < len(tokens) else ""
        if kind == "op":
            braces += {"{": 1, "}": -1}.get(text, 0)
            brackets += {"[": 1, "]": -1}.get(text, 0)
            if text == ")" and label_list:
                label_list = False
        elif kind == "id" and not braces and not brackets and not label_list:
            if text.lower() in LABEL_LISTS and nxt == "(":
                label_list = True
                i += 1
            elif text.lower() not in KEYWORDS and nxt != "(" and nxt.lower() not in ("by", "without"):
                names.add(text)  # not a function, nor an aggregation (`sum by (x) (...)`)
        i += 1
    # Whatever the lexer makes of it, a name with the agent's prefix is checked too.
    return names | set(re.findall(r"\bauditrelay_[a-z0-9_]+", expr))


def grafana_query_names(query):
    """A variable's query: label_values(SELECTOR, label) and friends name the metric in their first
    argument; other queries are PromQL."""
    m = re.fullmatch(r"\s*(label_values|metrics|query_result)\((.*)\)\s*", query, re.S)
    if not m:
        return metric_names(query)
    if m.group(1) == "label_values":
        args = m.group(2)
        depth = 0
        for pos, ch in enumerate(args):  # the last top-level comma separates the label
            depth += ch in "({[" and 1 or ch in ")}]" and -1 or 0
            if ch == "," and depth == 0:
                cut = pos
        return metric_names(args[:cut]) if "," in args else set()
    return metric_names(m.group(2)) if m.group(1) == "query_result" else set()


def used_names(rules_path, dashboard_path):
    """{metric name: [where it is used]} for the rules and for the dashboard, separately."""
    in_rules, in_dash = {}, {}
    rules = yaml.safe_load(open(rules_path))
    for group in rules.get("groups", []):
        for rule in group.get("rules", []):
            where = f"rule {rule.get('alert') or rule.get('record')}"
            for name in metric_names(str(rule.get("expr", ""))):
                in_rules.setdefault(name, []).append(where)
    dash = json.load(open(dashboard_path))

    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                for name in metric_names(t.get("expr", "")):
                    in_dash.setdefault(name, []).append(f"panel {p.get('title')!r}")
            walk(p.get("panels", []))  # a collapsed row keeps its panels
    walk(dash.get("panels", []))
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            q = v.get("query")
            q = q.get("query", "") if isinstance(q, dict) else str(q or "")
            for name in grafana_query_names(q):
                in_dash.setdefault(name, []).append(f"variable ${v.get('name')}")
    return in_rules, in_dash


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent():
    """In the agent's process: SIGKILL when this script dies, however it dies (ctest's timeout)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def exported_names(binary, tmp):
    """The names the agent's /metrics declares (# TYPE), histograms' series included."""
    port, closed = free_port(), free_port()
    data = os.path.join(tmp, "data")
    os.mkdir(data, 0o700)
    log = os.path.join(tmp, "coderd.log")
    with open(log, "w") as f:
        f.write('{"ts":"2026-01-01T00:00:00Z","level":"INFO","msg":"started","logger_names":["coderd"]}\n')
    journal = os.path.join(tmp, "journal")
    os.mkdir(journal)
    config = os.path.join(tmp, "auditrelay.yaml")
    with open(config, "w") as f:
        yaml.safe_dump({
            "data_dir": data,
            "pipeline": {"shutdown_timeout": "1s"},  # its events are undeliverable: do not wait 10 s
            "server": {"listen": f"127.0.0.1:{port}"},
            # One input of each type, so that each declares its metrics (the journal directory is
            # empty and Coder's API is not there: they report not ready, which is fine here).
            "inputs": [{"name": "coderd", "type": "file", "paths": [log]},
                       {"name": "journal", "type": "journald", "directory": journal},
                       {"name": "api", "type": "coder_api", "url": f"http://127.0.0.1:{closed}",
                        "token": "unused"}],
            "transforms": {"alerts": {"builtin": True}},
            "outputs": [{"name": "collector", "type": "http", "url": f"http://127.0.0.1:{closed}/",
                         "buffer": {"type": "disk", "max_size": "64MiB"},
                         "retry": {"initial": "100ms", "max": "1s"}}],
        }, f)
    stderr = open(os.path.join(tmp, "agent.log"), "w+")
    agent = subprocess.Popen([binary, "run", "--config", config], stdout=stderr, stderr=stderr,
                             preexec_fn=die_with_parent)
    try:
        # The server may answer before every plugin is up: read until two reads half a second
        # apart declare the same names.
        names, previous, deadline = None, None, time.monotonic() + 30
        while names is None or names != previous:
            if agent.poll() is not None:
                stderr.seek(0)
                sys.exit(f"FAIL: the agent exited ({agent.returncode}) before /metrics answered:\n{stderr.read()}")
            if time.monotonic() > deadline:
                sys.exit("FAIL: /metrics did not answer (the same) within 30 s")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                    previous, names = names, declared(r.read().decode())
                time.sleep(0.5)
            except OSError:
                time.sleep(0.1)
    finally:
        agent.terminate()
        try:
            agent.wait(15)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent.wait()
    return names


def declared(text):
    """The series names the `# TYPE` lines of a /metrics text declare."""
    names = set()
    for name, kind in re.findall(r"^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$", text, re.M):
        names.add(name)
        if kind == "histogram":
            names.update({name + "_bucket", name + "_sum", name + "_count"})
        elif kind == "summary":
            names.update({name + "_sum", name + "_count"})
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--rules", default=os.path.join(HERE, "auditrelay-rules.yaml"))
    ap.add_argument("--dashboard", default=os.path.join(HERE, "..", "grafana", "auditrelay.json"))
    args = ap.parse_args()
    in_rules, in_dash = used_names(args.rules, args.dashboard)
    problems = []
    if not in_rules:
        problems.append(f"no metric names found in {args.rules}")
    if not in_dash:
        problems.append(f"no metric names found in {args.dashboard}")
    with tempfile.TemporaryDirectory() as tmp:
        exported = exported_names(args.binary, tmp)
    if not exported:
        problems.append("the agent's /metrics has no # TYPE lines")
    used = {}
    for source in (in_rules, in_dash):
        for name, where in source.items():
            used.setdefault(name, []).extend(where)
    for name in sorted(set(used) - exported - PROMETHEUS_MADE):
        problems.append(f"{name} is not exported by the agent; used by {', '.join(sorted(set(used[name])))}")
    for p in problems:
        print("FAIL:", p)
    if problems:
        sys.exit(1)
    print(f"ok: the {len(in_rules)} metric names of the rules and the {len(in_dash)} of the dashboard "
          f"are among the {len(exported)} the agent exports (or Prometheus' own: up)")


if __name__ == "__main__":
    main()
