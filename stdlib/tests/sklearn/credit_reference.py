#!/usr/bin/env python3
"""scikit-learn's figures for the credit logistic regression that
stdlib/tests/ml_credit.rs trains with Sluice's own code, on the same rows, split,
features and regularization. Writes credit_reference.json beside this file.

Split: a row (0-based, in file order) is in the test set when its index % 5 == 4.
Features: the eight columns of cs-training.csv without missing values, standardized with
the training rows' mean and population standard deviation. Model: L2 logistic
regression with Sluice's l2 = 1e-4, which is scikit-learn's C = 1 / (l2 * n_train).

A second figure set, "pipeline", is for runtime/tests/ml_pipelines.rs, which runs a
Sluice pipeline on the same split: all ten features, MonthlyIncome and
NumberOfDependents imputed with their training medians, all standardized. A third,
"tree", is a depth-5 gini decision tree on the same imputed features.

Usage: .venv/bin/pip install scikit-learn pandas
       .venv/bin/python stdlib/tests/sklearn/credit_reference.py [../shared/data]
"""
import json
import sys
from pathlib import Path

import pandas as pd
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, average_precision_score, log_loss, roc_auc_score
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

FEATURES = [
    "RevolvingUtilizationOfUnsecuredLines", "age", "NumberOfTime30-59DaysPastDueNotWorse",
    "DebtRatio", "NumberOfOpenCreditLinesAndLoans", "NumberOfTimes90DaysLate",
    "NumberRealEstateLoansOrLines", "NumberOfTime60-89DaysPastDueNotWorse",
]
L2 = 1e-4


def main():
    data = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[4] / "shared" / "data")
    frame = pd.read_csv(data / "credit" / "cs-training.csv")
    test_rows = frame.index % 5 == 4
    train, test = frame[~test_rows], frame[test_rows]
    scaler = StandardScaler().fit(train[FEATURES])
    model = LogisticRegression(C=1.0 / (L2 * len(train)), solver="lbfgs", max_iter=1000, tol=1e-10)
    model.fit(scaler.transform(train[FEATURES]), train["SeriousDlqin2yrs"])
    p = model.predict_proba(scaler.transform(test[FEATURES]))[:, 1]
    y = test["SeriousDlqin2yrs"]
    out = {
        "sklearn_version": sklearn.__version__,
        "train_rows": len(train),
        "test_rows": len(test),
        "l2": L2,
        "roc_auc": roc_auc_score(y, p),
        "pr_auc": average_precision_score(y, p),
        "log_loss": log_loss(y, p),
        "accuracy": accuracy_score(y, p >= 0.5),
        "intercept": float(model.intercept_[0]),
        "weights": [float(w) for w in model.coef_[0]],
    }
    out["pipeline"] = pipeline_reference(train, test)
    out["tree"] = tree_reference(train, test)
    path = Path(__file__).with_name("credit_reference.json")
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


ALL_FEATURES = FEATURES[:4] + ["MonthlyIncome"] + FEATURES[4:] + ["NumberOfDependents"]


def pipeline_reference(train, test):
    imputer = SimpleImputer(strategy="median").fit(train[ALL_FEATURES])
    scaler = StandardScaler().fit(imputer.transform(train[ALL_FEATURES]))
    prepare = lambda frame: scaler.transform(imputer.transform(frame[ALL_FEATURES]))
    model = LogisticRegression(C=1.0 / (L2 * len(train)), solver="lbfgs", max_iter=1000, tol=1e-10)
    model.fit(prepare(train), train["SeriousDlqin2yrs"])
    p = model.predict_proba(prepare(test))[:, 1]
    y = test["SeriousDlqin2yrs"]
    return {
        "features": ALL_FEATURES,
        "roc_auc": roc_auc_score(y, p),
        "pr_auc": average_precision_score(y, p),
        "log_loss": log_loss(y, p),
        "accuracy": accuracy_score(y, p >= 0.5),
    }


def tree_reference(train, test):
    """A depth-5 gini tree on the ten features, MonthlyIncome and NumberOfDependents
    median-imputed (for runtime/tests/ml_pipelines.rs)."""
    imputer = SimpleImputer(strategy="median").fit(train[ALL_FEATURES])
    tree = DecisionTreeClassifier(max_depth=5, random_state=0)
    tree.fit(imputer.transform(train[ALL_FEATURES]), train["SeriousDlqin2yrs"])
    p = tree.predict_proba(imputer.transform(test[ALL_FEATURES]))[:, 1]
    y = test["SeriousDlqin2yrs"]
    return {
        "max_depth": 5,
        "nodes": int(tree.tree_.node_count),
        "roc_auc": roc_auc_score(y, p),
        "accuracy": accuracy_score(y, p >= 0.5),
        "log_loss": log_loss(y, p),
    }


if __name__ == "__main__":
    main()
