"""The db-benchmark questions (h2o.ai's groupby and join tasks) in Sluice, DuckDB and
Polars. Each engine reads the inputs, answers one question and writes the answer in the
input's format to OUT/ans.csv or OUT/ans.parquet, so a timing covers the whole job.

Sluice pipelines are templates: `{fmt}` becomes `csv` or `parquet`. `check` names the
answer's columns whose sums, with the row count, are compared across engines (as the
db-benchmark's own `chk` does).

WINDOW (issue 15's benchmark, on the groupby table): row_number and a running sum per
key, with 100 keys (id1) and 100 k keys (id6).
"""

GROUPBY = {
    "q1": dict(
        title="sum v1 by id1",
        sluice="group id1 { v1 = sum(v1) }",
        sql="SELECT id1, sum(v1) AS v1 FROM x GROUP BY id1",
        polars="x.group_by('id1').agg(pl.sum('v1'))",
        check=["v1"]),
    "q2": dict(
        title="sum v1 by id1:id2",
        sluice="group id1, id2 { v1 = sum(v1) }",
        sql="SELECT id1, id2, sum(v1) AS v1 FROM x GROUP BY id1, id2",
        polars="x.group_by('id1', 'id2').agg(pl.sum('v1'))",
        check=["v1"]),
    "q3": dict(
        title="sum v1 mean v3 by id3",
        sluice="group id3 { v1 = sum(v1), v3 = mean(v3) }",
        sql="SELECT id3, sum(v1) AS v1, avg(v3) AS v3 FROM x GROUP BY id3",
        polars="x.group_by('id3').agg(pl.sum('v1'), pl.mean('v3'))",
        check=["v1", "v3"]),
    "q4": dict(
        title="mean v1:v3 by id4",
        sluice="group id4 { v1 = mean(v1), v2 = mean(v2), v3 = mean(v3) }",
        sql="SELECT id4, avg(v1) AS v1, avg(v2) AS v2, avg(v3) AS v3 FROM x GROUP BY id4",
        polars="x.group_by('id4').agg(pl.mean('v1'), pl.mean('v2'), pl.mean('v3'))",
        check=["v1", "v2", "v3"]),
    "q5": dict(
        title="sum v1:v3 by id6",
        sluice="group id6 { v1 = sum(v1), v2 = sum(v2), v3 = sum(v3) }",
        sql="SELECT id6, sum(v1) AS v1, sum(v2) AS v2, sum(v3) AS v3 FROM x GROUP BY id6",
        polars="x.group_by('id6').agg(pl.sum('v1'), pl.sum('v2'), pl.sum('v3'))",
        check=["v1", "v2", "v3"]),
    "q6": dict(
        title="median v3 sd v3 by id4 id5",
        sluice="group id4, id5 { median_v3 = median(v3), sd_v3 = stddev(v3) }",
        sql="SELECT id4, id5, median(v3) AS median_v3, stddev(v3) AS sd_v3 FROM x GROUP BY id4, id5",
        polars="x.group_by('id4', 'id5').agg(pl.median('v3').alias('median_v3'), pl.std('v3').alias('sd_v3'))",
        check=["median_v3", "sd_v3"]),
    "q7": dict(
        title="max v1 - min v2 by id3",
        sluice="group id3 { range_v1_v2 = max(v1) - min(v2) }",
        sql="SELECT id3, max(v1) - min(v2) AS range_v1_v2 FROM x GROUP BY id3",
        polars="x.group_by('id3').agg((pl.max('v1') - pl.min('v2')).alias('range_v1_v2'))",
        check=["range_v1_v2"]),
    "q8": dict(
        title="largest two v3 by id6",
        sluice=("filter is_not_null(v3)\n"
                "  | window by id6 order by v3 desc { order_v3 = row_number() }\n"
                "  | filter order_v3 <= 2\n"
                "  | select id6, v3\n"
                "  | rename { v3 -> largest2_v3 }"),
        sql=("SELECT id6, largest2_v3 FROM (SELECT id6, v3 AS largest2_v3, row_number() OVER "
             "(PARTITION BY id6 ORDER BY v3 DESC) AS order_v3 FROM x WHERE v3 IS NOT NULL) WHERE order_v3 <= 2"),
        polars=("x.drop_nulls('v3').sort('v3', descending=True).group_by('id6').head(2)"
                ".select('id6', pl.col('v3').alias('largest2_v3'))"),
        check=["largest2_v3"]),
    "q9": dict(
        title="regression v1 v2 by id2 id4",
        sluice=("group id2, id4 { r = corr(v1, v2) }\n"
                "  | derive r2 = r * r\n"
                "  | select id2, id4, r2"),
        sql="SELECT id2, id4, pow(corr(v1, v2), 2) AS r2 FROM x GROUP BY id2, id4",
        polars="x.group_by('id2', 'id4').agg((pl.corr('v1', 'v2') ** 2).alias('r2'))",
        check=["r2"]),
    "q10": dict(
        title="sum v3 count by id1:id6",
        sluice="group id1, id2, id3, id4, id5, id6 { v3 = sum(v3), count = count() }",
        sql="SELECT id1, id2, id3, id4, id5, id6, sum(v3) AS v3, count(*) AS count FROM x GROUP BY ALL",
        polars="x.group_by('id1', 'id2', 'id3', 'id4', 'id5', 'id6').agg(pl.sum('v3'), pl.len().alias('count'))",
        check=["v3", "count"]),
}

NOT_EXPRESSIBLE = {}

WINDOW = {
    "w1": dict(
        title="row_number by id1 (100 keys) order by v3",
        sluice="window by id1 order by v3 { rn = row_number() }\n  | select id1, v3, rn",
        sql="SELECT id1, v3, row_number() OVER (PARTITION BY id1 ORDER BY v3) AS rn FROM x",
        polars="x.select('id1', 'v3', pl.col('v3').rank('ordinal').over('id1').alias('rn'))",
        check=["rn"]),
    "w2": dict(
        title="running sum v1 by id1 (100 keys) order by v3",
        sluice="window by id1 order by v3 { run = sum(v1) rows between unbounded preceding and current row }\n  | select id1, v3, run",
        sql="SELECT id1, v3, sum(v1) OVER (PARTITION BY id1 ORDER BY v3 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run FROM x",
        polars="x.sort('v3').select('id1', 'v3', pl.col('v1').cum_sum().over('id1').alias('run'))",
        check=["run"]),
    "w3": dict(
        title="row_number by id6 (100 k keys) order by v3",
        sluice="window by id6 order by v3 { rn = row_number() }\n  | select id6, v3, rn",
        sql="SELECT id6, v3, row_number() OVER (PARTITION BY id6 ORDER BY v3) AS rn FROM x",
        polars="x.select('id6', 'v3', pl.col('v3').rank('ordinal').over('id6').alias('rn'))",
        check=["rn"]),
    "w4": dict(
        title="running sum v1 by id6 (100 k keys) order by v3",
        sluice="window by id6 order by v3 { run = sum(v1) rows between unbounded preceding and current row }\n  | select id6, v3, run",
        sql="SELECT id6, v3, sum(v1) OVER (PARTITION BY id6 ORDER BY v3 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run FROM x",
        polars="x.sort('v3').select('id6', 'v3', pl.col('v1').cum_sum().over('id6').alias('run'))",
        check=["run"]),
}

JOIN = {
    "q1": dict(
        title="small inner on int",
        right="small", sluice="join small on id1",
        sql="SELECT x.*, small.id4 AS id4_right, small.v2 FROM x JOIN small USING (id1)",
        polars="x.join(small, on='id1', suffix='_right')",
        check=["v1", "v2"]),
    "q2": dict(
        title="medium inner on int",
        right="medium", sluice="join medium on id2",
        sql="SELECT x.*, medium.id1 AS id1_right, medium.id4 AS id4_right, medium.id5 AS id5_right, medium.v2 FROM x JOIN medium USING (id2)",
        polars="x.join(medium, on='id2', suffix='_right')",
        check=["v1", "v2"]),
    "q3": dict(
        title="medium outer on int",
        right="medium", sluice="join left medium on id2",
        sql="SELECT x.*, medium.id1 AS id1_right, medium.id4 AS id4_right, medium.id5 AS id5_right, medium.v2 FROM x LEFT JOIN medium USING (id2)",
        polars="x.join(medium, on='id2', how='left', suffix='_right')",
        check=["v1", "v2"]),
    "q4": dict(
        title="medium inner on factor",
        right="medium", sluice="join medium on id5",
        sql="SELECT x.*, medium.id1 AS id1_right, medium.id2 AS id2_right, medium.id4 AS id4_right, medium.v2 FROM x JOIN medium USING (id5)",
        polars="x.join(medium, on='id5', suffix='_right')",
        check=["v1", "v2"]),
    "q5": dict(
        title="big inner on int",
        right="big", sluice="join big on id3",
        sql="SELECT x.*, big.id1 AS id1_right, big.id2 AS id2_right, big.id4 AS id4_right, big.id5 AS id5_right, big.id6 AS id6_right, big.v2 FROM x JOIN big USING (id3)",
        polars="x.join(big, on='id3', suffix='_right')",
        check=["v1", "v2"]),
}
