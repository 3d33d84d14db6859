#!/usr/bin/env python3
"""Writes the benchmark input: ../shared/data/earthquakes/database.csv repeated 100 times
(one header, 2,341,200 rows, about 240 MB). Not committed; `bench/run.sh` makes it.

Usage: python3 bench/gen_earthquakes_x100.py OUT.csv
"""
import sys
from pathlib import Path

src = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "earthquakes" / "database.csv"
out = Path(sys.argv[1])
lines = src.read_bytes().split(b"\n", 1)
header, body = lines[0] + b"\n", lines[1]
out.parent.mkdir(parents=True, exist_ok=True)
tmp = out.with_suffix(".tmp")
with tmp.open("wb") as f:
    f.write(header)
    for _ in range(100):
        f.write(body)
tmp.rename(out)
