"""Are HandReach's goals reachable on MuJoCo? The same oracle as nerve's
envs/examples/hand_reach_oracle.rs, on Gymnasium-Robotics' HandReach-v3: for reset seeds whose
goal pairs the thumb with a wanted finger, a coordinate descent over one action held for the
whole 50-step episode (steps 0.5 halving to 0.01, each of the 20 entries +-step, kept if the
final 15-D fingertip distance falls). Success is < 0.01 m. About 1.5 min per seed on one core.

    tools/hand/setup_venv.sh
    ~/.cache/nerve/hand-venv/bin/python tools/hand/reach_oracle.py ring,first 2

prints, per seed: its goal finger, the distance at zero action and after the descent, and the
held action. Compare with `cargo run --release -p envs --example hand_reach_oracle -- 12`.
"""
import sys

import gymnasium as gym
import gymnasium_robotics
import numpy as np

FINGERS = ["first", "middle", "ring", "little"]


def final_distance(env, seed, action):
    obs, _ = env.reset(seed=seed)
    for _ in range(50):
        obs, *_ = env.step(action.astype(np.float32))
    return float(np.linalg.norm(obs["achieved_goal"] - obs["desired_goal"]))


def goal_finger(env, seed):
    """The fingertip whose desired position is furthest from where it starts; "none" if none moves."""
    obs, _ = env.reset(seed=seed)
    moved = np.linalg.norm((obs["achieved_goal"] - obs["desired_goal"]).reshape(5, 3)[:4], axis=1)
    return "none" if moved.max() < 1e-3 else FINGERS[int(moved.argmax())]


def descend(env, seed):
    action = np.zeros(20)
    start = best = final_distance(env, seed, action)
    step = 0.5
    while step > 0.01:
        improved = False
        for i in range(20):
            for sign in (1.0, -1.0):
                old = action[i]
                action[i] = np.clip(old + sign * step, -1.0, 1.0)
                d = final_distance(env, seed, action)
                if d < best:
                    best, improved = d, True
                else:
                    action[i] = old
        if not improved:
            step *= 0.5
    return start, best, action


def main(wanted, per_finger, max_seed=200):
    unknown = [w for w in wanted if w not in FINGERS + ["none"]]
    if unknown:
        sys.exit(f"reach_oracle.py: unknown finger {unknown}: expected some of {FINGERS + ['none']}")
    gym.register_envs(gymnasium_robotics)
    env = gym.make("HandReach-v3")
    done = {w: 0 for w in wanted}
    for seed in range(max_seed):
        if all(n >= per_finger for n in done.values()):
            break
        finger = goal_finger(env, seed)
        if finger not in done or done[finger] >= per_finger:
            continue
        done[finger] += 1
        start, best, action = descend(env, seed)
        print(f"mujoco seed {seed} ({finger}): zero action {start:.4f} m, best held action {best:.4f} m, "
              f"action {np.round(action, 2).tolist()}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: reach_oracle.py FINGER[,FINGER...] SEEDS_PER_FINGER  (fingers: first, middle, ring, little, none)")
    main(sys.argv[1].split(","), int(sys.argv[2]))
