#!/usr/bin/env python3
"""Writes the streaming example's input: weather-station readings as JSON lines, one file
per ten seconds of readings, plus the stations table the stream is enriched from.

Each file is written under a name starting with `.` and renamed into the folder when it is
complete, the convention `watch` relies on (a half-written file is never read).

    python3 examples/streaming/generate.py                      # the shipped data, at once
    python3 examples/streaming/generate.py --live --every 1     # one more file per second,
                                                                 # while `sluice run` watches

Deterministic: the same arguments give the same files. Python's standard library only.
"""

import argparse
import json
import os
import random
from datetime import datetime, timedelta, timezone

STATIONS = [
    ("ST01", "north", 61.2),
    ("ST02", "north", 60.9),
    ("ST03", "coast", 43.3),
    ("ST04", "coast", 43.6),
    ("ST05", "inland", 48.1),
    ("ST06", "inland", 47.7),
]

START = datetime(2026, 7, 1, 12, 0, 0, tzinfo=timezone.utc)


def readings(file_index, rng):
    """Ten seconds of readings: about two per station, some arriving late."""
    base = START + timedelta(seconds=10 * file_index)
    out = []
    for station, region, _lat in STATIONS:
        for _ in range(rng.randint(1, 3)):
            at = base + timedelta(seconds=rng.uniform(0, 10))
            if rng.random() < 0.08:
                at -= timedelta(seconds=rng.uniform(5, 25))  # within the 30 s delay
            if rng.random() < 0.01:
                at -= timedelta(minutes=5)  # far behind: counted late
            warm = {"north": 14.0, "coast": 24.0, "inland": 29.0}[region]
            out.append(
                {
                    "time": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "station": station,
                    "temperature": round(warm + rng.gauss(0, 3), 2),
                }
            )
    rng.shuffle(out)
    return out


def write_file(folder, name, lines):
    tmp = os.path.join(folder, "." + name + ".tmp")
    with open(tmp, "w") as f:
        for row in lines:
            f.write(json.dumps(row) + "\n")
    os.replace(tmp, os.path.join(folder, name))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=os.path.join(here, "data"))
    p.add_argument("--files", type=int, default=48, help="files written (ten seconds each)")
    p.add_argument("--first", type=int, default=0, help="index of the first file")
    p.add_argument("--live", action="store_true", help="write the files one by one")
    p.add_argument("--every", type=float, default=1.0, help="seconds between files with --live")
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    events = os.path.join(a.out, "events")
    os.makedirs(events, exist_ok=True)
    with open(os.path.join(a.out, "stations.csv"), "w") as f:
        f.write("station,region,latitude\n")
        for s, r, lat in STATIONS:
            f.write(f"{s},{r},{lat}\n")
    for i in range(a.first, a.first + a.files):
        rng = random.Random(a.seed * 1_000_003 + i)
        write_file(events, f"readings-{i:05d}.jsonl", readings(i, rng))
        if a.live:
            import time

            time.sleep(a.every)


if __name__ == "__main__":
    main()
