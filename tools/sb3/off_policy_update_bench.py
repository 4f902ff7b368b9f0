#!/usr/bin/env python3
"""Time Stable-Baselines3's SAC and TD3 update steps, and (optionally) a whole Pendulum-v1 run.

The SB3 side of nerve's off-policy speed comparison (tools/sb3/compare_off_policy_update.sh).

Update step: the replay buffer is filled with 10 000 random transitions (numpy RandomState(0);
Pendulum-v1's shapes: 3-D observations, a 1-D action in [-1, 1]) and `model.train(gradient_steps=N,
batch_size=256)` is timed: N critic updates with the actor, temperature and targets as SB3 schedules
them. The networks are nerve's timing networks: actor and critics `hidden` wide, ReLU. SAC:
learning rate 3e-4 for all three optimisers, automatic entropy, target update every step. TD3:
policy delay 2, target smoothing noise 0.2 clipped at 0.5. Both tau 0.005, gamma 0.99, Adam.
Nerve's SAC (after CleanRL) updates its actor twice every other step instead of once every step:
the same number of actor updates per critic update.

End to end (--end-to-end): `model.learn(20_000)` on gymnasium's Pendulum-v1 with nerve's default
hyperparameters for that learner (given as JSON by the caller, so both sides read one source).

Run with the venv from tools/sb3/setup_venv.sh:
    ~/.cache/nerve/sb3-venv/bin/python tools/sb3/off_policy_update_bench.py --agent sac --hidden 256 256
Prints one JSON object on stdout.
"""
import argparse
import json
import statistics
import time

import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces

import stable_baselines3
from stable_baselines3 import SAC, TD3
from stable_baselines3.common.logger import configure
from stable_baselines3.common.noise import NormalActionNoise

N_TRANSITIONS = 10_000
BATCH = 256


class SpacesOnly(gym.Env):
    """Pendulum-v1's spaces; the update bench never steps it."""

    def __init__(self, obs_dim, act_dim):
        self.observation_space = spaces.Box(-np.inf, np.inf, shape=(obs_dim,), dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, shape=(act_dim,), dtype=np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(self.observation_space.shape, dtype=np.float32), {}

    def step(self, action):
        return np.zeros(self.observation_space.shape, dtype=np.float32), 0.0, False, False, {}


def make_model(agent, env, hidden, **kw):
    policy_kwargs = dict(net_arch=list(hidden), activation_fn=torch.nn.ReLU)
    if agent == "sac":
        return SAC("MlpPolicy", env, policy_kwargs=policy_kwargs, device="cpu", seed=0, verbose=0, **kw)
    return TD3("MlpPolicy", env, policy_kwargs=policy_kwargs, device="cpu", seed=0, verbose=0, **kw)


def time_updates(agent, obs_dim, act_dim, hidden, updates, repeats):
    env = SpacesOnly(obs_dim, act_dim)
    model = make_model(agent, env, hidden, batch_size=BATCH, buffer_size=N_TRANSITIONS, learning_starts=0, learning_rate=3e-4, tau=0.005, gamma=0.99)
    model.set_logger(configure(None, []))
    rng = np.random.RandomState(0)
    buf = model.replay_buffer
    for i in range(N_TRANSITIONS):
        obs = rng.standard_normal((1, obs_dim)).astype(np.float32)
        nxt = rng.standard_normal((1, obs_dim)).astype(np.float32)
        act = np.clip(rng.standard_normal((1, act_dim)), -1, 1).astype(np.float32)
        rew = rng.standard_normal(1).astype(np.float32)
        buf.add(obs, nxt, act, rew, np.array([False]), [{}])
    model._current_progress_remaining = 1.0
    times = []
    for k in range(repeats + 1):
        start = time.perf_counter()
        model.train(gradient_steps=updates, batch_size=BATCH)
        if k > 0:
            times.append((time.perf_counter() - start) / updates)
    return times


def end_to_end(agent, hp, steps):
    """A Pendulum-v1 run of `steps` env steps with nerve's hyperparameters `hp`."""
    env = gym.make("Pendulum-v1")
    actor = hp["actor_hidden"]
    critic = hp["hidden"]
    policy_kwargs = dict(net_arch=dict(pi=actor, qf=critic))
    common = dict(buffer_size=hp["buffer_size"], batch_size=hp["batch_size"], learning_starts=hp["learning_starts"], tau=hp["tau"], gamma=hp["gamma"],
                  train_freq=1, gradient_steps=1, device="cpu", seed=0, verbose=0, policy_kwargs=policy_kwargs)
    if agent == "sac":
        # CleanRL's (nerve's) SAC: separate policy and Q learning rates; SB3 has one learning rate.
        model = SAC("MlpPolicy", env, learning_rate=hp["q_lr"], ent_coef="auto", **common)
    else:
        act_dim = env.action_space.shape[0]
        noise = NormalActionNoise(np.zeros(act_dim), hp["exploration_noise"] * np.ones(act_dim) * float(env.action_space.high[0]))
        model = TD3("MlpPolicy", env, learning_rate=hp["learning_rate"], policy_delay=hp["policy_frequency"], target_policy_noise=hp["policy_noise"],
                    target_noise_clip=hp["noise_clip"], action_noise=noise, **common)
    start = time.perf_counter()
    model.learn(total_timesteps=steps)
    return time.perf_counter() - start


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--agent", choices=["sac", "td3"], required=True)
    p.add_argument("--hidden", type=int, nargs="+", default=[256, 256])
    p.add_argument("--dims", type=int, nargs=2, default=[3, 1])
    p.add_argument("--updates", type=int, default=200)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=1, help="torch threads (0: torch's default)")
    p.add_argument("--end-to-end", metavar="HP_JSON", help="also time a 20k-step Pendulum-v1 run with these hyperparameters")
    p.add_argument("--steps", type=int, default=20_000)
    args = p.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    out = {"system": "stable-baselines3", "sb3_version": stable_baselines3.__version__, "torch_version": torch.__version__, "agent": args.agent,
           "obs_dim": args.dims[0], "act_dim": args.dims[1], "hidden": args.hidden, "batch": BATCH, "threads": torch.get_num_threads()}
    if args.updates > 0:
        times = time_updates(args.agent, args.dims[0], args.dims[1], args.hidden, args.updates, args.repeats)
        out.update(update_seconds=times, best_s=min(times), median_s=statistics.median(times), updates=args.updates)
    if args.end_to_end:
        out["end_to_end_s"] = end_to_end(args.agent, json.loads(args.end_to_end), args.steps)
        out["end_to_end_steps"] = args.steps
    print(json.dumps(out))


if __name__ == "__main__":
    main()
