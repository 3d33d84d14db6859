"""Timing helpers shared by the benchmark scripts: each run is a fresh process, timed
from start to exit, under GNU time for its peak resident memory; the median of RUNS
runs is reported."""
import os
import statistics
import subprocess
import tempfile
import time

RUNS = int(os.environ.get("RUNS", "3"))


def timed(cmd):
    """(seconds, peak MiB, stderr text) of one run of cmd."""
    with tempfile.NamedTemporaryFile("r") as t:
        started = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", t.name, *cmd], check=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        seconds = time.perf_counter() - started
        kib = t.read().split()[-1]
    return seconds, int(kib) / 1024, done.stderr


def measure(cmd):
    """(median seconds, max peak MiB, stderr of the last run) over RUNS runs."""
    runs = [timed(cmd) for _ in range(RUNS)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs), runs[-1][2]
