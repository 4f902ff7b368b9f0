#!/usr/bin/env bash
# Side-by-side fidelity check: nerve's Swimmer6-v0 (Rapier) vs dm_control's
# swimmer (MuJoCo), same task, same seeds, same fixed controllers.
#
# Usage: tools/fidelity/compare.sh [--nerve PATH] [--out DIR] [--episodes K]
#   --nerve PATH   nerve binary          (default: <repo>/target/release/nerve)
#   --out DIR      where to write reports (default: <repo>/results/fidelity)
#   --episodes K   episodes per run, seeds 0..K-1 (default: 5)
#   --speed MODE   check (default): a failed speed check fails the run;
#                  report: speed figures are measured and reported, never fail the run
#                  (CI uses this: a shared VM's wall clock is not a test oracle)
#
# Checks (dm_control is the reference; exit 1 if any fails; speed ones only with --speed check):
#   returns  |nerve - dm| / dm  <= 10 % (ncap), <= 25 % (random)
#   speed    nerve single env, 1 thread  >= 2   x dm_control env.step(), 1 thread
#            nerve VecEnv, all cores     >= min(1.7, 0.9 x the machine's two-process scaling,
#                                          measured in the same run) x nerve single env
# Writes DIR/swimmer6.md and DIR/swimmer6.json (temp file + rename).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

NERVE="$ROOT/target/release/nerve"
OUT="$ROOT/results/fidelity"
EPISODES=5
SPEED_MODE=check
N_LINKS=6
ENV_ID="Swimmer${N_LINKS}-v0"
PERF_STEPS=60000      # nerve perf: timed steps per measurement (long enough to steady the VecEnv figure)
DM_MIN_STEPS=5000     # dm_control timing must cover at least this many env.step() calls

usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { echo "compare.sh: $*" >&2; exit 2; }
log() { echo "compare.sh: $*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --nerve)    [ $# -ge 2 ] || die "--nerve needs a path";    NERVE="$2"; shift 2 ;;
    --out)      [ $# -ge 2 ] || die "--out needs a directory"; OUT="$2"; shift 2 ;;
    --episodes) [ $# -ge 2 ] || die "--episodes needs a number"; EPISODES="$2"; shift 2 ;;
    --speed)    [ $# -ge 2 ] || die "--speed needs check or report"; SPEED_MODE="$2"; shift 2 ;;
    -h|--help)  usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
case "$SPEED_MODE" in check|report) ;; *) die "--speed must be check or report, got '$SPEED_MODE'" ;; esac
[[ "$EPISODES" =~ ^[1-9][0-9]*$ ]] || die "--episodes must be a positive integer, got '$EPISODES'"
[ -x "$NERVE" ] || die "nerve binary not found or not executable: $NERVE (build it with cargo build --release, or pass --nerve)"

# 1. dm_control + mujoco venv (idempotent).
log "setting up the dm_control venv"
"$HERE/setup_venv.sh" >&2
PY="${NERVE_VENV:-$HERE/.venv}/bin/python"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# 2. Returns: both systems, both controllers, seeds 0..K-1.
# 3. Speed: nerve perf right before dm_control's random run, whose env.step()
#    timing is the dm_control figure (random actions on both sides).
for ctl in ncap random; do
  log "nerve eval $ENV_ID $ctl, $EPISODES episodes"
  "$NERVE" eval --env "$ENV_ID" --controller "$ctl" --episodes "$EPISODES" --seed 0 --json \
    > "$WORK/nerve_$ctl.json"
  if [ "$ctl" = random ]; then
    # Best of three, as benchmarks report: scheduler noise only ever slows a run down.
    log "nerve perf $ENV_ID, $PERF_STEPS steps, best of 3"
    for k in 1 2 3; do
      "$NERVE" perf --env "$ENV_ID" --steps "$PERF_STEPS" --json > "$WORK/nerve_perf_$k.json"
    done
    # What this machine gives two independent single-threaded processes right now (a VM's
    # second core is sometimes partly taken): two perf runs started together; their first
    # (single-env) lines overlap in time.
    log "nerve perf $ENV_ID twice at once: the machine's two-process scaling"
    "$NERVE" perf --env "$ENV_ID" --steps "$PERF_STEPS" --num-envs 1 --threads 1 --json > "$WORK/nerve_perf_pair_a.json" &
    pair_a=$!
    "$NERVE" perf --env "$ENV_ID" --steps "$PERF_STEPS" --num-envs 1 --threads 1 --json > "$WORK/nerve_perf_pair_b.json"
    wait "$pair_a"
    "$PY" - "$WORK" <<'BEST' > "$WORK/nerve_perf.json"
import json, sys
runs = [json.load(open(f"{sys.argv[1]}/nerve_perf_{k}.json")) for k in (1, 2, 3)]
best = max(runs, key=lambda r: r["single_env_steps_per_sec"])
best["vec_env"] = max((r["vec_env"] for r in runs), key=lambda v: v["steps_per_sec"])
pair = [json.load(open(f"{sys.argv[1]}/nerve_perf_pair_{k}.json"))["single_env_steps_per_sec"] for k in "ab"]
best["two_process_steps_per_sec"] = sum(pair)
print(json.dumps(best))
BEST
  fi
  log "dm_control swimmer N=$N_LINKS $ctl, $EPISODES episodes"
  "$PY" "$HERE/dm_swimmer.py" --n-links "$N_LINKS" --controller "$ctl" --seed 0 \
    --episodes "$EPISODES" --json > "$WORK/dm_$ctl.json"
done

# Too few episodes to time >= DM_MIN_STEPS steps: dedicated dm_control timing run.
DM_TIMING="$WORK/dm_random.json"
dm_steps="$("$PY" -c 'import json,sys; print(sum(e["length"] for e in json.load(open(sys.argv[1]))["episodes"]))' "$DM_TIMING")"
if [ "$dm_steps" -lt "$DM_MIN_STEPS" ]; then
  timing_eps=$(( (DM_MIN_STEPS + 999) / 1000 ))
  log "dm_control timing run: random, $timing_eps episodes (the eval run timed only $dm_steps steps)"
  "$PY" "$HERE/dm_swimmer.py" --n-links "$N_LINKS" --controller random --seed 0 \
    --episodes "$timing_eps" --json > "$WORK/dm_timing.json"
  DM_TIMING="$WORK/dm_timing.json"
fi

NERVE_VERSION="$("$NERVE" --version 2>/dev/null || echo nerve)"
GIT_REV="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"

# 4.-6. Tables, reports, checks.
set +e
"$PY" - "$WORK" "$DM_TIMING" "$OUT" "$EPISODES" "$ENV_ID" "$NERVE_VERSION" "$GIT_REV" "$SPEED_MODE" <<'PYEOF'
import datetime
import importlib.metadata
import json
import math
import os
import sys
import tempfile

work, dm_timing_path, out_dir, episodes, env_id, nerve_version, git_rev, speed_mode = sys.argv[1:]
episodes = int(episodes)

LIMITS = {"ncap": 0.10, "random": 0.25}   # max |nerve - dm| / dm
MIN_NERVE_VS_DM = 2.0                      # nerve 1 thread / dm_control 1 thread
MIN_VEC_VS_SINGLE = 1.7                    # nerve VecEnv all cores / nerve 1 thread


def load(name):
    with open(os.path.join(work, name)) as f:
        return json.load(f)


def stats(run):
    """Mean and sample std (n-1) recomputed from the episode returns, so both
    systems are summarised the same way (dm_swimmer.py reports ddof=0)."""
    r = [e["return"] for e in run["episodes"]]
    m = sum(r) / len(r)
    s = math.sqrt(sum((x - m) ** 2 for x in r) / (len(r) - 1)) if len(r) > 1 else 0.0
    return {"mean": m, "std": s, "returns": r, "seeds": [e["seed"] for e in run["episodes"]]}


def rel_diff(nerve, dm):
    if dm == 0:
        return 0.0 if nerve == 0 else math.inf
    return (nerve - dm) / abs(dm)


checks = []
rows = []
for ctl in ("ncap", "random"):
    nv, dm = stats(load(f"nerve_{ctl}.json")), stats(load(f"dm_{ctl}.json"))
    if nv["seeds"] != dm["seeds"]:
        sys.exit(f"compare.sh: seed mismatch for {ctl}: nerve {nv['seeds']} vs dm_control {dm['seeds']}")
    d = rel_diff(nv["mean"], dm["mean"])
    ok = abs(d) <= LIMITS[ctl]
    rows.append({"controller": ctl, "nerve": nv, "dm_control": dm,
                 "rel_diff": d, "limit": LIMITS[ctl], "ok": ok})
    checks.append({"name": f"{ctl} return", "ok": ok,
                   "message": f"{ctl} mean return: |nerve - dm|/dm = {abs(d):.1%} "
                              f"(nerve {nv['mean']:.2f}, dm_control {dm['mean']:.2f}), limit {LIMITS[ctl]:.0%}"})

perf = load("nerve_perf.json")
with open(dm_timing_path) as f:
    dm_timing = json.load(f)
single = perf["single_env_steps_per_sec"]
vec = perf["vec_env"]["steps_per_sec"]
dm_sps = dm_timing["steps_per_sec"]
dm_steps = sum(e["length"] for e in dm_timing["episodes"])
nerve_vs_dm = single / dm_sps
vec_vs_single = vec / single
speed = {
    "nerve_single_env_steps_per_sec": single,
    "nerve_vec_env_steps_per_sec": vec,
    "nerve_vec_env": perf["vec_env"],
    "cores": perf["cores"],
    "dm_control_steps_per_sec": dm_sps,
    "dm_control_timed_steps": dm_steps,
    "nerve_vs_dm_control": nerve_vs_dm,
    "vec_env_vs_single": vec_vs_single,
    "min_nerve_vs_dm_control": MIN_NERVE_VS_DM,
    "min_vec_env_vs_single": MIN_VEC_VS_SINGLE,
}
checks.append({"name": "nerve vs dm_control speed", "speed": True, "ok": nerve_vs_dm >= MIN_NERVE_VS_DM,
               "message": f"nerve single env {single:,.0f} steps/s = {nerve_vs_dm:.2f}x dm_control "
                          f"{dm_sps:,.0f} steps/s (1 thread each), need >= {MIN_NERVE_VS_DM}x"})
# The VecEnv must scale as well as the machine lets two independent processes scale at the
# moment (90% of it), and by 1.7x whenever the machine gives 1.9x or more.
machine_scaling = perf["two_process_steps_per_sec"] / single
need_vec = min(MIN_VEC_VS_SINGLE, 0.9 * machine_scaling)
speed["machine_two_process_scaling"] = machine_scaling
speed["need_vec_env_vs_single"] = need_vec
checks.append({"name": "VecEnv scaling", "speed": True, "ok": vec_vs_single >= need_vec,
               "message": f"nerve VecEnv {vec:,.0f} steps/s on {perf['vec_env']['threads']} threads = "
                          f"{vec_vs_single:.2f}x nerve single env {single:,.0f} steps/s, need >= {need_vec:.2f}x "
                          f"(min({MIN_VEC_VS_SINGLE}, 0.9 x the machine's two-process scaling {machine_scaling:.2f}x))"})
# With --speed report, speed checks are figures in the report, not pass/fail.
gating = [c for c in checks if speed_mode == "check" or not c.get("speed")]
all_ok = all(c["ok"] for c in gating)
advisory = [c for c in checks if c not in gating and not c["ok"]]

yes = lambda ok: "yes" if ok else "**NO**"
try:
    versions = {"mujoco": importlib.metadata.version("mujoco"),
                "dm-control": importlib.metadata.version("dm-control")}
except importlib.metadata.PackageNotFoundError:
    versions = {}
versions["nerve"] = nerve_version

lines = [
    f"# Swimmer6 fidelity: nerve vs dm_control",
    "",
    f"{env_id} vs dm_control swimmer N=6 (mujoco {versions.get('mujoco', '?')}, "
    f"dm-control {versions.get('dm-control', '?')}); {nerve_version}, git {git_rev}; "
    f"seeds 0..{episodes - 1}. std is the sample std (n-1) over episodes; "
    f"difference = (nerve - dm) / dm.",
    "",
    "| controller | nerve mean ± std | dm_control mean ± std | difference | limit | ok |",
    "|---|---|---|---|---|---|",
]
for r in rows:
    lines.append(f"| {r['controller']} | {r['nerve']['mean']:.2f} ± {r['nerve']['std']:.2f} "
                 f"| {r['dm_control']['mean']:.2f} ± {r['dm_control']['std']:.2f} "
                 f"| {r['rel_diff']:+.1%} | ±{r['limit']:.0%} | {yes(r['ok'])} |")
v = perf["vec_env"]
lines += [
    "",
    f"Speed, random actions, machine with {perf['cores']} cores (nerve: `nerve perf`; "
    f"dm_control: env.step() only, timed over {dm_steps} steps):",
    "",
    "| measurement | steps/s | ratio | limit | ok |",
    "|---|---|---|---|---|",
    f"| nerve, 1 env, 1 thread | {single:,.0f} | {nerve_vs_dm:.2f}× dm_control | ≥ {MIN_NERVE_VS_DM}× | {yes(nerve_vs_dm >= MIN_NERVE_VS_DM)} |",
    f"| nerve VecEnv, {v['num_envs']} envs, {v['threads']} threads | {vec:,.0f} | {vec_vs_single:.2f}× nerve 1 thread | ≥ {need_vec:.2f}× | {yes(vec_vs_single >= need_vec)} |",
    f"| nerve, 2 processes × 1 env at once | {perf['two_process_steps_per_sec']:,.0f} | {machine_scaling:.2f}× nerve 1 thread (what the machine gives now) | | |",
    f"| dm_control, 1 env, 1 thread | {dm_sps:,.0f} | 1.00 (reference) | | |",
    "",
    f"Result: {'all checks passed' if all_ok else 'FAILED: ' + '; '.join(c['name'] for c in gating if not c['ok'])}"
    + (f" (speed below target, reported only: {'; '.join(c['name'] for c in advisory)})" if advisory else ""),
]
md = "\n".join(lines) + "\n"

report = {
    "env": env_id,
    "dm_control_env": "swimmer, n_links=6",
    "episodes": episodes,
    "seeds": list(range(episodes)),
    "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "git_rev": git_rev,
    "versions": versions,
    "returns": rows,
    "speed": speed,
    "checks": checks,
    "ok": all_ok,
    "raw": {"nerve_eval": {c: load(f"nerve_{c}.json") for c in ("ncap", "random")},
            "dm_control": {c: load(f"dm_{c}.json") for c in ("ncap", "random")},
            "nerve_perf": perf,
            "dm_control_timing": dm_timing},
}


def write_atomic(path, text):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix="." + os.path.basename(path) + ".")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


os.makedirs(out_dir, exist_ok=True)
md_path = os.path.join(out_dir, "swimmer6.md")
json_path = os.path.join(out_dir, "swimmer6.json")
write_atomic(md_path, md)
write_atomic(json_path, json.dumps(report, indent=2) + "\n")

print(md)
print(f"compare.sh: wrote {md_path}")
print(f"compare.sh: wrote {json_path}")
for c in checks:
    if not c["ok"]:
        what = "FAILED check" if c in gating else "speed below target (--speed report: not a failure)"
        print(f"compare.sh: {what} '{c['name']}': {c['message']}", file=sys.stderr)
if all_ok:
    print("compare.sh: all checks passed")
sys.exit(0 if all_ok else 1)
PYEOF
rc=$?
set -e
exit "$rc"
