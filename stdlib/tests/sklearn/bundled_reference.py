#!/usr/bin/env python3
"""scikit-learn's figures on the data sets it ships (iris, wine, breast cancer, diabetes,
digits), which the project never used while building its estimators. Exports each to
CSV under bundled/ (feature names made plain: `sepal length (cm)` -> `sepal_length_cm`;
the label is `target`; diabetes also gets `bmi_offset` = bmi + 1e8, a feature with a large
offset) and fits, on all rows, what runtime/tests/ml_bundled.rs fits in Sluice:

- logistic regression (L2 with l2 = 1e-2, i.e. C = 1 / (l2 * n), on standardized
  features; multinomial for three classes or more): accuracy and log loss, and ROC-AUC
  for breast cancer;
- gaussian naive Bayes on raw features (and on iris with sepal length + 1e8): accuracy;
- multinomial naive Bayes on digits' pixel counts: accuracy;
- ridge regression on diabetes (l2 = 1e-3, alpha = l2 * n), with and without the offset
  feature: R^2 and MSE;
- k-means (k = the class count, standardized features, 10 initialisations): WCSS;
- a depth-3 decision tree (gini): accuracy.

Writes bundled_reference.json beside this file.

Usage: .venv/bin/python stdlib/tests/sklearn/bundled_reference.py
"""
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn import datasets
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error, r2_score, roc_auc_score
from sklearn.naive_bayes import GaussianNB, MultinomialNB
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

HERE = Path(__file__).resolve().parent
L2 = 1e-2
RIDGE_L2 = 1e-3


def plain(name):
    return re.sub(r"_+", "_", re.sub(r"[^0-9a-zA-Z]", "_", name)).strip("_").lower()


def export(name, bunch):
    frame = pd.DataFrame(bunch.data, columns=[plain(c) for c in bunch.feature_names])
    frame["target"] = bunch.target
    return frame


def classifier_figures(frame, features, classes):
    x, y = frame[features].to_numpy(), frame["target"].to_numpy()
    n = len(frame)
    scaled = StandardScaler().fit_transform(x)
    logistic = LogisticRegression(C=1.0 / (L2 * n), max_iter=5000, tol=1e-10).fit(scaled, y)
    p = logistic.predict_proba(scaled)
    out = {
        "rows": n,
        "logistic_accuracy": accuracy_score(y, logistic.predict(scaled)),
        "logistic_log_loss": log_loss(y, p),
        "gaussian_nb_accuracy": accuracy_score(y, GaussianNB().fit(x, y).predict(x)),
        "tree_accuracy": accuracy_score(
            y, DecisionTreeClassifier(max_depth=3, random_state=0).fit(x, y).predict(x)
        ),
        "kmeans_wcss": float(KMeans(n_clusters=classes, n_init=10, random_state=0).fit(scaled).inertia_),
    }
    if classes == 2:
        out["logistic_roc_auc"] = roc_auc_score(y, p[:, 1])
    return out


def main():
    out = {"sklearn_version": sklearn.__version__, "l2": L2, "ridge_l2": RIDGE_L2}
    for name, load, classes in [
        ("iris", datasets.load_iris, 3),
        ("wine", datasets.load_wine, 3),
        ("breast_cancer", datasets.load_breast_cancer, 2),
    ]:
        frame = export(name, load())
        features = [c for c in frame.columns if c != "target"]
        frame.to_csv(HERE / "bundled" / f"{name}.csv", index=False)
        out[name] = {"features": features, **classifier_figures(frame, features, classes)}
    # Iris with a large offset on one feature: the same fit, if variances are centred.
    iris = pd.read_csv(HERE / "bundled" / "iris.csv")
    features = [c for c in iris.columns if c != "target"]
    shifted = iris[features].to_numpy().copy()
    shifted[:, 0] += 1e8
    out["iris"]["gaussian_nb_offset_accuracy"] = accuracy_score(
        iris["target"], GaussianNB().fit(shifted, iris["target"]).predict(shifted)
    )

    diabetes = export("diabetes", datasets.load_diabetes())
    diabetes["bmi_offset"] = diabetes["bmi"] + 1e8
    diabetes.to_csv(HERE / "bundled" / "diabetes.csv", index=False)
    base = [c for c in diabetes.columns if c not in ("target", "bmi_offset")]
    shifted = [c if c != "bmi" else "bmi_offset" for c in base]
    y = diabetes["target"].to_numpy()
    n = len(diabetes)
    out["diabetes"] = {"rows": n, "features": base, "offset_features": shifted}
    for key, cols in [("ridge", base), ("ridge_offset", shifted)]:
        x = diabetes[cols].to_numpy()
        model = Ridge(alpha=RIDGE_L2 * n).fit(x, y)
        predicted = model.predict(x)
        out["diabetes"][key] = {"r2": r2_score(y, predicted), "mse": mean_squared_error(y, predicted)}

    digits = export("digits", datasets.load_digits()).astype(int)  # pixel counts
    digits.to_csv(HERE / "bundled" / "digits.csv", index=False)
    pixels = [c for c in digits.columns if c != "target"]
    x, y = digits[pixels].to_numpy(), digits["target"].to_numpy()
    out["digits"] = {
        "rows": len(digits),
        "features": pixels,
        "multinomial_nb_accuracy": accuracy_score(y, MultinomialNB(alpha=1.0).fit(x, y).predict(x)),
        "gaussian_nb_accuracy": accuracy_score(y, GaussianNB().fit(x, y).predict(x)),
    }
    (HERE / "bundled_reference.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps({k: v for k, v in out.items()}, indent=2)[:3000])


if __name__ == "__main__":
    main()
