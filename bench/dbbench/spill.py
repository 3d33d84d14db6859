#!/usr/bin/env python3
"""Spill slowdown: a sort and two group-bys on the db-benchmark groupby table (1e7 rows,
CSV), run with a memory limit of the input's size ÷ 1, 2, 4 and 8, in Sluice
(`--memory-limit`) and DuckDB (`SET memory_limit`), against each engine's run without a
limit. Prints a markdown table of wall time, peak memory and the slowdown.

Usage: spill.py DATA_DIR
"""
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from timing import measure  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SLUICE = ROOT / "target" / "release" / "sluice"
PY = sys.executable

JOBS = {
    "sort by id6, v3": ("sort id6, v3", "SELECT * FROM x ORDER BY id6, v3"),
    "group q5 (100 k groups)": ("group id6 { v1 = sum(v1), v2 = sum(v2), v3 = sum(v3) }",
                                "SELECT id6, sum(v1) AS v1, sum(v2) AS v2, sum(v3) AS v3 FROM x GROUP BY id6"),
    "group q10 (10 M groups)": ("group id1, id2, id3, id4, id5, id6 { v3 = sum(v3), count = count() }",
                                "SELECT id1, id2, id3, id4, id5, id6, sum(v3) AS v3, count(*) AS count FROM x GROUP BY ALL"),
}


def main():
    data = Path(sys.argv[1]).resolve() / "groupby.csv"
    size = data.stat().st_size
    out = Path(tempfile.mkdtemp(prefix="spill-"))
    print("| job | memory limit | Sluice | slowdown | peak MiB | DuckDB | slowdown | peak MiB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, (step, sql) in JOBS.items():
        pipeline = out / "job.sluice"
        pipeline.write_text(f'pipeline spill\nsource x = csv("{data}")\nlet ans = x | {step}\n'
                            f'sink ans -> parquet("{out}/ans.parquet")\n')
        base = {}
        for factor in (None, 1, 2, 4, 8):
            limit = None if factor is None else size // factor
            sluice = [str(SLUICE), "run", "-q", str(pipeline), "--spill-dir", str(out)]
            if limit:
                sluice += ["--memory-limit", str(limit)]
            setting = f"con.execute(\"SET memory_limit='{limit // 2**20}MB'\")\n" if limit else ""
            duck = [PY, "-c", f"import duckdb\ncon = duckdb.connect()\n{setting}"
                    f"con.execute(\"SET temp_directory='{out}/duck.tmp'\")\n"
                    f"con.execute(\"COPY ({sql.replace('FROM x', f'FROM read_csv({chr(39)}{data}{chr(39)})')}) TO '{out}/duck.parquet' (FORMAT parquet)\")\n"]
            cells = []
            for engine, cmd in (("sluice", sluice), ("duckdb", duck)):
                try:
                    seconds, mib, _ = measure(cmd)
                except Exception as e:  # a failed run is a cell, not a crash
                    print(f"{name} {factor} {engine}: {e}", file=sys.stderr)
                    cells += ["failed", "-", "-"]
                    continue
                if factor is None:
                    base[engine] = seconds
                slow = seconds / base[engine] if engine in base else float("nan")
                cells += [f"{seconds:.2f} s", f"{slow:.2f}×", f"{mib:.0f}"]
            label = "none" if factor is None else f"{limit / 2**20:.0f} MiB (data {factor}×)"
            print(f"| {name} | {label} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
