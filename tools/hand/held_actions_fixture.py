"""Writes tests/fixtures/shadow_hand_held_actions.json: Gymnasium-Robotics' HandReach-v3 (MuJoCo)
from its reset, one action held for a whole 50-step episode (2 s), for the zero action, each
actuator alone at -1 and at +1 (the others at zero), and random actions uniform in [-1, 1]^20;
after 10, 25 and 50 steps the five fingertip sites' world positions and the 24 joint angles.

The fixture is the ground truth for the hand's statics and servo response: the same held command
must bring nerve's fingertips where MuJoCo's go (envs/tests/hand_tasks.rs). A goal that MuJoCo's
hand reaches with a held command and nerve's cannot is a fidelity bug, not a learning problem.

    tools/hand/setup_venv.sh && ~/.cache/nerve/hand-venv/bin/python tools/hand/held_actions_fixture.py

Seeded and deterministic: the same versions give the same file.
"""
import importlib.metadata
import json
import os
import sys

import gymnasium as gym
import gymnasium_robotics
import mujoco
import numpy as np

JOINTS = ["WRJ1", "WRJ0", "FFJ3", "FFJ2", "FFJ1", "FFJ0", "MFJ3", "MFJ2", "MFJ1", "MFJ0", "RFJ3", "RFJ2", "RFJ1", "RFJ0",
          "LFJ4", "LFJ3", "LFJ2", "LFJ1", "LFJ0", "THJ4", "THJ3", "THJ2", "THJ1", "THJ0"]
RECORD_AT = [10, 25, 50]


def actions(n_random, seed):
    out = [np.zeros(20)]
    for i in range(20):
        for sign in (-1.0, 1.0):
            a = np.zeros(20)
            a[i] = sign
            out.append(a)
    rng = np.random.default_rng(seed)
    out.extend(rng.uniform(-1.0, 1.0, size=(n_random, 20)))
    return out


def main(out, n_random=40, seed=0):
    gym.register_envs(gymnasium_robotics)
    env = gym.make("HandReach-v3")
    raw = env.unwrapped
    model, data = raw.model, raw.data
    qadr = [model.jnt_qposadr[model.joint("robot0:" + j).id] for j in JOINTS]
    samples = []
    for a in actions(n_random, seed):
        obs, _ = env.reset(seed=0)
        records = []
        for t in range(1, max(RECORD_AT) + 1):
            obs, _, _, _, _ = env.step(a.astype(np.float32))
            if t in RECORD_AT:
                records.append({"steps": t, "fingertips": obs["achieved_goal"].tolist(),
                                "q": [float(data.qpos[k]) for k in qadr]})
        samples.append({"action": a.tolist(), "records": records})
    doc = {
        "source": f"gymnasium-robotics {importlib.metadata.version('gymnasium-robotics')}, mujoco {mujoco.__version__}: "
                  f"HandReach-v3 from reset(seed=0), one action held; the zero action, each actuator alone at -1 and +1, "
                  f"then {n_random} actions uniform in [-1, 1]^20 (numpy default_rng({seed}))",
        "joints": JOINTS, "fingertips": ["ff", "mf", "rf", "lf", "th"], "control_dt": float(raw.dt),
        "samples": samples,
    }
    with open(out, "w") as f:
        json.dump(doc, f)
    print(f"wrote {out}: {len(samples)} held actions", file=sys.stderr)


if __name__ == "__main__":
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "tests", "fixtures", "shadow_hand_held_actions.json"))
