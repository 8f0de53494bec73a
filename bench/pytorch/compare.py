"""Criticality beside PyTorch, model by model, on 1 and 2 threads (issue 14; docs/benchmarks.md).

    python3 bench/pytorch/compare.py [--criticality .build/release/criticality] [--models mlp5,mlp2,mlp-large,cnn,cnn-28]
                                     [--threads 1,2] [--rounds 3] [--seconds 1] [--batch-size 64] [--markdown FILE]
    python3 bench/pytorch/compare.py --models transformer --batch-size 8     # SI S5's model (issue 17)

For each model and thread count it alternates, `--rounds` times, one `criticality bench` process
(plain and tracked, timed alternately inside it) with one PyTorch process per variant (plain, then
with the authors' tracker, bench/pytorch/time_pytorch.py), so both see the same machine state; each
figure is the median of its rounds' medians. Prints one table — model, threads, Criticality steps/s,
PyTorch steps/s, ratio, plain and tracked — and the BLAS kernel Criticality ran. Without PyTorch it
says so and prints Criticality's figures alone.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def have_torch():
    try:
        import torch  # noqa: F401
        return True
    except ImportError:
        return False


def criticality(binary, model, threads, seconds, batch):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "bench.json")
        subprocess.run([binary, "bench", "--models", model, "--threads", str(threads), "--repeats", "3",
                        "--seconds", str(seconds), "--batch-size", str(batch), "--no-fits", "--json", out],
                       check=True, stdout=subprocess.DEVNULL)
        with open(out) as f:
            report = json.load(f)
    r = report["models"][0]
    return r["steps_per_second"], r.get("tracked_steps_per_second"), report["blas"]["core"]


def pytorch(model, threads, seconds, tracked, batch):
    cmd = [sys.executable, os.path.join(HERE, "time_pytorch.py"), model, "--threads", str(threads),
           "--repeats", "3", "--seconds", str(seconds), "--batch-size", str(batch)] + (["--tracked"] if tracked else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["steps_per_second"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--criticality", default=".build/release/criticality")
    p.add_argument("--models", default="mlp5,mlp2,mlp-large,cnn,cnn-28")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=1.0)
    p.add_argument("--batch-size", type=int, default=64, help="both sides' batch (the authors' transformer runs: 4, 8, 16)")
    p.add_argument("--markdown", help="also write the table to this file")
    a = p.parse_args()
    torch_ok = have_torch()
    if not torch_ok:
        print("PyTorch is not installed (pip install torch; the CPU wheel where available): "
              "timing Criticality alone, the PyTorch columns stay empty.")
    env = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    print("environment: " + ", ".join(f"{k}={v if v is not None else '(unset)'}" for k, v in env.items()))
    rows, cores = [], set()
    for model in a.models.split(","):
        for threads in [int(t) for t in a.threads.split(",")]:
            c_plain, c_tracked, t_plain, t_tracked = [], [], [], []
            for _ in range(a.rounds):
                plain, tracked, core = criticality(a.criticality, model, threads, a.seconds, a.batch_size)
                cores.add(core)
                c_plain.append(plain)
                c_tracked.append(tracked)
                if torch_ok:
                    t_plain.append(pytorch(model, threads, a.seconds, False, a.batch_size))
                    t_tracked.append(pytorch(model, threads, a.seconds, True, a.batch_size))
            med = lambda v: statistics.median(v) if v and None not in v else None  # noqa: E731
            rows.append((model, threads, med(c_plain), med(t_plain), med(c_tracked), med(t_tracked)))
            print(f"  {model} on {threads}: done", file=sys.stderr)

    def num(v):
        return "—" if v is None else f"{v:,.1f}"

    def ratio(c, t):
        return "—" if c is None or t is None else f"{c / t:.2f}×"

    lines = [f"BLAS kernel Criticality ran: {', '.join(sorted(cores))}",
             "",
             "| model | threads | Criticality steps/s | PyTorch steps/s | ratio | Criticality tracked | PyTorch tracked | ratio |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for model, threads, cp, tp, ct, tt in rows:
        lines.append(f"| {model} | {threads} | {num(cp)} | {num(tp)} | {ratio(cp, tp)} | {num(ct)} | {num(tt)} | {ratio(ct, tt)} |")
    text = "\n".join(lines)
    print(text)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
