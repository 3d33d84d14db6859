#!/usr/bin/env python3
"""Generates the db-benchmark inputs (h2o.ai's "groupby" and "join" tasks) as the
original `groupby-datagen.R` and `join-datagen.R` do, for N rows, no nulls, unsorted:

groupby (G1_1e7_1e2_0_0): id1, id2 = "id001".."id100"; id3 = "id0000000001".."id"+N/100;
  id4, id5 = 1..100; id6 = 1..N/100; v1 = 1..5; v2 = 1..15; v3 = uniform [0, 100) rounded
  to 6 decimals; every column drawn uniformly with replacement.
join (J1_1e7_NA_0_0): for each key range n (N/1e6, N/1e3, N), 1.1 n distinct keys are
  shuffled and split into x (90 % of n), l (10 %) and r (10 %); the left table x takes its
  keys from x+l, the right tables (small: N/1e6 rows, medium: N/1e3, big: N) from x+r, so
  90 % of the keys match. id4..id6 are "id" + the integer key; v1, v2 uniform [0, 100).

Writes CSV and Parquet (DuckDB's default row groups of 122 880 rows) under the output
folder. Usage: generate.py OUT_DIR [N]
"""
import sys
from pathlib import Path

import duckdb
import numpy as np
import polars as pl



def groupby_table(n, rng):
    k = 100
    def ids(count, width):
        return pl.format("id{}", pl.lit(pl.Series(rng.integers(1, count + 1, n))).cast(pl.String).str.zfill(width))
    frame = pl.select(
        id1=ids(k, 3),
        id2=ids(k, 3),
        id3=ids(n // k, 10),
        id4=pl.lit(pl.Series(rng.integers(1, k + 1, n))),
        id5=pl.lit(pl.Series(rng.integers(1, k + 1, n))),
        id6=pl.lit(pl.Series(rng.integers(1, n // k + 1, n))),
        v1=pl.lit(pl.Series(rng.integers(1, 6, n))),
        v2=pl.lit(pl.Series(rng.integers(1, 16, n))),
        v3=pl.lit(pl.Series(np.round(rng.uniform(0, 100, n), 6))),
    )
    return frame


def split_xlr(n, rng):
    keys = rng.permutation(np.arange(1, int(n * 1.1) + 1))
    x, l, r = keys[: int(n * 0.9)], keys[int(n * 0.9): n], keys[n: int(n * 1.1)]
    return x, l, r


def join_tables(n, rng):
    # At least 10 keys per range, so that small N (tests) still gives every table rows.
    k1, k2, k3 = (split_xlr(max(m, 10), rng) for m in (n // 10**6, n // 10**3, n))
    def left(k, rows=None):
        pool = np.concatenate([k[0], k[1]])
        return rng.permutation(pool) if rows is None else rng.choice(pool, rows, replace=True)
    def right(k, rows=None):
        pool = np.concatenate([k[0], k[2]])
        return rng.permutation(pool) if rows is None else rng.choice(pool, rows, replace=True)
    def named(col):
        return pl.format("id{}", pl.col(col))
    x = pl.DataFrame({"id1": left(k1, n), "id2": left(k2, n), "id3": left(k3)})
    x = x.with_columns(id4=named("id1"), id5=named("id2"), id6=named("id3"),
                       v1=pl.lit(pl.Series(np.round(rng.uniform(0, 100, n), 6))))
    small = pl.DataFrame({"id1": right(k1)}).with_columns(
        id4=named("id1"), v2=pl.lit(pl.Series(np.round(rng.uniform(0, 100, len(k1[0]) + len(k1[2])), 6))))
    m = len(k2[0]) + len(k2[2])
    medium = pl.DataFrame({"id1": right(k1, m), "id2": right(k2)}).with_columns(
        id4=named("id1"), id5=named("id2"), v2=pl.lit(pl.Series(np.round(rng.uniform(0, 100, m), 6))))
    big = pl.DataFrame({"id1": right(k1, n), "id2": right(k2, n), "id3": right(k3)}).with_columns(
        id4=named("id1"), id5=named("id2"), id6=named("id3"),
        v2=pl.lit(pl.Series(np.round(rng.uniform(0, 100, n), 6))))
    return {"x": x, "small": small, "medium": medium, "big": big}


def write(frame, out, name):
    csv = out / f"{name}.csv"
    frame.write_csv(csv)
    duckdb.connect().execute(
        f"COPY (SELECT * FROM read_csv('{csv}')) TO '{out / (name + '.parquet')}' (FORMAT parquet)")
    print(f"{name}: {frame.height} rows -> {csv} and .parquet", file=sys.stderr)


def main():
    out = Path(sys.argv[1])
    n = int(float(sys.argv[2])) if len(sys.argv) > 2 else 10**7
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(108)
    write(groupby_table(n, rng), out, "groupby")
    for name, frame in join_tables(n, rng).items():
        write(frame, out, f"join_{name}")


if __name__ == "__main__":
    main()
