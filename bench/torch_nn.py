"""The bench/nn.ts cases in PyTorch, for the ratios `npm run bench:nn` prints.

Same networks (PyTorch layouts), batch, loss and optimizer as bench/nn.ts; one update = target
forward on the next states without grad, max over actions, online forward, gather, loss, backward,
optimizer step (with zero_grad); one action = forward on one observation and argmax, without grad.
Prints one JSON object: {"<case>": {"threads": {"1": {"update_ms", "update_ms_min", "update_cpu_ms", "act_us",
"act_us_min"}, "<n>": {...}}}, "torch": version}.

  python3 bench/torch_nn.py [--repeats 7] [--only nature]
"""
import argparse
import json
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def nature_cnn(c, actions):
    return nn.Sequential(
        nn.Conv2d(c, 32, 8, stride=4), nn.ReLU(), nn.Conv2d(32, 64, 4, stride=2), nn.ReLU(),
        nn.Conv2d(64, 64, 3, stride=1), nn.ReLU(), nn.Flatten(), nn.Linear(3136, 512), nn.ReLU(), nn.Linear(512, actions))


def small_cnn(c, actions):
    # deepq's smallCnn (src/nn/nets.ts): two convs and one hidden layer.
    return nn.Sequential(
        nn.Conv2d(c, 16, 8, stride=4), nn.ReLU(), nn.Conv2d(16, 32, 4, stride=2), nn.ReLU(),
        nn.Flatten(), nn.Linear(2592, 256), nn.ReLU(), nn.Linear(256, actions))


CASES = {
    "mlp-8-64-64-4-b128-adam": dict(build=lambda: mlp([8, 64, 64, 4]), input=[8], actions=4, batch=128, opt="adam", lr=1e-3, loss="huber"),
    "mlp-4-120-84-2-b128-adam": dict(build=lambda: mlp([4, 120, 84, 2]), input=[4], actions=2, batch=128, opt="adam", lr=2.5e-4, loss="mse"),
    "small-cnn-b32-rmsprop": dict(build=lambda: small_cnn(4, 5), input=[4, 84, 84], actions=5, batch=32, opt="rmsprop", lr=2.5e-4, loss="huber"),
    "nature-cnn-b32-rmsprop": dict(build=lambda: nature_cnn(4, 5), input=[4, 84, 84], actions=5, batch=32, opt="rmsprop", lr=2.5e-4, loss="huber"),
}


def setup(case):
    torch.manual_seed(0)
    online, target = case["build"](), case["build"]()
    target.load_state_dict(online.state_dict())
    if case["opt"] == "adam":
        opt = torch.optim.Adam(online.parameters(), lr=case["lr"])
    else:
        opt = torch.optim.RMSprop(online.parameters(), lr=case["lr"], alpha=0.95, eps=0.01)
    b = case["batch"]
    x, x_next = torch.rand(b, *case["input"]), torch.rand(b, *case["input"])
    actions = torch.randint(0, case["actions"], (b,))
    rewards, dones = torch.rand(b), (torch.rand(b) < 0.1).float()
    obs = torch.rand(1, *case["input"])
    loss_fn = F.smooth_l1_loss if case["loss"] == "huber" else F.mse_loss

    def update():
        with torch.no_grad():
            y = rewards + 0.99 * (1 - dones) * target(x_next).max(1).values
        opt.zero_grad()
        q = online(x).gather(1, actions[:, None])[:, 0]
        loss_fn(q, y).backward()
        opt.step()

    def act():
        with torch.no_grad():
            return int(online(obs).argmax(1))

    return update, act


def time_fn(fn, repeats, min_s=0.1, warm_s=0.3):
    end = time.perf_counter() + warm_s
    calls, t0 = 0, time.perf_counter()
    while time.perf_counter() < end or calls < 3:
        fn()
        calls += 1
    iters = max(1, int(min_s / ((time.perf_counter() - t0) / calls)))
    samples, cpu = [], []
    for _ in range(repeats):
        s, c = time.perf_counter(), time.process_time()
        for _ in range(iters):
            fn()
        samples.append((time.perf_counter() - s) / iters)
        cpu.append((time.process_time() - c) / iters)
    samples.sort()
    cpu.sort()
    # CPU time (all threads) per call: on a machine shared with other work, the one-thread figure is
    # what an idle core would take.
    return samples[len(samples) // 2], samples[0], cpu[len(cpu) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--only")
    args = ap.parse_args()
    cpus = os.cpu_count() or 1
    out = {"torch": torch.__version__}
    for name, case in CASES.items():
        if args.only and args.only not in name:
            continue
        per = {}
        for threads in sorted({1, cpus}):
            torch.set_num_threads(threads)
            update, act = setup(case)
            u, u_min, u_cpu = time_fn(update, args.repeats)
            a, a_min, _ = time_fn(act, args.repeats)
            per[str(threads)] = {"update_ms": u * 1e3, "update_ms_min": u_min * 1e3, "update_cpu_ms": u_cpu * 1e3,
                                 "act_us": a * 1e6, "act_us_min": a_min * 1e6}
        out[name] = {"threads": per}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
