#!/usr/bin/env bash
# The benchmarks: builds Sluice (release), installs the peers (DuckDB, Polars) in a venv,
# generates the inputs (earthquakes x100, credit x20, their Parquet forms) and runs
# bench/peers.py (Sluice against the peers) and bench/optimizer.py (optimized against
# --no-optimize).
# Usage: bench/run.sh   (RUNS=5 bench/run.sh for more runs; bench/run.sh peers,
#        bench/run.sh optimizer, bench/run.sh jit or bench/run.sh ml for one of them;
#        bench/run.sh dbbench [--formats csv --only groupby,window --questions q1,w3] for the
#        db-benchmark groupby and join tasks against DuckDB and Polars;
#        bench/run.sh spill for the slowdown of spilling at 1, 2, 4, 8x the memory limit;
#        bench/run.sh streaming for streams against Spark Structured Streaming)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p sluice-cli
python3 -m venv .venv >/dev/null
.venv/bin/pip install -q duckdb==2.0.0 polars==2.1.0
[ -f bench/data/earthquakes_x100.csv ] || python3 bench/gen_repeated.py ../shared/data/earthquakes/database.csv bench/data/earthquakes_x100.csv 100
[ -f bench/data/credit_x20.csv ] || python3 bench/gen_repeated.py ../shared/data/credit/cs-training.csv bench/data/credit_x20.csv 20
[ -f bench/data/earthquakes_x100_by_magnitude.parquet ] || target/release/sluice run -q bench/pipelines/to_parquet.sluice
[ -f bench/data/credit_test_x10.csv ] || python3 bench/gen_repeated.py ../shared/data/credit/cs-test.csv bench/data/credit_test_x10.csv 10
dbbench() {
  [ -f bench/data/dbbench/join_big.parquet ] || .venv/bin/python bench/dbbench/generate.py bench/data/dbbench "${DBBENCH_ROWS:-1e7}"
  .venv/bin/python bench/dbbench/run.py bench/data/dbbench "$@"
}
spill() {
  [ -f bench/data/dbbench/groupby.csv ] || .venv/bin/python bench/dbbench/generate.py bench/data/dbbench "${DBBENCH_ROWS:-1e7}"
  .venv/bin/python bench/dbbench/spill.py bench/data/dbbench
}
ml() {
  .venv/bin/pip install -q scikit-learn==1.9.1 pandas joblib
  .venv/bin/python bench/ml_peers.py
}
jit() {
  JIT_STAGE_PARQUET="$PWD/bench/data/jit_stage.parquet" cargo bench -p sluice-runtime --bench jit_stage
  .venv/bin/python bench/jit_peers.py bench/data/jit_stage.parquet
  .venv/bin/python bench/jit_end_to_end.py
}
case "${1:-all}" in
  peers) .venv/bin/python bench/peers.py ;;
  optimizer) .venv/bin/python bench/optimizer.py ;;
  jit) jit ;;
  ml) ml ;;
  dbbench) shift; dbbench "$@" ;;
  spill) spill ;;
  streaming) .venv/bin/pip install -q pyspark==4.3.0; .venv/bin/python bench/streaming.py ;;
  *) .venv/bin/python bench/peers.py; .venv/bin/python bench/optimizer.py; jit; ml ;;
esac
