#!/usr/bin/env python3
"""The JIT benchmark's stage in DuckDB and Polars, on the same 10 M rows (written by
`cargo bench -p sluice-runtime --bench jit_stage` with JIT_STAGE_PARQUET set), loaded
into memory first and then timed alone, on one thread, best of 5, results materialized:

    filter a > 10 and b < 500.0 and not (c == 3)
    derive x = a * 2 + c, y = b * 1.5 - d / 2.0

Usage: bench/run.sh jit
"""
import os
import sys
import time

os.environ["POLARS_MAX_THREADS"] = "1"
import duckdb  # noqa: E402
import polars as pl  # noqa: E402

path = sys.argv[1]


def best(f, runs=5):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        rows = f()
        times.append(time.perf_counter() - t)
    return min(times), rows


con = duckdb.connect()
con.execute("PRAGMA threads=1")
con.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet('{path}')")


def duck():
    con.execute("""CREATE OR REPLACE TEMP TABLE r AS
        SELECT a, b, c, d, a * 2 + c AS x, b * 1.5 - d / 2.0 AS y FROM t
        WHERE a > 10 AND b < 500.0 AND NOT (c = 3)""")
    return con.execute("SELECT count(*) FROM r").fetchone()[0]


df = pl.read_parquet(path)


def polars():
    out = df.filter((pl.col("a") > 10) & (pl.col("b") < 500.0) & ~(pl.col("c") == 3)).with_columns(
        (pl.col("a") * 2 + pl.col("c")).alias("x"), (pl.col("b") * 1.5 - pl.col("d") / 2.0).alias("y"))
    return out.height


rows = df.height
for name, f in [("duckdb", duck), ("polars", polars)]:
    t, kept = best(f)
    print(f"| {name} | {t * 1e3:.1f} | {rows / t / 1e6:.0f} | ({kept} rows kept) |")
