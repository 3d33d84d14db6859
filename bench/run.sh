#!/usr/bin/env bash
# The side-by-side benchmark: builds Sluice (release), installs the peers (DuckDB,
# Polars) in a venv, generates the input (earthquakes x100) and runs bench/peers.py.
# Usage: bench/run.sh   (RUNS=5 bench/run.sh for more runs)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p sluice-cli
python3 -m venv .venv >/dev/null
.venv/bin/pip install -q duckdb==2.0.0 polars==2.1.0
[ -f bench/data/earthquakes_x100.csv ] || python3 bench/gen_earthquakes_x100.py bench/data/earthquakes_x100.csv
.venv/bin/python bench/peers.py
