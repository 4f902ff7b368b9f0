#!/usr/bin/env python3
"""Checks the structure of a `nerve bench` report folder against its own cells and setup:

    check_report.py OUT_DIR [EARLIER_REPORT_JSON]

* every cell of the grid is finished (cells/<key>/record.json) and the count matches setup.cells;
* per_variant has every metric, every variant and, on each, every entry that runs there, with
  mean and IQM intervals (lo <= point <= hi) over as many runs as scores.csv has rows for it;
* aggregate and profiles (when the envs have references) cover the entries; every named pair has a
  probability of improvement in [0, 1]; every learner has a curve with a point per eval step;
* report.md opens with the question and ends with the provenance;
* with EARLIER_REPORT_JSON: the report is identical to it but for `provenance`.
Exits 1 with every failure listed.
"""
import csv
import json
import os
import sys

out = sys.argv[1]
failures = []


def check(ok, msg):
    if not ok:
        failures.append(msg)


report = json.load(open(os.path.join(out, "report.json")))
setup = report["setup"]
records = [d for d in os.listdir(os.path.join(out, "cells")) if os.path.exists(os.path.join(out, "cells", d, "record.json"))]
check(len(records) >= setup["cells"], f"{len(records)} finished cells on disk, setup says {setup['cells']}")

rows = list(csv.DictReader(open(os.path.join(out, "scores.csv"))))
runs_in_csv = {}
for r in rows:
    runs_in_csv[(r["entry"], r["env"])] = runs_in_csv.get((r["entry"], r["env"]), 0) + 1


def interval_ok(i):
    return i is not None and i["lo"] <= i["point"] + 1e-12 and i["point"] <= i["hi"] + 1e-12


metrics = [m["name"] for m in setup["metrics"]]
for m in metrics:
    check(m in report["per_variant"], f"per_variant lacks metric {m}")
for e in setup["entries"]:
    for v in e["variants"]:
        o = report["per_variant"]["return"].get(v, {}).get(e["name"])
        check(o is not None, f"per_variant.return.{v} lacks entry {e['name']}")
        if o is None:
            continue
        check(interval_ok(o.get("mean")) and interval_ok(o.get("iqm")), f"{e['name']} on {v}: bad mean/IQM interval {o}")
        check(o["runs"] == runs_in_csv.get((e["name"], v)), f"{e['name']} on {v}: {o['runs']} runs in the report, {runs_in_csv.get((e['name'], v))} rows in scores.csv")
    if e["env_steps"] is not None:
        for v in e["variants"]:
            c = report["curves"].get(e["name"], {}).get(v, {}).get("return")
            check(c is not None and len(c["env_steps"]) == len(c["iqm"]) >= 1, f"learner {e['name']} on {v}: no learning curve")
if any(v["reference"] for v in setup["variants"]):
    for e in setup["entries"]:
        if any(next(x for x in setup["variants"] if x["label"] == v)["reference"] for v in e["variants"]):
            a = report["aggregate"].get(e["name"])
            check(a is not None and all(interval_ok(a[k]) for k in ("iqm", "median", "mean", "optimality_gap")), f"aggregate of {e['name']}: {a}")
            check(e["name"] in report["profiles"], f"no performance profile for {e['name']}")
for p in report["improvement"]:
    pr = p.get("probability")
    check(pr is not None and 0 <= pr["point"] <= 1 and interval_ok(pr), f"pair {p['x']} > {p['y']}: {pr}")
check(bool(report["answer"]), "the answer paragraph is empty")
md = open(os.path.join(out, "report.md")).read()
check(setup["question"] in md.split("\n\n")[1], "report.md does not open with the question")
check("## Provenance" in md, "report.md has no provenance")
for k in ("nerve_version", "git_commit", "build", "scenario_hash", "machine", "date", "wall_time_s"):
    check(k in report["provenance"], f"provenance lacks {k}")

if len(sys.argv) > 2:
    earlier = json.load(open(sys.argv[2]))
    earlier.pop("provenance", None)
    now = dict(report)
    now.pop("provenance", None)
    check(earlier == now, "the report differs from the earlier one (provenance aside)")

if failures:
    print("check_report.py: FAILED\n  " + "\n  ".join(failures), file=sys.stderr)
    sys.exit(1)
print(f"check_report.py: {out}: report structure ok ({setup['cells']} cells, {len(rows)} runs in scores.csv)")
