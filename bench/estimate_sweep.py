#!/usr/bin/env python3
"""Estimates the wall time of a sweep's full version from its reduced run (docs/benchmarks.md, issue 18).

    python3 bench/estimate_sweep.py OUT/si/S2 [OUT/si/S3 ...] [--jobs 2]

For each reduced sweep folder: every point's measured wall time (manifest `timing.wall_seconds`: training,
evaluations and the replay of the recorded windows) and the time its analysis took (the fits file's mtime
after the manifest's), then the full version: each condition's mean training time per step times the full
version's steps (the reduced version divides steps by the `reduced.steps` factor of the folder's own
sweep.yaml), plus the analysis time as measured (it depends on the histograms, not on the steps), times the
full version's seed count, summed and divided by the jobs running at once. Prints one line per sweep and the
total. An estimate: per-step cost is taken as constant over a run.
"""
import argparse, json, os, sys
import yaml

def load(folder):
    sweep = json.load(open(os.path.join(folder, "sweep.json")))
    spec = yaml.safe_load(open(os.path.join(folder, "sweep.yaml")))
    factor = float((spec.get("reduced") or {}).get("steps", 1))
    seeds = len(spec.get("seeds") or [None])
    return sweep, factor, seeds

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folders", nargs="+")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    total_reduced = total_full = 0.0
    for folder in a.folders:
        sweep, factor, full_seeds = load(folder)
        if not sweep.get("reduced"):
            print(f"{folder}: not a reduced sweep", file=sys.stderr); continue
        per_condition = {}
        reduced_sum = 0.0
        for p in sweep["points"]:
            run = os.path.join(folder, "runs", p["name"])
            m = json.load(open(os.path.join(run, "manifest.json")))
            wall = m["timing"]["wall_seconds"]
            fits = os.path.join(run, "observers", "updates", "fits.json")
            analysis = max(0.0, os.path.getmtime(fits) - os.path.getmtime(os.path.join(run, "manifest.json"))) if os.path.exists(fits) else 0.0
            reduced_sum += wall + analysis
            steps = m["total_steps"]
            per_condition.setdefault(p["condition"], []).append((wall / steps, steps, analysis))
        full = 0.0
        for c, rows in per_condition.items():
            per_step = sum(r[0] for r in rows) / len(rows)
            steps_full = round(rows[0][1] / factor)
            analysis = sum(r[2] for r in rows) / len(rows)
            full += full_seeds * (per_step * steps_full + analysis)
        total_reduced += reduced_sum; total_full += full
        print(f"{sweep['name']}: {len(sweep['points'])} reduced runs, {reduced_sum / 60:.1f} min of run time "
              f"({reduced_sum / a.jobs / 60:.1f} min on {a.jobs} jobs); full version ({full_seeds} seeds, steps / {factor:g}): "
              f"{full / 3600:.2f} h of run time, {full / a.jobs / 3600:.2f} h on {a.jobs} jobs")
    print(f"all: reduced {total_reduced / a.jobs / 60:.1f} min, full {total_full / a.jobs / 3600:.2f} h on {a.jobs} jobs (estimated)")

if __name__ == "__main__":
    main()
