#!/usr/bin/env python3
"""scikit-learn doing what examples/credit_risk does, for bench/ml_peers.py.

train INPUT OUT_DIR: read the loans, drop rows without a label, a stratified 80/20 split
  (seed 42), median-impute MonthlyIncome and NumberOfDependents, standardize five
  columns, L2 logistic regression (C = 1 / (l2 n), l2 = 1e-4, L-BFGS, 200 iterations)
  on ten features, score the test fifth, compute the binary metrics, write them as JSON
  and the fitted pipeline with joblib.
score MODEL INPUT OUT_DIR: load the pipeline, score every row, write Id, Probability,
  prediction as CSV.
"""
import json
import sys
from pathlib import Path

import joblib
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (accuracy_score, average_precision_score, f1_score, log_loss,
                             precision_score, recall_score, roc_auc_score)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

FEATURES = ["RevolvingUtilizationOfUnsecuredLines", "age", "NumberOfTime30-59DaysPastDueNotWorse",
            "DebtRatio", "MonthlyIncome", "NumberOfOpenCreditLinesAndLoans", "NumberOfTimes90DaysLate",
            "NumberRealEstateLoansOrLines", "NumberOfTime60-89DaysPastDueNotWorse", "NumberOfDependents"]
IMPUTED = ["MonthlyIncome", "NumberOfDependents"]
SCALED = ["RevolvingUtilizationOfUnsecuredLines", "age", "DebtRatio", "MonthlyIncome", "NumberOfDependents"]


def train(path, out):
    loans = pd.read_csv(path, na_values=["NA", ""]).rename(columns={"SeriousDlqin2yrs": "overdue"})
    loans = loans.dropna(subset=["overdue"])
    train, test = train_test_split(loans, test_size=0.2, random_state=42, stratify=loans["overdue"])
    rest = [f for f in FEATURES if f not in SCALED]
    prepare = ColumnTransformer([
        ("scaled", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), SCALED),
        ("rest", "passthrough", rest),
    ])
    model = Pipeline([("prepare", prepare),
                      ("fit", LogisticRegression(C=1.0 / (1e-4 * len(train)), max_iter=200))])
    model.fit(train[FEATURES], train["overdue"])
    p = model.predict_proba(test[FEATURES])[:, 1]
    y, yhat = test["overdue"], p >= 0.5
    metrics = {"rows": len(test), "accuracy": accuracy_score(y, yhat),
               "precision": precision_score(y, yhat, zero_division=0), "recall": recall_score(y, yhat),
               "f1": f1_score(y, yhat), "roc_auc": roc_auc_score(y, p), "pr_auc": average_precision_score(y, p),
               "log_loss": log_loss(y, p)}
    Path(out).mkdir(parents=True, exist_ok=True)
    Path(out, "metrics.json").write_text(json.dumps([metrics]))
    joblib.dump(model, Path(out, "risk.joblib"))


def score(model_path, path, out):
    model = joblib.load(model_path)
    loans = pd.read_csv(path, na_values=["NA", ""])
    p = model.predict_proba(loans[FEATURES])[:, 1]
    Path(out).mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"Id": loans.iloc[:, 0], "Probability": p, "prediction": (p >= 0.5).astype(int)}).to_csv(
        Path(out, "scores.csv"), index=False)


if __name__ == "__main__":
    if sys.argv[1] == "train":
        train(sys.argv[2], sys.argv[3])
    else:
        score(sys.argv[2], sys.argv[3], sys.argv[4])
