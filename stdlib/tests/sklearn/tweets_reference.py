#!/usr/bin/env python3
"""scikit-learn's figures for airline tweet sentiment (three classes: negative, neutral,
positive), a data set the project never trained on, as runtime/tests/ml_bundled.rs runs
it in Sluice: tweets/Tweets.csv; a tweet is a test row when tweet_id % 5 == 0;
TfidfVectorizer's defaults (lowercase, tokens of 2+ word characters, smoothed idf, unit
length) fitted on the training rows; multinomial LogisticRegression with
C = 1 / (l2 * n_train), l2 = 1e-4, and MultinomialNB(alpha = 1). Writes
tweets_reference.json beside this file.

Usage: .venv/bin/python stdlib/tests/sklearn/tweets_reference.py [../shared/data]
"""
import json
import sys
from pathlib import Path

import pandas as pd
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.naive_bayes import MultinomialNB

L2 = 1e-4


def main():
    data = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[4] / "shared" / "data")
    tweets = pd.read_csv(data / "tweets" / "Tweets.csv", dtype={"tweet_id": "int64"}, keep_default_na=False)
    test_rows = tweets["tweet_id"] % 5 == 0
    train, test = tweets[~test_rows], tweets[test_rows]
    tfidf = TfidfVectorizer().fit(train["text"])
    x_train, x_test = tfidf.transform(train["text"]), tfidf.transform(test["text"])
    out = {"sklearn_version": sklearn.__version__, "train_rows": len(train), "test_rows": len(test),
           "vocabulary": len(tfidf.vocabulary_), "l2": L2}
    y = train["airline_sentiment"]
    logistic = LogisticRegression(C=1.0 / (L2 * len(train)), max_iter=2000, tol=1e-8).fit(x_train, y)
    bayes = MultinomialNB(alpha=1.0).fit(x_train, y)
    for name, model in [("logistic", logistic), ("bayes", bayes)]:
        predicted = model.predict(x_test)
        out[name] = {
            "accuracy": accuracy_score(test["airline_sentiment"], predicted),
            "macro_f1": f1_score(test["airline_sentiment"], predicted, average="macro"),
        }
    path = Path(__file__).with_name("tweets_reference.json")
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
