#!/usr/bin/env python3
"""Time Stable-Baselines3's PPO update phase (PPO.train()) on a synthetic batch.

The SB3 side of nerve's PPO update-speed comparison. Only the update phase is timed: no env is ever
stepped. The rollout buffer (8 envs x 256 steps = 2048 samples, Swimmer6-v0 shapes: obs 23, action 5
in [-1, 1]) is filled directly with synthetic data from numpy RandomState(0); values and log-probs
come from the freshly initialised policy on those observations/actions, and GAE is computed by the
buffer itself. One timed call = 10 epochs x 32 minibatches of 64 (320 Adam steps).

Run with the venv from tools/sb3/setup_venv.sh:
    ~/.cache/nerve/sb3-venv/bin/python tools/sb3/ppo_update_bench.py [--repeats 5] [--threads 1]
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
from stable_baselines3 import PPO
from stable_baselines3.common.logger import configure
from stable_baselines3.common.vec_env import DummyVecEnv

OBS_DIM = 23  # nerve's Swimmer6-v0
ACT_DIM = 5
N_ENVS = 8
N_STEPS = 256
BATCH_SIZE = 64
N_EPOCHS = 10


class SyntheticBoxEnv(gym.Env):
    """Spaces only; the bench never steps it."""

    def __init__(self):
        self.observation_space = spaces.Box(-np.inf, np.inf, shape=(OBS_DIM,), dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, shape=(ACT_DIM,), dtype=np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(OBS_DIM, dtype=np.float32), {}

    def step(self, action):
        return np.zeros(OBS_DIM, dtype=np.float32), 0.0, False, False, {}


def fill_rollout_buffer(model, seed=0):
    rng = np.random.RandomState(seed)
    buf = model.rollout_buffer
    buf.reset()
    obs = rng.standard_normal((N_STEPS, N_ENVS, OBS_DIM)).astype(np.float32)
    act = rng.uniform(-1.0, 1.0, size=(N_STEPS, N_ENVS, ACT_DIM)).astype(np.float32)
    rew = rng.standard_normal((N_STEPS, N_ENVS)).astype(np.float32)
    last_obs = rng.standard_normal((N_ENVS, OBS_DIM)).astype(np.float32)

    policy = model.policy
    policy.set_training_mode(False)
    with torch.no_grad():
        obs_t = torch.as_tensor(obs.reshape(-1, OBS_DIM), device=model.device)
        act_t = torch.as_tensor(act.reshape(-1, ACT_DIM), device=model.device)
        values, log_probs, _ = policy.evaluate_actions(obs_t, act_t)
        last_values = policy.predict_values(torch.as_tensor(last_obs, device=model.device))

    buf.observations[:] = obs
    buf.actions[:] = act
    buf.rewards[:] = rew
    buf.episode_starts[:] = 0.0
    buf.values[:] = values.cpu().numpy().reshape(N_STEPS, N_ENVS)
    buf.log_probs[:] = log_probs.cpu().numpy().reshape(N_STEPS, N_ENVS)
    buf.compute_returns_and_advantage(last_values=last_values, dones=np.zeros(N_ENVS, dtype=bool))
    buf.pos = buf.buffer_size
    buf.full = True
    buf.generator_ready = False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5, help="timed PPO.train() calls after one warm-up")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (intra-op)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)  # RolloutBuffer.get() shuffles with the global numpy RNG

    env = DummyVecEnv([SyntheticBoxEnv for _ in range(N_ENVS)])
    model = PPO(
        "MlpPolicy",
        env,
        n_steps=N_STEPS,
        batch_size=BATCH_SIZE,
        n_epochs=N_EPOCHS,
        gamma=0.99,
        gae_lambda=0.95,
        clip_range=0.2,
        ent_coef=0.0,
        vf_coef=0.5,
        max_grad_norm=0.5,
        learning_rate=3e-4,
        policy_kwargs=dict(net_arch=dict(pi=[64, 64], vf=[64, 64]), activation_fn=torch.nn.Tanh),
        device="cpu",
        seed=args.seed,
        verbose=0,
    )
    # learn() would set a logger in _setup_learn; train() records into it. Keep it silent.
    model.set_logger(configure(None, []))
    assert model.rollout_buffer.buffer_size * model.rollout_buffer.n_envs == N_STEPS * N_ENVS

    # Count Adam steps per train() call, to check it is 10 epochs x 32 minibatches.
    n_opt_steps = [0]
    model.policy.optimizer.register_step_post_hook(lambda *a, **k: n_opt_steps.__setitem__(0, n_opt_steps[0] + 1))

    times = []
    steps_per_call = set()
    for i in range(args.repeats + 1):
        # Same synthetic batch for every call; refilling is outside the timed region.
        fill_rollout_buffer(model, seed=0)
        n_opt_steps[0] = 0
        t0 = time.perf_counter()
        model.train()
        dt = time.perf_counter() - t0
        steps_per_call.add(n_opt_steps[0])
        if i > 0:  # the first call is the warm-up
            times.append(dt)

    assert len(steps_per_call) == 1, steps_per_call
    steps_per_call = steps_per_call.pop()
    print(
        json.dumps(
            {
                "system": "stable-baselines3",
                "sb3_version": stable_baselines3.__version__,
                "torch_version": torch.__version__,
                "threads": torch.get_num_threads(),
                "batch": N_STEPS * N_ENVS,
                "minibatch": BATCH_SIZE,
                "epochs": N_EPOCHS,
                "optimizer_steps_per_update": steps_per_call,
                "update_seconds": [round(t, 6) for t in times],
                "best_s": round(min(times), 6),
                "median_s": round(statistics.median(times), 6),
            }
        )
    )


if __name__ == "__main__":
    main()
