#!/usr/bin/env python3
"""scikit-learn's figures for a multinomial logistic regression, as
runtime/tests/ml_pipelines.rs runs it in Sluice: earthquakes with a magnitude type,
predicting `Magnitude Type` (several classes) from Latitude, Longitude, Depth and
Magnitude, standardized on the training rows; a row is a test row when
floor(Latitude * 1000) % 5 == 0; L2 with l2 = 1e-3, i.e. C = 1 / (l2 * n_train).
Writes multiclass_reference.json beside this file.

Usage: .venv/bin/python stdlib/tests/sklearn/multiclass_reference.py [../shared/data]
"""
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, log_loss
from sklearn.preprocessing import StandardScaler

FEATURES = ["Latitude", "Longitude", "Depth", "Magnitude"]
L2 = 1e-3


def main():
    data = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[4] / "shared" / "data")
    frame = pd.read_csv(data / "earthquakes" / "database.csv", low_memory=False)
    frame = frame.dropna(subset=["Magnitude Type"])
    test_rows = np.floor(frame["Latitude"] * 1000).astype(np.int64) % 5 == 0
    train, test = frame[~test_rows], frame[test_rows]
    scaler = StandardScaler().fit(train[FEATURES])
    model = LogisticRegression(C=1.0 / (L2 * len(train)), max_iter=2000, tol=1e-10)
    model.fit(scaler.transform(train[FEATURES]), train["Magnitude Type"])
    x = scaler.transform(test[FEATURES])
    predicted = model.predict(x)
    y = test["Magnitude Type"]
    out = {
        "sklearn_version": sklearn.__version__,
        "train_rows": len(train),
        "test_rows": len(test),
        "classes": len(model.classes_),
        "l2": L2,
        "accuracy": accuracy_score(y, predicted),
        "macro_f1": f1_score(y, predicted, average="macro", zero_division=0),
        "weighted_f1": f1_score(y, predicted, average="weighted", zero_division=0),
        "log_loss": log_loss(y, model.predict_proba(x), labels=model.classes_),
    }
    path = Path(__file__).with_name("multiclass_reference.json")
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
