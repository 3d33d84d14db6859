#!/usr/bin/env python3
"""scikit-learn's figures for review sentiment, as runtime/tests/ml_pipelines.rs runs it
in Sluice: the three UCI sentence files (read with quoting off), together; a sentence is
a test row when its length in characters % 5 == 0; TfidfVectorizer's defaults
(lowercase, tokens of 2+ word characters, smoothed idf, unit length) fitted on the
training rows; LogisticRegression with C = 1 / (l2 * n_train), l2 = 5e-4, and
MultinomialNB(alpha = 1). Writes text_reference.json beside this file.

Usage: .venv/bin/python stdlib/tests/sklearn/text_reference.py [../shared/data]
"""
import csv
import json
import sys
from pathlib import Path

import pandas as pd
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.naive_bayes import MultinomialNB

L2 = 5e-4


def main():
    data = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[4] / "shared" / "data")
    frames = [pd.read_csv(data / "reviews" / f"{site}_labelled.txt", sep="\t", header=None, quoting=csv.QUOTE_NONE,
                          names=["sentence", "label"], keep_default_na=False)
              for site in ["amazon_cells", "imdb", "yelp"]]
    reviews = pd.concat(frames, ignore_index=True)
    test_rows = reviews["sentence"].str.len() % 5 == 0
    train, test = reviews[~test_rows], reviews[test_rows]
    tfidf = TfidfVectorizer().fit(train["sentence"])
    x_train, x_test = tfidf.transform(train["sentence"]), tfidf.transform(test["sentence"])
    out = {"sklearn_version": sklearn.__version__, "train_rows": len(train), "test_rows": len(test),
           "vocabulary": len(tfidf.vocabulary_), "l2": L2}
    logistic = LogisticRegression(C=1.0 / (L2 * len(train)), max_iter=1000).fit(x_train, train["label"])
    bayes = MultinomialNB(alpha=1.0).fit(x_train, train["label"])
    for name, model in [("logistic", logistic), ("bayes", bayes)]:
        p = model.predict_proba(x_test)[:, 1]
        out[name] = {"accuracy": accuracy_score(test["label"], p >= 0.5), "roc_auc": roc_auc_score(test["label"], p)}
    path = Path(__file__).with_name("text_reference.json")
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
