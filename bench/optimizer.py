#!/usr/bin/env python3
"""The optimizer's gain: each job run by Sluice optimized and with `--no-optimize` (and,
for row-group pruning, with predicate pushdown alone switched off), in one run. Reports
wall time, peak memory, and what the scans read and converted (from Sluice's summary).

Jobs:
  earthquakes      examples/earthquakes on earthquakes x100 (CSV, 240 MB)
  credit           examples/credit on credit x20 (CSV, 151 MB)
  parquet          bench/pipelines/strong_quakes.sluice on earthquakes x100 as Parquet
  parquet sorted   the same on the file sorted by Magnitude (row groups pruned)

Usage: bench/run.sh (builds everything, then calls this).
"""
import json
import re
import sys
import tempfile
from pathlib import Path

from timing import RUNS, measure

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
SLUICE = str(ROOT / "target" / "release" / "sluice")

SOURCE = re.compile(r"source (\S+)\s+(\d+) rows read, (\d+) bad, ([\d.]+ \S+) read(?:, ([\d.]+ \S+) of fields converted)?")


def scans(stderr):
    """'name: read X, converted Y' for each source in a run summary."""
    out = []
    for m in SOURCE.finditer(stderr):
        text = f"{m.group(4)} read"
        if m.group(5):
            text += f", {m.group(5)} converted"
        out.append(text)
    return "; ".join(out)


def main():
    out = tempfile.mkdtemp()
    jobs = [
        ("earthquakes", ["examples/earthquakes/pipeline.sluice", "--param", f"input={DATA}/earthquakes_x100.csv"]),
        ("credit", ["examples/credit/pipeline.sluice", "--param", f"input={DATA}/credit_x20.csv"]),
        ("parquet", ["bench/pipelines/strong_quakes.sluice", "--param", f"input={DATA}/earthquakes_x100.parquet"]),
        ("parquet sorted", ["bench/pipelines/strong_quakes.sluice", "--param", f"input={DATA}/earthquakes_x100_by_magnitude.parquet"]),
    ]
    modes = [("optimized", []), ("--no-optimize", ["--no-optimize"])]
    rows = []
    results = {}
    for job, args in jobs:
        job_modes = modes + ([("no predicate pushdown", ["--disable-rule", "predicate_pushdown"])] if job == "parquet sorted" else [])
        base = None
        for mode, flags in job_modes:
            t, m, err = measure([SLUICE, "run", *args, "--param", f"out={out}", *flags])
            base = base or (t, m)
            results[f"{job}/{mode}"] = {"seconds": t, "peak_mib": m, "scans": scans(err)}
            rows.append(f"| {job} | {mode} | {t:.2f} | {m:.0f} | {t / base[0]:.2f}× | {scans(err)} |")
    print(f"median of {RUNS} runs per row\n")
    print("| job | plan | wall (s) | peak RSS (MiB) | time vs optimized | scans |")
    print("| --- | --- | ---: | ---: | ---: | --- |")
    print("\n".join(rows))
    print()
    print(json.dumps(results))


if __name__ == "__main__":
    import os
    os.chdir(ROOT)
    sys.exit(main())
