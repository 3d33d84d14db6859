"""Streams: Sluice against Spark Structured Streaming (pyspark, local[2]) on the same
three queries, in one run.

- q1: a passthrough with a filter and derived columns (Nexmark q0/q1 shape);
- q5: a count per key over 10 s tumbling windows under a watermark (Nexmark q5 shape),
  append mode;
- join: a stream-static join with a 1,000-row table.

Each query runs on three inputs:
- `rate`: 1M generated rows per batch, unpaced (Spark's `rate-micro-batch`, Sluice's
  `rate(rows_per_batch = ...)`), event time advancing 1 s per batch: throughput;
- `files`: CSV files of 1M rows each, one file per batch: throughput;
- `100k/s`: 100,000 rows per second, a batch every 100 ms (Spark's `rate` source with a
  100 ms processing-time trigger): batch latency p50 and p99.

Both write Parquet part files with a checkpoint (exactly once). Both use two cores
(Sluice `--threads 2`, Spark `local[2]`, 2 shuffle partitions). A batch's latency is the
engine's own figure: Sluice's progress line, Spark's `durationMs.triggerExecution`. The
first batches (JIT compile, JVM warm-up) are left out.

Usage: .venv/bin/python bench/streaming.py  (bench/run.sh streaming)
"""

import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SLUICE = os.path.join(ROOT, "target", "release", "sluice")
ROWS = int(float(os.environ.get("STREAM_ROWS", "1e6")))
BATCHES = int(os.environ.get("STREAM_BATCHES", "12"))
WARMUP = 2
FILES = int(os.environ.get("STREAM_FILES", "8"))
LATENCY_SECONDS = float(os.environ.get("STREAM_LATENCY_SECONDS", "10"))

QUERIES = {
    "q1": """
let out = bids
  | derive auction = value % 1000, bidder = value % 7919, price = (value * 31) % 10007
  | filter price % 2 == 0
  | derive dollars = price * 0.908
  | select timestamp, auction, bidder, dollars
sink out -> parquet("OUT/")
""",
    "q5": """
let out = bids
  | derive auction = value % 1000
  | watermark timestamp delay 1s
  | group tumbling(timestamp, 10s), auction { n = count() }
sink out -> parquet("OUT/", output = append)
""",
    "join": """
source auctions = csv("AUCTIONS")
let out = bids
  | derive auction = value % 1000, price = (value * 31) % 10007
  | join auctions on auction
  | select timestamp, auction, seller, category, price
sink out -> parquet("OUT/")
""",
}

SOURCES = {
    "rate": f"stream bids = rate(rows_per_second = {ROWS}, rows_per_batch = {ROWS}, every = 1ms)",
    "files": 'stream bids = watch("FILES/", format = csv, max_files_per_batch = 1, every = 1ms) { timestamp: timestamp, value: int64 }',
    "100k/s": "stream bids = rate(rows_per_second = 100000, every = 100ms)",
}

PROGRESS = re.compile(r"batch (\d+): (\d+) rows in, [0-9.]+ rows/s, ([0-9.]+) ms")  # the line's start


def write_inputs(work):
    auctions = os.path.join(work, "auctions.csv")
    with open(auctions, "w") as f:
        f.write("auction,seller,category\n")
        for i in range(1000):
            f.write(f"{i},{(i * 7) % 97},{i % 10}\n")
    files = os.path.join(work, "files")
    os.makedirs(files, exist_ok=True)
    start = 1_782_000_000
    for k in range(FILES):
        path = os.path.join(files, f"part-{k:04d}.csv")
        with open(path, "w") as f:
            f.write("timestamp,value\n")
            base = k * ROWS
            for i in range(base, base + ROWS):
                s = start + i // ROWS
                us = (i % ROWS) * 1_000_000 // ROWS
                t = time.gmtime(s)
                f.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S', t)}.{us:06d}Z,{i}\n")
    return auctions, files


def percentile(values, q):
    """The smallest value at least a fraction q of the values are at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summarize(rows, latencies):
    total = sum(latencies) / 1e3
    return {
        "rows": sum(rows),
        "rows_per_s": sum(rows) / total if total else 0.0,
        "p50": statistics.median(latencies),
        "p99": percentile(latencies, 0.99),
    }


def run_sluice(query, source, work, auctions, files):
    out = tempfile.mkdtemp(dir=work)
    text = (SOURCES[source] + "\n" + QUERIES[query]).replace("OUT", os.path.join(out, "o")).replace("AUCTIONS", auctions).replace("FILES", files)
    pipeline = os.path.join(out, "p.sluice")
    with open(pipeline, "w") as f:
        f.write(text)
    if source == "files":
        until = ["--until", "idle"]
    elif source == "rate":
        until = ["--until", str(BATCHES)]
    else:
        until = ["--until", str(int(LATENCY_SECONDS * 10))]
    cmd = [SLUICE, "run", pipeline, "--threads", "2", "--checkpoint", os.path.join(out, "ck")] + until
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"sluice failed: {p.stderr}")
    batches = [(int(b), int(r), float(ms)) for b, r, ms in PROGRESS.findall(p.stderr)]
    batches = [b for b in batches if b[1] > 0][WARMUP:]
    shutil.rmtree(out, ignore_errors=True)
    return summarize([b[1] for b in batches], [b[2] for b in batches])


def spark_session():
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master("local[2]")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "4g")
        .config("spark.sql.streaming.noDataMicroBatches.enabled", "false")
        .config("spark.sql.streaming.numRecentProgressUpdates", "10000")
        .getOrCreate()
    )


def run_spark(spark, query, source, work, auctions, files):
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType, StructField, StructType, TimestampType

    out = tempfile.mkdtemp(dir=work)
    if source == "rate":
        bids = (
            spark.readStream.format("rate-micro-batch")
            .option("rowsPerBatch", ROWS)
            .option("numPartitions", 2)
            .option("advanceMillisPerBatch", 1000)
            .load()
        )
        trigger = {"processingTime": "0 seconds"}
    elif source == "files":
        schema = StructType([StructField("timestamp", TimestampType()), StructField("value", LongType())])
        bids = spark.readStream.schema(schema).option("header", True).option("maxFilesPerTrigger", 1).csv(files)
        trigger = {"availableNow": True}
    else:
        bids = spark.readStream.format("rate").option("rowsPerSecond", 100000).option("numPartitions", 2).load()
        trigger = {"processingTime": "100 milliseconds"}
    if query == "q1":
        df = (
            bids.select(
                "timestamp",
                (F.col("value") % 1000).alias("auction"),
                (F.col("value") % 7919).alias("bidder"),
                ((F.col("value") * 31) % 10007).alias("price"),
            )
            .filter(F.col("price") % 2 == 0)
            .withColumn("dollars", F.col("price") * 0.908)
            .select("timestamp", "auction", "bidder", "dollars")
        )
        mode = "append"
    elif query == "q5":
        df = (
            bids.withColumn("auction", F.col("value") % 1000)
            .withWatermark("timestamp", "1 second")
            .groupBy(F.window("timestamp", "10 seconds"), "auction")
            .count()
            .select(F.col("window.start").alias("window_start"), F.col("window.end").alias("window_end"), "auction", F.col("count").alias("n"))
        )
        mode = "append"
    else:
        static = spark.read.option("header", True).option("inferSchema", True).csv(auctions)
        df = (
            bids.withColumn("auction", F.col("value") % 1000)
            .withColumn("price", (F.col("value") * 31) % 10007)
            .join(static, "auction")
            .select("timestamp", "auction", "seller", "category", "price")
        )
        mode = "append"
    q = (
        df.writeStream.format("parquet")
        .option("path", os.path.join(out, "o"))
        .option("checkpointLocation", os.path.join(out, "ck"))
        .outputMode(mode)
        .trigger(**trigger)
        .start()
    )
    wanted = {"rate": BATCHES, "files": FILES, "100k/s": int(LATENCY_SECONDS * 10)}[source]
    deadline = time.time() + 600
    while time.time() < deadline:
        done = [p for p in q.recentProgress if p["numInputRows"] > 0]
        if len(done) >= wanted or (source == "files" and not q.isActive):
            break
        time.sleep(0.2)
    progress = [p for p in q.recentProgress if p["numInputRows"] > 0]
    q.stop()
    shutil.rmtree(out, ignore_errors=True)
    progress = progress[WARMUP:]
    return summarize([p["numInputRows"] for p in progress], [float(p["durationMs"]["triggerExecution"]) for p in progress])


def main():
    if not os.path.exists(SLUICE):
        sys.exit("build first: cargo build --release -p sluice-cli")
    work = tempfile.mkdtemp(prefix="sluice-stream-bench-")
    try:
        auctions, files = write_inputs(work)
        # Sluice first, then Spark: an idle JVM beside Sluice's runs would take its cores.
        cases = [(q, src) for q in QUERIES for src in SOURCES]
        ours = {case: run_sluice(*case, work, auctions, files) for case in cases}
        spark = spark_session()
        theirs = {case: run_spark(spark, *case, work, auctions, files) for case in cases}
        spark.stop()
        print(f"{ROWS:,} rows per batch (rate, files); 2 cores each; latency at 100,000 rows/s with a 100 ms trigger\n")
        print("| query | input | Sluice rows/s/core | Spark rows/s/core | ratio | Sluice p50 / p99 ms | Spark p50 / p99 ms |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for query, source in cases:
            s, k = ours[(query, source)], theirs[(query, source)]
            ratio = s["rows_per_s"] / k["rows_per_s"] if k["rows_per_s"] else float("nan")
            print(
                f"| {query} | {source} | {s['rows_per_s'] / 2:,.0f} | {k['rows_per_s'] / 2:,.0f} | {ratio:.1f}x "
                f"| {s['p50']:.1f} / {s['p99']:.1f} | {k['p50']:.0f} / {k['p99']:.0f} |",
                flush=True,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
