#!/usr/bin/env python3
"""Model training and scoring, Sluice against scikit-learn, each a fresh process (load
and cleaning included), median of RUNS runs with peak memory (bench/timing.py).

- training: examples/credit_risk/train.sluice on the real cs-training.csv (150,000 rows)
  against bench/sklearn_credit.py train (pandas + scikit-learn doing the same steps);
- scoring: the saved model on cs-test.csv repeated 10 times (1,015,030 rows), as rows
  per second from reading the CSV to writing the scores.

Usage: bench/run.sh ml
"""
import json
import sys
import tempfile
from pathlib import Path

from timing import RUNS, measure

ROOT = Path(__file__).resolve().parents[1]
SLUICE = str(ROOT / "target/release/sluice")
PY = sys.executable
TRAIN = str(ROOT / "../shared/data/credit/cs-training.csv")
TEST_X10 = str(ROOT / "bench/data/credit_test_x10.csv")


def rows(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f) - 1


def main():
    out = Path(tempfile.mkdtemp())
    sl, sk = out / "sluice", out / "sklearn"
    print(f"Training on {TRAIN} (load, clean, split, impute, standardize, fit, evaluate, save), median of {RUNS}:")
    t1, m1, _ = measure([SLUICE, "run", "-q", str(ROOT / "examples/credit_risk/train.sluice"),
                         "--param", f"input={TRAIN}", "--param", f"out={sl}"])
    t2, m2, _ = measure([PY, str(ROOT / "bench/sklearn_credit.py"), "train", TRAIN, str(sk)])
    a = json.loads((sl / "metrics.json").read_text())[0]
    b = json.loads((sk / "metrics.json").read_text())[0]
    print(f"| | time (s) | peak memory (MiB) | test ROC-AUC | test log loss |")
    print(f"|---|---:|---:|---:|---:|")
    print(f"| Sluice | {t1:.3f} | {m1:.0f} | {a['roc_auc']:.4f} | {a['log_loss']:.4f} |")
    print(f"| scikit-learn {version()} | {t2:.3f} | {m2:.0f} | {b['roc_auc']:.4f} | {b['log_loss']:.4f} |")
    print(f"Sluice is {t2 / t1:.2f}x faster and uses {m2 / m1:.2f}x less memory.\n")

    n = rows(TEST_X10)
    print(f"Scoring {n:,} rows ({TEST_X10}) with the saved model, read to write, median of {RUNS}:")
    s1, r1, _ = measure([SLUICE, "run", "-q", str(ROOT / "examples/credit_risk/score.sluice"),
                         "--param", f"model_path={sl / 'risk.model'}", "--param", f"input={TEST_X10}",
                         "--param", f"out={sl}"])
    s2, r2, _ = measure([PY, str(ROOT / "bench/sklearn_credit.py"), "score", str(sk / "risk.joblib"),
                         TEST_X10, str(sk)])
    print(f"| | time (s) | rows/s | peak memory (MiB) |")
    print(f"|---|---:|---:|---:|")
    print(f"| Sluice | {s1:.3f} | {n / s1:,.0f} | {r1:.0f} |")
    print(f"| scikit-learn | {s2:.3f} | {n / s2:,.0f} | {r2:.0f} |")
    print(f"Sluice scores {s2 / s1:.2f}x faster.")


def version():
    import importlib.metadata
    try:
        return importlib.metadata.version("scikit-learn")
    except importlib.metadata.PackageNotFoundError:
        return ""


if __name__ == "__main__":
    main()
