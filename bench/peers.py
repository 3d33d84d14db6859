#!/usr/bin/env python3
"""Runs the same jobs in Sluice, DuckDB and Polars side by side and prints a table of
wall time and peak memory (median of N runs, each a fresh process timed by GNU time).

Jobs (same input, same outputs):
  scan        sum seven numeric columns of the CSV, count two string ones
  earthquakes the examples/earthquakes pipeline: filter, derive Year, yearly count and
              mean magnitude, top 500 by magnitude
  credit      the credit cleaning job on credit x20 (3 M rows): drop the row index,
              `distinct` over the other eleven columns, write Parquet

Usage: bench/run.sh peers (builds everything, then calls this); JOBS=credit for one job.
"""
import json
import os
import sys
import tempfile
from pathlib import Path

from timing import RUNS, measure

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data" / "earthquakes_x100.csv"
CREDIT = ROOT / "bench" / "data" / "credit_x20.csv"
SLUICE = ROOT / "target" / "release" / "sluice"
PY = sys.executable

DUCKDB_SCAN = """
import duckdb, sys
con = duckdb.connect()
con.execute(f\"\"\"COPY (SELECT count(*) AS rows, sum(Latitude), sum(Longitude), sum(Depth), sum(Magnitude),
  sum("Depth Seismic Stations"), sum("Root Mean Square"), count(ID), count(Date)
  FROM read_csv('{sys.argv[1]}', header = true, types = {{'Date': 'VARCHAR', 'Time': 'VARCHAR'}})) TO '{sys.argv[2]}/scan.csv'\"\"\")
"""

DUCKDB_EQ = """
import duckdb, sys
con = duckdb.connect()
con.execute(f\"\"\"CREATE TEMP VIEW eq AS SELECT *,
  year(coalesce(try_strptime(Date, '%m/%d/%Y'), try_cast(substr(Date, 1, 10) AS DATE))) AS Year
  FROM read_csv('{sys.argv[1]}', header = true, types = {{'Date': 'VARCHAR', 'Time': 'VARCHAR'}})
  WHERE Type = 'Earthquake'\"\"\")
con.execute(f"COPY (SELECT Year, count(*) AS earthquakes, avg(Magnitude) AS mean_magnitude FROM eq GROUP BY Year ORDER BY Year) TO '{sys.argv[2]}/yearly.csv'")
con.execute(f\"\"\"COPY (SELECT Date, Time, Latitude, Longitude, Depth, Magnitude, "Magnitude Type", ID, Year
  FROM eq ORDER BY Magnitude DESC, ID LIMIT 500) TO '{sys.argv[2]}/top500.csv'\"\"\")
"""

DUCKDB_CREDIT = """
import duckdb, sys
con = duckdb.connect()
con.execute(f\"\"\"COPY (SELECT DISTINCT * EXCLUDE (column00)
  FROM read_csv('{sys.argv[1]}', header = true, nullstr = ['NA', ''])) TO '{sys.argv[2]}/clean.parquet'\"\"\")
"""

POLARS_CREDIT = """
import polars as pl, sys
(pl.scan_csv(sys.argv[1], null_values=["NA", ""], infer_schema_length=10000)
   .drop("")
   .unique(maintain_order=True)
   .sink_parquet(sys.argv[2] + "/clean.parquet"))
"""

POLARS_SCAN = """
import polars as pl, sys
df = pl.scan_csv(sys.argv[1], infer_schema_length=10000).select(
    pl.len().alias("rows"), pl.col("Latitude").sum(), pl.col("Longitude").sum(), pl.col("Depth").sum(),
    pl.col("Magnitude").sum(), pl.col("Depth Seismic Stations").sum(), pl.col("Root Mean Square").sum(),
    pl.col("ID").count(), pl.col("Date").count()).collect()
df.write_csv(sys.argv[2] + "/scan.csv")
"""

POLARS_EQ = """
import polars as pl, sys
date = pl.col("Date")
eq = (pl.scan_csv(sys.argv[1], infer_schema_length=10000)
      .filter(pl.col("Type") == "Earthquake")
      .with_columns(pl.coalesce(date.str.strptime(pl.Date, "%m/%d/%Y", strict=False),
                                date.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False)).dt.year().alias("Year")))
yearly = eq.group_by("Year").agg(pl.len().alias("earthquakes"), pl.col("Magnitude").mean().alias("mean_magnitude")).sort("Year")
top = eq.sort(["Magnitude", "ID"], descending=[True, False]).head(500).select(
    "Date", "Time", "Latitude", "Longitude", "Depth", "Magnitude", "Magnitude Type", "ID", "Year")
yearly, top = pl.collect_all([yearly, top])
yearly.write_csv(sys.argv[2] + "/yearly.csv")
top.write_csv(sys.argv[2] + "/top500.csv")
"""


def main():
    out = Path(tempfile.mkdtemp())
    jobs = {
        "scan": {
            "sluice": [str(SLUICE), "run", "-q", "bench/pipelines/csv_scan.sluice", "--param", f"input={DATA}", "--param", f"out={out}"],
            "duckdb": [PY, "-c", DUCKDB_SCAN, str(DATA), str(out)],
            "polars": [PY, "-c", POLARS_SCAN, str(DATA), str(out)],
        },
        "earthquakes": {
            "sluice": [str(SLUICE), "run", "-q", "examples/earthquakes/pipeline.sluice", "--param", f"input={DATA}", "--param", f"out={out}"],
            "duckdb": [PY, "-c", DUCKDB_EQ, str(DATA), str(out)],
            "polars": [PY, "-c", POLARS_EQ, str(DATA), str(out)],
        },
        "credit": {
            "sluice": [str(SLUICE), "run", "-q", "bench/pipelines/credit_cleaning.sluice", "--param", f"input={CREDIT}", "--param", f"out={out}"],
            "duckdb": [PY, "-c", DUCKDB_CREDIT, str(CREDIT), str(out)],
            "polars": [PY, "-c", POLARS_CREDIT, str(CREDIT), str(out)],
        },
    }
    sizes = {"scan": DATA, "earthquakes": DATA, "credit": CREDIT}
    # JOBS=credit,scan runs only those.
    wanted = os.environ.get("JOBS")
    if wanted:
        jobs = {j: e for j, e in jobs.items() if j in wanted.split(",")}
    results = {}
    for job, engines in jobs.items():
        for engine, cmd in engines.items():
            results[(job, engine)] = measure(cmd)[:2]
    print(f"inputs: {DATA.name} ({DATA.stat().st_size / 1e6:.0f} MB), {CREDIT.name} ({CREDIT.stat().st_size / 1e6:.0f} MB); {os.cpu_count()} cores; median of {RUNS} runs\n")
    print("| job | engine | wall (s) | peak RSS (MiB) | MB/s | time vs sluice | memory vs sluice |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for job in jobs:
        base_t, base_m = results[(job, "sluice")]
        size_mb = sizes[job].stat().st_size / 1e6
        for engine in jobs[job]:
            t, m = results[(job, engine)]
            print(f"| {job} | {engine} | {t:.2f} | {m:.0f} | {size_mb / t:.0f} | {t / base_t:.2f}× | {m / base_m:.2f}× |")
    print()
    print(json.dumps({f"{j}/{e}": {"seconds": t, "peak_mib": m} for (j, e), (t, m) in results.items()}))


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
