#!/usr/bin/env python3
"""dm_control reference side of the Swimmer fidelity check.

Runs dm_control's procedurally generated swimmer (dm_control.suite.swimmer)
with N bodies (N-1 hinges) under the nerve task "swim forward" and a fixed
controller (zero, random, or the hand-wired NCAP circuit), and reports the
episode returns.

Task (same as nerve's Swimmer{N}-v0):
  * model: swimmer.get_model_and_assets(N), dm_control's own Physics,
    control timestep 0.03 s (15 physics steps of 0.002 s, Euler), 1000 steps
    (time limit 30 s);
  * reset: dm_control's own Swimmer.initialize_episode (root yaw U[-pi, pi],
    each hinge U[range]), the task's RandomState seeded with the episode seed;
  * reward: clip(v_fwd / 0.1, 0, 1) with v_fwd = -sensordata['head_vel'][1],
    the velocimeter on site "head": linear velocity of the head body's frame
    origin (= link centre = centre of mass) in the head frame; forward is -y.

Controllers (action u in [-1, 1]^(N-1), joint 0 is the hinge nearest the head):
  * zero:   u = 0;
  * random: u ~ U[-1, 1] iid per step, RandomState(episode_seed + 12345);
  * ncap:   the NCAP swimmer circuit with shared weights (see NcapController).

Usage: dm_swimmer.py --n-links 6 --controller ncap --seed 0 --episodes 5 [--json]
"""
import argparse
import json
import os
import sys
import time

# We never render; keep dm_control from probing for a GL backend via GLFW/X11.
os.environ.setdefault("MUJOCO_GL", "egl")

import numpy as np  # noqa: E402
import mujoco  # noqa: E402
from dm_control.rl import control  # noqa: E402
from dm_control.suite import swimmer  # noqa: E402

CONTROL_TIMESTEP = 0.03
TIME_LIMIT = 30.0


class SwimForward(swimmer.Swimmer):
    """dm_control's Swimmer task with the reward replaced by 'swim forward'."""

    def get_reward(self, physics):
        v_fwd = -physics.named.data.sensordata["head_vel"][1]
        return float(np.clip(v_fwd / 0.1, 0.0, 1.0))


def make_env(n_links):
    xml, assets = swimmer.get_model_and_assets(n_links)
    physics = swimmer.Physics.from_xml_string(xml, assets=assets)
    task = SwimForward(random=0)
    env = control.Environment(physics, task, time_limit=TIME_LIMIT,
                              control_timestep=CONTROL_TIMESTEP)
    return env


def hinge_qpos_adr(physics):
    """qpos addresses and upper limits of the hinges joint_0..joint_{N-2}."""
    m = physics.model
    adr, rng = [], []
    i = 0
    while True:
        jid = mujoco.mj_name2id(m.ptr, mujoco.mjtObj.mjOBJ_JOINT, f"joint_{i}")
        if jid < 0:
            break
        adr.append(int(m.jnt_qposadr[jid]))
        rng.append(float(m.jnt_range[jid, 1]))
        i += 1
    return np.array(adr), np.array(rng)


def graded(x):
    return np.clip(x, 0.0, 1.0)


class NcapController:
    """Hand-wired NCAP swimmer circuit (shared weights, no learning)."""

    W_PROP, W_OSC, W_IPSI, W_CONTRA = 1.0, 1.0, 1.0, -1.0
    PERIOD, HALF = 60, 30

    def __init__(self, physics):
        self.adr, self.rng = hinge_qpos_adr(physics)
        self.k = 0

    def reset(self, seed):
        self.k = 0

    def act(self, physics):
        q = physics.data.qpos[self.adr]
        x = np.clip(q / self.rng, -1.0, 1.0)
        q_d, q_v = graded(x), graded(-x)
        phase = self.k % self.PERIOD
        osc_d, osc_v = (1.0, 0.0) if phase < self.HALF else (0.0, 1.0)
        n = len(self.adr)
        u = np.zeros(n)
        for i in range(n):
            b_d = b_v = 0.0
            if i == 0:
                b_d += self.W_OSC * osc_d
                b_v += self.W_OSC * osc_v
            else:
                b_d += self.W_PROP * q_d[i - 1]
                b_v += self.W_PROP * q_v[i - 1]
            b_d, b_v = graded(b_d), graded(b_v)
            m_d = graded(b_d * self.W_IPSI + b_v * self.W_CONTRA)
            m_v = graded(b_v * self.W_IPSI + b_d * self.W_CONTRA)
            u[i] = m_d - m_v
        self.k += 1
        return u


class RandomController:
    def __init__(self, physics):
        self.n = len(hinge_qpos_adr(physics)[0])
        self.rs = None

    def reset(self, seed):
        self.rs = np.random.RandomState(seed + 12345)

    def act(self, physics):
        return self.rs.uniform(-1.0, 1.0, size=self.n)


class ZeroController:
    def __init__(self, physics):
        self.n = len(hinge_qpos_adr(physics)[0])

    def reset(self, seed):
        pass

    def act(self, physics):
        return np.zeros(self.n)


CONTROLLERS = {"ncap": NcapController, "random": RandomController,
               "zero": ZeroController}


def run(n_links, controller, seed, episodes):
    env = make_env(n_links)
    physics = env.physics
    ctl = CONTROLLERS[controller](physics)
    results = []
    step_time = 0.0
    n_steps = 0
    for ep in range(episodes):
        s = seed + ep
        env.task._random = np.random.RandomState(s)
        ts = env.reset()
        ctl.reset(s)
        ret, length = 0.0, 0
        while not ts.last():
            u = ctl.act(physics)
            t0 = time.perf_counter()
            ts = env.step(u)
            step_time += time.perf_counter() - t0
            n_steps += 1
            ret += ts.reward
            length += 1
        results.append({"seed": s, "return": ret, "length": length})
    rets = np.array([r["return"] for r in results])
    return {
        "system": "dm_control",
        "env": f"Swimmer{n_links}",
        "controller": controller,
        "episodes": results,
        "mean": float(rets.mean()),
        "std": float(rets.std()),
        "steps_per_sec": n_steps / step_time,
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-links", type=int, default=6)
    p.add_argument("--controller", choices=sorted(CONTROLLERS), default="ncap")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--episodes", type=int, default=5)
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    out = run(a.n_links, a.controller, a.seed, a.episodes)
    if a.json:
        print(json.dumps(out))
    else:
        for r in out["episodes"]:
            print(f"seed {r['seed']}: return {r['return']:.3f} "
                  f"(length {r['length']})")
        print(f"{out['env']} {out['controller']}: mean {out['mean']:.3f} "
              f"std {out['std']:.3f} over {len(out['episodes'])} episodes; "
              f"{out['steps_per_sec']:.0f} env steps/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
