#!/usr/bin/env python3
"""Runs the DuckDB side of the differential test (runtime/tests/duckdb_differential.rs).

Reads one JSON object on standard input, {"tables": {"t": "path.parquet", ...},
"queries": {"name": "SELECT ...", ...}}, runs every query on the tables (Parquet files
that Sluice wrote, so both engines read the same values) and prints one JSON object:
{"name": {"rows": [[...], ...]}} or {"name": {"error": "..."}} for each query.

Values are written so the test can compare them with Sluice's JSON-lines output:
finite floats as numbers, NaN and infinities as "NaN", "inf", "-inf" (the spellings
Sluice's JSON sinks use), dates and timestamps in ISO 8601 (timestamps in UTC with a Z),
durations as ISO 8601 seconds, decimals as floats, lists as arrays.
"""
import datetime
import decimal
import json
import math
import re
import sys

import duckdb


def value(v):
    if v is None or isinstance(v, (bool, int)):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    if isinstance(v, decimal.Decimal):
        return value(float(v))
    if isinstance(v, datetime.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        text = v.strftime("%Y-%m-%dT%H:%M:%S")
        if v.microsecond:
            text += ".%06d" % v.microsecond
        # Years before 1000 are not zero-padded by strftime on every platform.
        return "%04d%s" % (v.year, text[text.index("-"):]) + "Z"
    if isinstance(v, datetime.date):
        return "%04d-%02d-%02d" % (v.year, v.month, v.day)
    if isinstance(v, datetime.timedelta):
        micros = (v.days * 86_400 + v.seconds) * 1_000_000 + v.microseconds
        sign = "-" if micros < 0 else ""
        micros = abs(micros)
        return "%sPT%d.%06dS" % (sign, micros // 1_000_000, micros % 1_000_000)
    if isinstance(v, (list, tuple)):
        return [value(x) for x in v]
    if isinstance(v, str):
        # DuckDB gives instants before year 1 (which Python cannot hold) as text.
        bc = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2}) \(BC\) (\d{2}:\d{2}:\d{2}(\.\d+)?)", v)
        if bc:
            year = 1 - int(bc.group(1))
            return "%04d-%s-%sT%sZ" % (year, bc.group(2), bc.group(3), bc.group(4))
    return str(v)


def main():
    request = json.load(sys.stdin)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name, path in request["tables"].items():
        # Sluice's timestamps are UTC instants (TIMESTAMPTZ here); as plain UTC
        # timestamps they need no time-zone module in Python.
        scan = f"read_parquet('{path}')"
        columns = con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
        zoned = [c[0] for c in columns if c[1] == "TIMESTAMP WITH TIME ZONE"]
        replace = ", ".join(f'"{c}"::TIMESTAMP AS "{c}"' for c in zoned)
        select = f"* REPLACE ({replace})" if zoned else "*"
        con.execute(f"CREATE VIEW {name} AS SELECT {select} FROM {scan}")
    out = {}
    for name, sql in request["queries"].items():
        try:
            rows = con.execute(sql).fetchall()
            out[name] = {"rows": [[value(v) for v in row] for row in rows]}
        except Exception as e:  # a failed query is reported, not fatal
            out[name] = {"error": str(e)}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
