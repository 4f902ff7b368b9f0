"""Peer speed reference: Gymnasium-Robotics' Shadow-hand envs on MuJoCo, measured in one run, for the
side-by-side with nerve's Rapier hand (same 0.04 s control period = 20 substeps x 0.002 s, random actions).

    tools/hand/peer_speed.sh [--seconds 10] [--out FILE]

For each env (HandManipulateBlock-v1, HandReach-v3) it measures, each for --seconds after a warm-up:
  one_thread_steps_per_s   env.step with uniform random actions (seeded numpy Generator), auto-reset on
                           terminated/truncated, OMP/MKL/OpenBLAS limited to 1 thread: the whole env cost
                           (physics + observation + reward + Python) on one core.
  vec2_steps_per_s         the same in a gymnasium.vector.AsyncVectorEnv of 2 envs (one process per core):
                           total env steps/s, i.e. how it scales to both cores.
  bare_mj_step_*           mujoco.mj_step on the env's model (own MjData, started from the env's reset state),
                           n_substeps per control period, random ctrl inside actuator_ctrlrange set once per
                           period, state restored every max_episode_steps periods like the env's reset: the
                           physics-only ceiling. env_over_bare = one_thread_steps_per_s / bare periods/s is
                           the share of time the env spends in physics.
Prints one JSON object on stdout (and writes it to --out). Timings are wall clock (time.perf_counter).
"""
import os

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_v] = "1"  # before numpy loads; the vector env's workers inherit it

import argparse
import copy
import functools
import importlib.metadata
import json
import platform
import sys
import time

import gymnasium as gym
import gymnasium_robotics
import mujoco
import numpy as np

LOAD = os.getloadavg()[0]  # other work on the machine skews the numbers; > ~0.5 here means contended
ENVS = ["HandManipulateBlock-v1", "HandReach-v3"]  # both registered in gymnasium-robotics 1.4.2


def make(env_id):
    gym.register_envs(gymnasium_robotics)  # also inside AsyncVectorEnv workers
    return gym.make(env_id)


def rate(step, seconds, warmup):
    """Calls step() (which returns how many env steps it did) for warmup s, then for seconds s; steps/s."""
    for duration in (warmup, seconds):
        n, t0 = 0, time.perf_counter()
        while (t := time.perf_counter() - t0) < duration:
            n += step()
    return n / t


def one_thread(env_id, seconds, warmup, seed):
    env = make(env_id)
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    lo, hi = env.action_space.low, env.action_space.high

    def step():
        _, _, terminated, truncated, _ = env.step(rng.uniform(lo, hi))
        if terminated or truncated:
            env.reset()
        return 1

    r = rate(step, seconds, warmup)
    env.close()
    return r


def vec2(env_id, seconds, warmup, seed):
    venv = gym.vector.AsyncVectorEnv([functools.partial(make, env_id)] * 2)  # autoreset built in
    venv.reset(seed=seed)
    rng = np.random.default_rng(seed)
    lo, hi = venv.action_space.low, venv.action_space.high

    def step():
        venv.step(rng.uniform(lo, hi))
        return venv.num_envs

    r = rate(step, seconds, warmup)
    venv.close()
    return r


def bare(env, seconds, warmup, seed):
    u = env.unwrapped
    model, substeps, episode = u.model, u.n_substeps, env.spec.max_episode_steps
    data = copy.copy(u.data)  # the env's state just after reset
    spec = mujoco.mjtState.mjSTATE_INTEGRATION
    init = np.empty(mujoco.mj_stateSize(model, spec))
    mujoco.mj_getState(model, data, init, spec)
    rng = np.random.default_rng(seed)
    lo, hi = model.actuator_ctrlrange[:, 0], model.actuator_ctrlrange[:, 1]
    k = 0

    def step():
        nonlocal k
        data.ctrl[:] = rng.uniform(lo, hi)
        mujoco.mj_step(model, data, nstep=substeps)
        k += 1
        if k % episode == 0:
            mujoco.mj_setState(model, data, init, spec)
        return 1

    return rate(step, seconds, warmup)


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    return {"nproc": len(os.sched_getaffinity(0)), "cpu_model": cpu, "python": platform.python_version(),
            "platform": platform.platform(), "loadavg_1min_at_start": round(LOAD, 2)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="duration of each measurement (default 10)")
    ap.add_argument("--warmup", type=float, default=1.0, help="warm-up before each measurement (default 1)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", help="also write the JSON here")
    args = ap.parse_args()
    t_run = time.perf_counter()
    envs = {}
    for env_id in ENVS:
        env = make(env_id)
        env.reset(seed=args.seed)
        u = env.unwrapped
        substeps = getattr(u, "n_substeps", None) or u.frame_skip
        dt = u.model.opt.timestep * substeps
        assert abs(dt - 0.04) < 1e-12, f"{env_id}: control period {dt} s, expected 0.04 s"
        info = {"control_dt": dt, "timestep": u.model.opt.timestep, "substeps": substeps,
                "max_episode_steps": env.spec.max_episode_steps, "nu": u.model.nu, "nq": u.model.nq}
        print(f"peer_speed: {env_id} ...", file=sys.stderr)
        bare_periods = bare(env, args.seconds, args.warmup, args.seed)
        env.close()
        one = one_thread(env_id, args.seconds, args.warmup, args.seed)
        envs[env_id] = info | {
            "one_thread_steps_per_s": round(one, 1),
            "vec2_steps_per_s": round(vec2(env_id, args.seconds, args.warmup, args.seed), 1),
            "bare_mj_step_periods_per_s": round(bare_periods, 1),
            "bare_mj_step_substeps_per_s": round(bare_periods * substeps, 1),
            "env_over_bare": round(one / bare_periods, 3),
        }
    doc = {
        "mujoco": mujoco.__version__, "gymnasium_robotics": importlib.metadata.version("gymnasium-robotics"),
        "gymnasium": gym.__version__, "numpy": np.__version__,
        "seconds_per_measurement": args.seconds, "warmup_s": args.warmup, "seed": args.seed,
        "vec_envs": 2, "vec_kind": "gymnasium.vector.AsyncVectorEnv", "threads_per_process": 1,
        "envs": envs, "machine": machine(), "total_run_s": round(time.perf_counter() - t_run, 1),
    }
    text = json.dumps(doc, indent=2)
    print(text)
    if args.out:
        with open(args.out + ".tmp", "w") as f:
            f.write(text + "\n")
        os.replace(args.out + ".tmp", args.out)
        print(f"peer_speed: wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
