"""Training steps per second of one model in PyTorch, as `criticality bench` times Criticality's.

    python3 bench/pytorch/time_pytorch.py MODEL --threads T [--batch-size 64] [--seconds 1] [--repeats 5] [--tracked]

Prints one JSON object: model, threads, steps_per_second (median), repeats. The step is SGD (lr 0.01,
no momentum) on cross-entropy over a fixed random batch of the model's shape — what Criticality's
bench times; for the transformer, lr 0.1 and a batch of random 50-token windows with one target per
position (the loss over B·50 tokens), in training mode (dropout on), as `criticality bench --models
transformer` times it. `--tracked` adds, per step, the in-memory part of the authors' update recorder: every
parameter's Δθ = θ_after − θ_before, |Δθ| flattened into one array and copied to NumPy (their scripts
then wrote it to disk, which is not timed here).
"""
import argparse
import json
import statistics
import sys
import time

import torch
from torch import nn

sys.path.insert(0, __import__("os").path.dirname(__file__))
from models import CLASSES, build  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seconds", type=float, default=1.0)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--tracked", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model, shape = build(a.model)
    model.train()
    classes = CLASSES.get(a.model, 10)
    if a.model == "transformer":
        x = torch.randint(0, classes, (a.batch_size, *shape))
        y = torch.randint(0, classes, (a.batch_size * shape[0],))
    else:
        x = torch.rand(a.batch_size, *shape)
        y = torch.randint(0, classes, (a.batch_size,))
    opt = torch.optim.SGD(model.parameters(), lr=0.1 if a.model == "transformer" else 0.01)
    ce = nn.CrossEntropyLoss()
    loss_fn = (lambda out, target: ce(out.reshape(-1, classes), target)) if a.model == "transformer" else ce
    params = list(model.parameters())

    def step():
        before = [q.detach().clone() for q in params] if a.tracked else None
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        opt.step()
        if a.tracked:
            with torch.no_grad():
                torch.cat([(q - b).abs().flatten() for q, b in zip(params, before)]).numpy().copy()

    for _ in range(5):
        step()
    t0 = time.perf_counter()
    for _ in range(5):
        step()
    per_repeat = max(5, int(a.seconds / max((time.perf_counter() - t0) / 5, 1e-7)))
    rates = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        for _ in range(per_repeat):
            step()
        rates.append(per_repeat / (time.perf_counter() - t0))
    print(json.dumps({"model": a.model, "threads": a.threads, "tracked": a.tracked, "torch": torch.__version__,
                      "steps_per_second": statistics.median(rates), "repeats": rates}))


if __name__ == "__main__":
    main()
