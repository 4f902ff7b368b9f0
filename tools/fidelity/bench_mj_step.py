#!/usr/bin/env python3
"""Times a bare mujoco.mj_step loop on dm_control's swimmer model.

For a fair comparison with dm_swimmer.py's env steps/s, the same episodes are
first run through dm_control (controller, seeds as in dm_swimmer.py); the
initial states and the action sequences are recorded and then replayed with
plain `d.ctrl[:] = u; mujoco.mj_step(m, d, 15)` (no dm_control, no controller,
no reward). Returns are recomputed from the replay as a check (head_vel sensor
after mj_step is one physics step stale, so it is recomputed with mj_forward
outside the timed region).

Usage: bench_mj_step.py --n-links 6 --controller ncap --seed 0 --episodes 5
"""
import argparse
import json
import os
import time

os.environ.setdefault("MUJOCO_GL", "egl")

import numpy as np  # noqa: E402
import mujoco  # noqa: E402

import dm_swimmer  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n-links", type=int, default=6)
    p.add_argument("--controller", default="ncap",
                   choices=sorted(dm_swimmer.CONTROLLERS))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--episodes", type=int, default=5)
    a = p.parse_args()

    env = dm_swimmer.make_env(a.n_links)
    phys = env.physics
    ctl = dm_swimmer.CONTROLLERS[a.controller](phys)
    n_sub = int(round(dm_swimmer.CONTROL_TIMESTEP / phys.model.opt.timestep))
    recs = []
    t_env, n_env = 0.0, 0
    for ep in range(a.episodes):
        s = a.seed + ep
        env.task._random = np.random.RandomState(s)
        ts = env.reset()
        ctl.reset(s)
        q0 = phys.data.qpos.copy()
        us, ret = [], 0.0
        while not ts.last():
            u = ctl.act(phys)
            us.append(u)
            t0 = time.perf_counter()
            ts = env.step(u)
            t_env += time.perf_counter() - t0
            n_env += 1
            ret += ts.reward
        recs.append((s, q0, np.array(us), ret))

    m = phys.model.ptr  # the very same compiled MjModel, fresh MjData
    d = mujoco.MjData(m)
    sid = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_SENSOR, "head_vel")
    vadr = m.sensor_adr[sid] + 1
    t_bare, n_bare, out = 0.0, 0, []
    for s, q0, us, ret in recs:
        mujoco.mj_resetData(m, d)
        d.qpos[:] = q0
        mujoco.mj_forward(m, d)
        r = 0.0
        for u in us:
            t0 = time.perf_counter()
            d.ctrl[:] = u
            mujoco.mj_step(m, d, n_sub)
            t_bare += time.perf_counter() - t0
            n_bare += 1
            mujoco.mj_forward(m, d)
            r += float(np.clip(-d.sensordata[vadr] / 0.1, 0.0, 1.0))
        out.append({"seed": s, "dm_control_return": ret, "replay_return": r})
    print(json.dumps({
        "controller": a.controller,
        "episodes": out,
        "dm_control_env_steps_per_sec": n_env / t_env,
        "bare_mj_step_env_steps_per_sec": n_bare / t_bare,
        "bare_us_per_physics_step": t_bare / (n_bare * n_sub) * 1e6,
        "physics_steps_per_env_step": n_sub,
    }, indent=1))


if __name__ == "__main__":
    main()
