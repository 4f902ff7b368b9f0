"""Writes tests/fixtures/shadow_hand_fk.json: Gymnasium-Robotics' Shadow hand (reach.xml, the
hand alone) at random joint angles inside the joint ranges, with every hand body's world
position and orientation and the five fingertip sites' world positions, from mj_forward.

    tools/hand/setup_venv.sh && ~/.cache/nerve/hand-venv/bin/python tools/hand/fk_fixture.py

Seeded: the same versions give the same file.
"""
import importlib.metadata
import json
import os
import sys

import mujoco
import numpy as np
import gymnasium_robotics

JOINTS = ["WRJ1", "WRJ0", "FFJ3", "FFJ2", "FFJ1", "FFJ0", "MFJ3", "MFJ2", "MFJ1", "MFJ0", "RFJ3", "RFJ2", "RFJ1", "RFJ0",
          "LFJ4", "LFJ3", "LFJ2", "LFJ1", "LFJ0", "THJ4", "THJ3", "THJ2", "THJ1", "THJ0"]
BODIES = ["forearm", "wrist", "palm", "ffknuckle", "ffproximal", "ffmiddle", "ffdistal", "mfknuckle", "mfproximal",
          "mfmiddle", "mfdistal", "rfknuckle", "rfproximal", "rfmiddle", "rfdistal", "lfmetacarpal", "lfknuckle",
          "lfproximal", "lfmiddle", "lfdistal", "thbase", "thproximal", "thhub", "thmiddle", "thdistal"]
TIPS = ["fftip", "mftip", "rftip", "lftip", "thtip"]


def main(out, n=200, seed=0):
    xml = os.path.join(os.path.dirname(gymnasium_robotics.__file__), "envs", "assets", "hand", "reach.xml")
    model = mujoco.MjModel.from_xml_path(xml)
    data = mujoco.MjData(model)
    qadr = [model.jnt_qposadr[model.joint("robot0:" + j).id] for j in JOINTS]
    ranges = np.array([model.jnt_range[model.joint("robot0:" + j).id] for j in JOINTS])
    rng = np.random.default_rng(seed)
    samples = []
    for k in range(n):
        # The first sample is the zero pose; the rest uniform inside the ranges.
        q = np.zeros(len(JOINTS)) if k == 0 else rng.uniform(ranges[:, 0], ranges[:, 1])
        data.qpos[:] = 0
        data.qpos[qadr] = q
        mujoco.mj_forward(model, data)
        samples.append({
            "q": q.tolist(),
            "body_pos": [data.body("robot0:" + b).xpos.tolist() for b in BODIES],
            "body_quat_wxyz": [data.body("robot0:" + b).xquat.tolist() for b in BODIES],
            "fingertips": [data.site("robot0:S_" + t).xpos.tolist() for t in TIPS],
        })
    doc = {
        "source": f"gymnasium-robotics {importlib.metadata.version('gymnasium-robotics')}, mujoco {mujoco.__version__}: "
                  "envs/assets/hand/reach.xml, mj_forward at qpos = q (joint order as `joints`); seed " + str(seed),
        "joints": JOINTS, "bodies": BODIES, "fingertips": TIPS, "ranges": ranges.tolist(), "samples": samples,
    }
    with open(out + ".tmp", "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"))
    os.replace(out + ".tmp", out)
    print(f"fk_fixture: wrote {out} ({n} configurations)", file=sys.stderr)


if __name__ == "__main__":
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "tests", "fixtures", "shadow_hand_fk.json"))
