#!/usr/bin/python3
"""bench/torch_bench.py — the configurations of bench/train_bench.c in PyTorch, for the
ratios that bench/run.sh prints.

    /usr/bin/python3 bench/torch_bench.py [--config seed|medium|large|all]
        [--cell lstm|gru|both] [--threads N] [--steps N] [--warmup N] [--json]

Run it with Debian's interpreter (/usr/bin/python3 and its python3-torch, PyTorch 1.13),
not another python3 on PATH. Same shapes, same optimizers, fused cells (nn.LSTM / nn.GRU):

  seed    LSTM/GRU(1 -> 50, sequences) -> Dropout(0.2) -> LSTM/GRU(50 -> 100), last step
          -> Dropout(0.2) -> Linear(100 -> 1); MSE; RMSprop(lr 1e-3, alpha 0.9, eps 1e-7);
          T 60, B 64.  PyTorch's RMSprop puts eps outside the square root
          (g / (sqrt(v) + eps)) where Keras (and tapegrad's tg_optim_rmsprop_keras, which
          train_bench uses) puts it inside (g / sqrt(v + eps)); same cost, slightly
          different numbers.
  medium  LSTM/GRU(64 -> 256), last step -> Linear(256 -> 1); MSE; Adam (defaults); T 60, B 64
  large   LSTM/GRU(256 -> 512), last step -> Linear(512 -> 1); MSE; Adam; T 100, B 32

A training step: optimizer.zero_grad(), forward, MSE loss, backward, optimizer.step().
Inference: model.eval() and the forward under torch.no_grad(). Medians of wall time
(time.perf_counter) after warm-up. torch.set_num_threads(N) (default 2); OMP_WAIT_POLICY
defaults to passive (set before torch is imported; run.sh exports it too).
rss_mb is this Python process's peak (ru_maxrss), torch's import included.
foreign_cpu_pct: CPU used by other processes during the timed training steps, as a share of
the whole machine (/proc/stat minus this process's CPU time); above a few percent the
timings are disturbed.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import torch  # noqa: E402  (after the OpenMP environment is set)
from torch import nn  # noqa: E402

CONFIGS = {
    # name: input, batch, time, hidden sizes, dropout, optimizer
    "seed": dict(input=1, batch=64, time=60, hidden=[50, 100], dropout=0.2, optim="rmsprop"),
    "medium": dict(input=64, batch=64, time=60, hidden=[256], dropout=0.0, optim="adam"),
    "large": dict(input=256, batch=32, time=100, hidden=[512], dropout=0.0, optim="adam"),
}
CELLS = {"lstm": (nn.LSTM, 4), "gru": (nn.GRU, 3)}


class Model(nn.Module):
    """Recurrent layers in a row (the last returns its last step), dropout after each
    when configured, then Linear(H -> 1)."""

    def __init__(self, cell, cfg):
        super().__init__()
        layer, _ = CELLS[cell]
        sizes = [cfg["input"]] + cfg["hidden"]
        self.rnns = nn.ModuleList(
            layer(sizes[i], sizes[i + 1], batch_first=True) for i in range(len(cfg["hidden"])))
        self.p = cfg["dropout"]
        self.drop = nn.Dropout(self.p)
        self.fc = nn.Linear(sizes[-1], 1)

    def forward(self, x):  # x (B, T, I) -> (B, 1)
        h = x
        for i, rnn in enumerate(self.rnns):
            h, _ = rnn(h)  # (B, T, H)
            if i + 1 == len(self.rnns):
                h = h[:, -1]  # (B, H): the last step
            if self.p > 0:
                h = self.drop(h)
        return self.fc(h)


def machine_busy_s():
    """Busy seconds of all CPUs from /proc/stat (user nice system irq softirq steal)."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return 0.0
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / os.sysconf("SC_CLK_TCK")


def self_cpu_s():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def forward_flops(cfg, gates):
    """Recurrent GEMM FLOPs of one forward pass, as train_bench counts them."""
    f, inp = 0.0, cfg["input"]
    for h in cfg["hidden"]:
        f += 2.0 * cfg["time"] * cfg["batch"] * gates * h * (inp + h)
        inp = h
    return f


def run_one(name, cell, steps, warmup):
    cfg = CONFIGS[name]
    torch.manual_seed(42)
    model = Model(cell, cfg)
    if cfg["optim"] == "rmsprop":  # Keras' defaults, PyTorch's formula (eps outside the root)
        opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(cfg["batch"], cfg["time"], cfg["input"]) * 2 - 1
    y = torch.rand(cfg["batch"], 1) * 2 - 1
    loss_fn = nn.MSELoss()

    def train_step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    model.train()
    loss_first = train_step()
    for _ in range(warmup - 1):
        train_step()
    times = []
    busy0, self0, wall0 = machine_busy_s(), self_cpu_s(), time.perf_counter()
    for _ in range(steps):
        t0 = time.perf_counter()
        loss_last = train_step()
        times.append((time.perf_counter() - t0) * 1e3)
    train_ms = statistics.median(times)
    # Other processes' share of the machine during the timed steps (as train_bench).
    wall = time.perf_counter() - wall0
    foreign = (machine_busy_s() - busy0) - (self_cpu_s() - self0)
    foreign_pct = max(0.0, 100.0 * foreign / (wall * (os.cpu_count() or 1))) if wall > 0 else 0.0

    model.eval()
    itimes = []
    with torch.no_grad():
        for _ in range(warmup):
            model(x)
        for _ in range(steps):
            t0 = time.perf_counter()
            model(x)
            itimes.append((time.perf_counter() - t0) * 1e3)
    infer_ms = statistics.median(itimes)

    f = forward_flops(cfg, CELLS[cell][1])
    return {
        "impl": "pytorch", "config": name, "cell": cell, "threads": torch.get_num_threads(),
        "batch": cfg["batch"], "time": cfg["time"], "input": cfg["input"],
        "params": sum(p.numel() for p in model.parameters()), "steps": steps, "warmup": warmup,
        "train_ms": round(train_ms, 4), "train_min_ms": round(min(times), 4),
        "train_max_ms": round(max(times), 4), "infer_ms": round(infer_ms, 4),
        "samples_per_s": round(cfg["batch"] / (train_ms * 1e-3), 1),
        "gflops_train": round(3 * f / (train_ms * 1e-3) * 1e-9, 3),
        "gflops_infer": round(f / (infer_ms * 1e-3) * 1e-9, 3),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 2),
        "foreign_cpu_pct": round(foreign_pct, 1),
        "loss_first": loss_first, "loss_last": loss_last,
        "torch": torch.__version__, "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default="all", choices=["all"] + list(CONFIGS))
    ap.add_argument("--cell", default="both", choices=["both"] + list(CELLS))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="one JSON object per line")
    a = ap.parse_args()
    if a.threads < 1 or a.steps < 1 or a.warmup < 1:
        ap.error("--threads, --steps and --warmup must be >= 1")
    torch.set_num_threads(a.threads)

    configs = list(CONFIGS) if a.config == "all" else [a.config]
    cells = list(CELLS) if a.cell == "both" else [a.cell]
    if not a.json:
        print(f"PyTorch {torch.__version__}: {torch.get_num_threads()} threads, "
              f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '')}, "
              f"{a.warmup} warm-up + {a.steps} timed steps; medians.")
        print(f"{'config':7} {'cell':5} {'params':>9} {'train_ms':>9} {'infer_ms':>9} "
              f"{'samples/s':>10} {'GF/s trn':>9} {'GF/s inf':>9} {'rss_MB':>8} {'others%':>8}")
    for name in configs:
        for cell in cells:
            r = run_one(name, cell, a.steps, a.warmup)
            if a.json:
                print(json.dumps(r))
            else:
                print(f"{name:7} {cell:5} {r['params']:9d} {r['train_ms']:9.2f} "
                      f"{r['infer_ms']:9.2f} {r['samples_per_s']:10.0f} "
                      f"{r['gflops_train']:9.2f} {r['gflops_infer']:9.2f} {r['rss_mb']:8.1f} "
                      f"{r['foreign_cpu_pct']:8.1f}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
