#!/usr/bin/env bash
# The benchmarks: builds Sluice (release), installs the peers (DuckDB, Polars) in a venv,
# generates the inputs (earthquakes x100, credit x20, their Parquet forms) and runs
# bench/peers.py (Sluice against the peers) and bench/optimizer.py (optimized against
# --no-optimize).
# Usage: bench/run.sh   (RUNS=5 bench/run.sh for more runs; bench/run.sh optimizer or
#        bench/run.sh peers for one of the two)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p sluice-cli
python3 -m venv .venv >/dev/null
.venv/bin/pip install -q duckdb==2.0.0 polars==2.1.0
[ -f bench/data/earthquakes_x100.csv ] || python3 bench/gen_repeated.py ../shared/data/earthquakes/database.csv bench/data/earthquakes_x100.csv 100
[ -f bench/data/credit_x20.csv ] || python3 bench/gen_repeated.py ../shared/data/credit/cs-training.csv bench/data/credit_x20.csv 20
[ -f bench/data/earthquakes_x100_by_magnitude.parquet ] || target/release/sluice run -q bench/pipelines/to_parquet.sluice
case "${1:-all}" in
  peers) .venv/bin/python bench/peers.py ;;
  optimizer) .venv/bin/python bench/optimizer.py ;;
  *) .venv/bin/python bench/peers.py; .venv/bin/python bench/optimizer.py ;;
esac
