#!/usr/bin/env python3
"""Writes a benchmark input: a CSV file of ../shared/data repeated N times under one
header (earthquakes x100: 2,341,200 rows, 240 MB; credit x20: 3,000,000 rows, 151 MB).
Not committed; `bench/run.sh` makes them.

Usage: python3 bench/gen_repeated.py SOURCE.csv OUT.csv N
"""
import sys
from pathlib import Path

src, out, times = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
data = src.read_bytes()
header, body = data.split(b"\n", 1)
if not body.endswith(b"\n"):
    body += b"\n"
out.parent.mkdir(parents=True, exist_ok=True)
tmp = out.with_suffix(".tmp")
with tmp.open("wb") as f:
    f.write(header + b"\n")
    for _ in range(times):
        f.write(body)
tmp.rename(out)
