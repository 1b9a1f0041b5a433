#!/usr/bin/python3
"""What promtool does not check in auditrelay-rules.yaml: every alert has a severity (critical or
warning), a summary and a description, and test cases in auditrelay-rules.test.yaml where it
fires and where it must not; and there is one Coder alert per built-in alert rule of the agent (the table "Built-in alert
rules" of docs/configuration.md, generated from the code), whose summary is that rule's summary,
Coder's wording.

Usage: lint-rules.py"""
import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
problems = []


def main():
    rules = yaml.safe_load(open(os.path.join(HERE, "auditrelay-rules.yaml")))
    tests = yaml.safe_load(open(os.path.join(HERE, "auditrelay-rules.test.yaml")))
    alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
    if not alerts:
        problems.append("auditrelay-rules.yaml: no alerts")
    fired = {t["alertname"] for case in tests["tests"] for t in case.get("alert_rule_test", [])
             if t.get("exp_alerts")}
    silent = {t["alertname"] for case in tests["tests"] for t in case.get("alert_rule_test", [])
              if not t.get("exp_alerts")}
    for a in alerts:
        name = a["alert"]
        if a.get("labels", {}).get("severity") not in ("critical", "warning"):
            problems.append(f"{name}: labels.severity should be critical or warning")
        for key in ("summary", "description"):
            if not str(a.get("annotations", {}).get(key, "")).strip():
                problems.append(f"{name}: no annotations.{key}")
        if name not in fired:
            problems.append(f"{name}: no test case in auditrelay-rules.test.yaml where it fires")
        if name not in silent:
            problems.append(f"{name}: no test case in auditrelay-rules.test.yaml where it must not fire")

    doc = open(os.path.join(ROOT, "docs", "configuration.md")).read()
    table = doc.split("Built-in alert rules:", 1)[-1].split("\n\n", 2)[1]
    builtin = dict(re.findall(r"^\| `([a-z0-9_]+)` \| (.+?) \|$", table, re.M))
    if not builtin:
        problems.append("docs/configuration.md: no table of built-in alert rules found")
    by_rule = {}
    for a in alerts:
        m = re.fullmatch(r'increase\(auditrelay_alert_events_total\{rule="([a-z0-9_]+)"\}\[\w+\]\) > 0',
                         a["expr"].strip())
        if m:
            by_rule[m.group(1)] = a
    for rule, summary in builtin.items():
        a = by_rule.get(rule)
        if a is None:
            problems.append(f"built-in alert rule {rule}: no alert on "
                            f'increase(auditrelay_alert_events_total{{rule="{rule}"}}[...]) > 0')
        elif a["annotations"].get("summary") != summary:
            problems.append(f"{a['alert']}: summary should be Coder's wording, {summary!r}")
    for rule in set(by_rule) - set(builtin):
        problems.append(f"{by_rule[rule]['alert']}: rule {rule} is not a built-in alert rule")

    for p in problems:
        print("FAIL:", p)
    if problems:
        sys.exit(1)
    print(f"{len(alerts)} alerts: severity, summary, description, a firing and a silent test each; "
          f"{len(builtin)} built-in alert rules, one Coder alert each")


if __name__ == "__main__":
    main()
