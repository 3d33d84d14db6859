#!/usr/bin/env python3
"""Runs the db-benchmark questions (questions.py) in Sluice, DuckDB and Polars, one after
the other per question, from CSV and from Parquet; checks that the answers agree (row
count and column sums, relative tolerance 1e-6) and prints a markdown table of median
wall time, each engine's peak memory, and Sluice's time over the faster peer's.

Inputs come from generate.py (bench/run.sh dbbench makes them). Usage:
  run.py DATA_DIR [--formats csv,parquet] [--only groupby,join,window] [--questions q1,q3]
"""
import argparse
import math
import os
import statistics
import sys
import tempfile
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from questions import GROUPBY, JOIN, NOT_EXPRESSIBLE, WINDOW  # noqa: E402
from timing import measure  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SLUICE = ROOT / "target" / "release" / "sluice"
PY = sys.executable


def sluice_job(task, q, spec, data, fmt, out):
    if task in ("groupby", "window"):
        sources = f"source x = {fmt}(\"{data}/groupby.{fmt}\")\n"
        body = f"let ans = x\n  | {spec['sluice']}\n"
    else:
        sources = (f"source x = {fmt}(\"{data}/join_x.{fmt}\")\n"
                   f"source {spec['right']} = {fmt}(\"{data}/join_{spec['right']}.{fmt}\")\n")
        body = f"let ans = x\n  | {spec['sluice']}\n"
    text = f"pipeline dbbench_{task}_{q}\n\n{sources}\n{body}\nsink ans -> {fmt}(\"{out}/ans.{fmt}\")\n"
    path = out / f"{task}_{q}.sluice"
    path.write_text(text)
    return [str(SLUICE), "run", "-q", str(path)]


def reader(fmt, path, engine):
    if engine == "duckdb":
        return f"read_{fmt}('{path}')"
    return f"pl.scan_{fmt}('{path}')"


def duckdb_job(task, spec, data, fmt, out):
    tables = ["x"] if task != "join" else ["x", spec["right"]]
    views = "\n".join(
        f"con.execute(\"CREATE VIEW {t} AS SELECT * FROM {reader(fmt, data / file_of(task, t, fmt), 'duckdb')}\")"
        for t in tables)
    fmt_opt = "(FORMAT parquet)" if fmt == "parquet" else "(HEADER)"
    code = (f"import duckdb\ncon = duckdb.connect()\n{views}\n"
            f"con.execute(\"COPY ({spec['sql']}) TO '{out}/ans.{fmt}' {fmt_opt}\")\n")
    return [PY, "-c", code]


def polars_job(task, spec, data, fmt, out):
    tables = ["x"] if task != "join" else ["x", spec["right"]]
    frames = "\n".join(f"{t} = {reader(fmt, data / file_of(task, t, fmt), 'polars')}" for t in tables)
    code = (f"import polars as pl\n{frames}\n"
            f"ans = ({spec['polars']})\nans.sink_{fmt}('{out}/ans.{fmt}')\n")
    return [PY, "-c", code]


def file_of(task, table, fmt):
    return f"join_{table}.{fmt}" if task == "join" else f"groupby.{fmt}"


def checksum(out, fmt, columns):
    frame = pl.read_csv(out / "ans.csv") if fmt == "csv" else pl.read_parquet(out / "ans.parquet")
    return [frame.height] + [float(frame[c].cast(pl.Float64).sum()) for c in columns]


def agree(a, b):
    return all(math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-9) for x, y in zip(a, b))


def geomean(values):
    return math.exp(statistics.mean(math.log(v) for v in values)) if values else float("nan")


def main():
    args = argparse.ArgumentParser()
    args.add_argument("data", type=Path)
    args.add_argument("--formats", default="csv,parquet")
    args.add_argument("--only", default="groupby,join,window")
    args.add_argument("--questions", default="")
    a = args.parse_args()
    data = a.data.resolve()
    wanted = set(filter(None, a.questions.split(",")))
    rows, ratios, failures = [], [], []
    for fmt in a.formats.split(","):
        for task, questions in (("groupby", GROUPBY), ("join", JOIN), ("window", WINDOW)):
            if task not in a.only:
                continue
            for q, spec in questions.items():
                if wanted and q not in wanted:
                    continue
                results = {}
                for engine, job in (("sluice", None), ("duckdb", duckdb_job), ("polars", polars_job)):
                    out = Path(tempfile.mkdtemp(prefix=f"dbbench-{engine}-"))
                    cmd = (sluice_job(task, q, spec, data, fmt, out) if engine == "sluice"
                           else job(task, spec, data, fmt, out))
                    try:
                        seconds, mib, _ = measure(cmd)
                    except Exception as e:  # a failed engine is a row, not a crash
                        print(f"{task} {q} {fmt} {engine} failed: {e}", file=sys.stderr)
                        failures.append(f"{task} {q} {fmt} {engine}")
                        results[engine] = None
                        continue
                    results[engine] = (seconds, mib, checksum(out, fmt, spec["check"]))
                base = results.get("duckdb") or results.get("polars")
                for engine, r in results.items():
                    if r and base and not agree(r[2], base[2]):
                        failures.append(f"{task} {q} {fmt}: {engine} answers {r[2]}, duckdb {base[2]}")
                peers = [results[e][0] for e in ("duckdb", "polars") if results.get(e)]
                ratio = results["sluice"][0] / min(peers) if results.get("sluice") and peers else None
                if ratio:
                    ratios.append(ratio)
                rows.append((fmt, task, q, spec["title"], results, ratio))
                print(f"{fmt} {task} {q}: " + ", ".join(
                    f"{e} {r[0]:.2f} s {r[1]:.0f} MiB" if r else f"{e} failed" for e, r in results.items()),
                    file=sys.stderr, flush=True)
    cell = lambda r: f"{r[0]:.2f} s" if r else "failed"
    mem = lambda r: f"{r[1]:.0f}" if r else "-"
    print("| input | question | Sluice | DuckDB | Polars | Sluice ÷ faster peer | peak MiB Sluice / DuckDB / Polars |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for fmt, task, q, title, r, ratio in rows:
        print(f"| {fmt} | {task} {q} {title} | {cell(r.get('sluice'))} | {cell(r.get('duckdb'))} | "
              f"{cell(r.get('polars'))} | {f'{ratio:.2f}×' if ratio else '-'} | "
              f"{mem(r.get('sluice'))} / {mem(r.get('duckdb'))} / {mem(r.get('polars'))} |")
    print(f"\ngeometric mean of Sluice ÷ faster peer: {geomean(ratios):.2f}× over {len(ratios)} questions")
    for q, why in NOT_EXPRESSIBLE.items():
        print(f"groupby {q} not run: {why}")
    if failures:
        print("\nDISAGREEMENTS OR FAILURES:\n  " + "\n  ".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
