"""Checks nerve's statistics (`bench::stats`) against rliable 1.2.0 on the same score matrices.

    tools/bench/rliable_check.sh            # sets up the venv, builds nerve's side, runs this

Generates seeded score matrices (continuous scores, several run and task counts, one pair
with different run counts), has both sides compute IQM, median, mean and optimality gap with
95 % stratified-bootstrap intervals, probability of improvement with its interval, and run-
score performance profiles, then compares:

  point estimates          |nerve − rliable| ≤ 1e-9
  interval bounds          within 2 % of rliable's interval width (rliable at 10k resamples,
                           nerve at 100k, each its own random stream: Monte-Carlo error only)
  probability of impr.     point ≤ 1e-9, bounds within 0.01
  profile points           exact; profile bounds within 0.02 (fractions of runs)

Exits 1 and names every failing comparison.
"""
import json
import subprocess
import sys

import numpy as np
from rliable import library as rly
from rliable import metrics

# rliable resamples in Python (10k replications of four aggregates take about a minute here);
# nerve's side runs 10× more, so the comparison's Monte-Carlo error is essentially rliable's.
# Both sides are seeded: the check gives the same verdict on every run of the same versions.
REPS = 10_000
NERVE_REPS = 100_000
PROFILE_REPS = 2_000
NERVE_PROFILE_REPS = 20_000
TAUS = [float(t) for t in np.linspace(0.0, 1.0, 11)]


def matrices():
    rng = np.random.default_rng(2021)
    return {
        # runs × tasks, scores roughly normalised (0 random … 1 best known)
        "ppo": rng.normal(0.7, 0.15, (10, 3)),
        "td3": rng.normal(0.6, 0.25, (10, 3)),
        "es": rng.beta(2, 3, (20, 3)),
        "cmaes": rng.normal(0.8, 0.1, (7, 3)),
    }


def aggregates(x):
    return np.array([metrics.aggregate_iqm(x), metrics.aggregate_median(x), metrics.aggregate_mean(x), metrics.aggregate_optimality_gap(x)])


def main(nerve_cmd, workdir):
    scores = matrices()
    pairs = [["ppo", "td3"], ["cmaes", "es"], ["td3", "ppo"]]
    doc = {"scores": {k: v.tolist() for k, v in scores.items()}, "pairs": pairs, "taus": TAUS, "reps": NERVE_REPS, "profile_reps": NERVE_PROFILE_REPS, "confidence": 0.95, "seed": 7}
    path = f"{workdir}/rliable_check_input.json"
    with open(path, "w") as f:
        json.dump(doc, f)
    nerve = json.loads(subprocess.run(nerve_cmd + [path], check=True, capture_output=True, text=True).stdout)

    np.random.seed(0)
    points, cis = rly.get_interval_estimates(scores, aggregates, reps=REPS)
    np.random.seed(1)
    profiles, profile_cis = rly.create_performance_profile(scores, np.array(TAUS), reps=PROFILE_REPS)
    np.random.seed(2)
    poi_points, poi_cis = rly.get_interval_estimates({f"{x},{y}": [scores[x], scores[y]] for x, y in pairs}, metrics.probability_of_improvement, reps=REPS)

    failures, rows = [], []

    def check(what, ours, theirs, tol):
        ok = abs(ours - theirs) <= tol
        rows.append((what, ours, theirs, abs(ours - theirs), tol, ok))
        if not ok:
            failures.append(what)

    for algo in scores:
        for k, name in enumerate(["iqm", "median", "mean", "optimality_gap"]):
            ours = nerve[algo][name]
            lo, hi = cis[algo][0][k], cis[algo][1][k]
            width = hi - lo
            check(f"{algo} {name} point", ours["point"], points[algo][k], 1e-9)
            check(f"{algo} {name} lower", ours["lo"], lo, 0.02 * width)
            check(f"{algo} {name} upper", ours["hi"], hi, 0.02 * width)
        for t, tau in enumerate(TAUS):
            p = nerve[algo]["profile"][t]
            check(f"{algo} profile τ={tau:.1f} point", p["point"], profiles[algo][t], 0.0)
            check(f"{algo} profile τ={tau:.1f} lower", p["lo"], profile_cis[algo][0][t], 0.02)
            check(f"{algo} profile τ={tau:.1f} upper", p["hi"], profile_cis[algo][1][t], 0.02)
    for x, y in pairs:
        key = f"{x},{y}"
        ours = nerve["probability_of_improvement"][key]
        check(f"P({x} > {y}) point", ours["point"], float(np.squeeze(poi_points[key])), 1e-9)
        check(f"P({x} > {y}) lower", ours["lo"], float(np.squeeze(poi_cis[key][0])), 0.01)
        check(f"P({x} > {y}) upper", ours["hi"], float(np.squeeze(poi_cis[key][1])), 0.01)

    lines = ["| comparison | nerve | rliable | difference | tolerance | ok |", "|---|---|---|---|---|---|"]
    for what, a, b, d, tol, ok in rows:
        if "profile" in what and ok and "point" not in what:
            continue  # keep the table short: failing profile bounds are still listed
        lines.append(f"| {what} | {a:.6f} | {b:.6f} | {d:.2e} | {tol:.2e} | {'yes' if ok else '**NO**'} |")
    n_profile = sum(1 for r in rows if "profile" in r[0])
    lines.append(f"\n{len(rows)} comparisons ({n_profile} profile points and bounds; passing profile bounds not listed), {len(failures)} failed; rliable reps {REPS} (profiles {PROFILE_REPS}), nerve {NERVE_REPS} ({NERVE_PROFILE_REPS}).")
    report = "\n".join(lines)
    with open(f"{workdir}/rliable_check.md", "w") as f:
        f.write(report + "\n")
    print(report)
    if failures:
        print("rliable_check: FAILED: " + ", ".join(failures), file=sys.stderr)
        sys.exit(1)
    print("rliable_check: all comparisons within tolerance", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[2:], sys.argv[1])
