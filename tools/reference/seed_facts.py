#!/usr/bin/env python3
"""Facts about the seed case studies, computed with DuckDB, independently of Sluice.

The runtime's tests (runtime/tests/seed_case_studies.rs) compare Sluice's output on the
real files in ../shared/data with these numbers. Regenerate with:

    python3 -m venv .venv && .venv/bin/pip install duckdb
    .venv/bin/python tools/reference/seed_facts.py > tools/reference/seed_facts.json

.ci/run regenerates the file and fails if it differs from the committed one.
"""
import json
import sys
from pathlib import Path

import duckdb

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def earthquakes(con):
    path = DATA / "earthquakes" / "database.csv"
    con.execute(f"""
        CREATE TABLE quakes AS SELECT * FROM read_csv('{path}', header = true, all_varchar = true)
    """)
    # Date is MM/DD/YYYY except three ISO timestamps; both are parsed.
    con.execute("""
        CREATE TABLE eq AS
        SELECT *, CAST(Magnitude AS DOUBLE) AS mag,
               year(coalesce(try_strptime(Date, '%m/%d/%Y'), try_cast(substr(Date, 1, 10) AS DATE))) AS Year
        FROM quakes WHERE Type = 'Earthquake'
    """)
    yearly = con.execute("""
        SELECT Year, count(*) AS n, avg(mag) AS mean_magnitude FROM eq GROUP BY Year ORDER BY Year
    """).fetchall()
    top = con.execute("SELECT ID FROM eq ORDER BY mag DESC, ID ASC LIMIT 500").fetchall()
    iso_years = con.execute("""
        SELECT ID, Year FROM eq WHERE Date LIKE '____-__-__T%' ORDER BY ID
    """).fetchall()
    return {
        "earthquakes": sum(r[1] for r in yearly),
        "years": len(yearly),
        "yearly": [{"year": r[0], "count": r[1], "mean_magnitude": r[2]} for r in yearly],
        "top500_ids": sorted(r[0] for r in top),
        "iso_dated": [{"id": r[0], "year": r[1]} for r in iso_years],
    }


def credit(con):
    path = DATA / "credit" / "cs-training.csv"
    con.execute(f"""
        CREATE TABLE loans AS SELECT * EXCLUDE (column00) FROM read_csv('{path}', header = true, nullstr = 'NA')
    """)
    con.execute("CREATE TABLE clean AS SELECT DISTINCT * FROM loans")
    rows = con.execute("SELECT count(*) FROM clean").fetchone()[0]
    means = con.execute("""
        SELECT avg(MonthlyIncome), avg(NumberOfDependents) FROM clean
    """).fetchone()
    bands = con.execute("""
        SELECT CASE WHEN age < 30 THEN '18-29' WHEN age < 40 THEN '30-39' WHEN age < 50 THEN '40-49'
                    WHEN age < 60 THEN '50-59' WHEN age < 70 THEN '60-69' ELSE '70+' END AS band,
               count(*), avg(SeriousDlqin2yrs),
               avg(coalesce(MonthlyIncome, (SELECT avg(MonthlyIncome) FROM clean)))
        FROM clean GROUP BY band ORDER BY band
    """).fetchall()
    return {
        "rows_after_distinct": rows,
        "filled_mean_monthly_income": means[0],
        "filled_mean_number_of_dependents": means[1],
        "by_age": [{"band": b[0], "borrowers": b[1], "overdue_rate": b[2], "mean_income": b[3]} for b in bands],
    }


def rounded(value):
    """Floats to 12 significant digits, so the file does not change with summation order."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return value


if __name__ == "__main__":
    con = duckdb.connect()
    con.execute("SET threads = 1")
    facts = {"earthquakes": earthquakes(con), "credit": credit(con)}
    json.dump(rounded(facts), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
