#!/usr/bin/env python3
"""The JIT end to end: whole pipelines run by `sluice run --jit on` and `--jit off`, in
one run (median wall time and peak memory of RUNS fresh processes each).

Jobs:
  earthquakes  examples/earthquakes on earthquakes x100 (CSV, 240 MB): its stage
               computes `year(...)` of dates parsed from text
  features     examples/features on credit x20 (CSV, 151 MB): a filter pushed into the
               scan, then six derived numeric features in one compiled stage
  parquet      examples/features' stage over credit x20 as Parquet (no text parsing)

Usage: bench/run.sh jit (builds everything, then calls this).
"""
import subprocess
import tempfile
from pathlib import Path

from timing import RUNS, measure

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
SLUICE = str(ROOT / "target" / "release" / "sluice")


def main():
    out = tempfile.mkdtemp()
    credit_parquet = DATA / "credit_x20.parquet"
    if not credit_parquet.exists():
        subprocess.run([SLUICE, "run", "-q", "bench/pipelines/credit_to_parquet.sluice",
                        "--param", f"input={DATA}/credit_x20.csv",
                        "--param", f"out={credit_parquet}"], check=True, cwd=ROOT)
    jobs = [
        ("earthquakes", ["examples/earthquakes/pipeline.sluice", "--param", f"input={DATA}/earthquakes_x100.csv"]),
        ("features", ["examples/features/pipeline.sluice", "--param", f"input={DATA}/credit_x20.csv"]),
        ("features (Parquet)", ["bench/pipelines/features_parquet.sluice", "--param", f"input={credit_parquet}"]),
    ]
    print(f"median of {RUNS} runs per row\n")
    print("| job | --jit | wall (s) | peak RSS (MiB) | off / on |")
    print("| --- | --- | ---: | ---: | ---: |")
    for job, args in jobs:
        times = {}
        for mode in ["off", "on"]:
            t, m, _ = measure([SLUICE, "run", *args, "--param", f"out={out}", "--jit", mode])
            times[mode] = t
            ratio = f"{times['off'] / t:.2f}×" if mode == "on" else ""
            print(f"| {job} | {mode} | {t:.2f} | {m:.0f} | {ratio} |")


if __name__ == "__main__":
    main()
