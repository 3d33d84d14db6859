#!/usr/bin/env python3
"""scikit-learn's k-means on the earthquakes, as examples/quake_clusters/pipeline.sluice
clusters them: rows with Type == "Earthquake", the columns Latitude, Longitude, Depth and
Magnitude standardized (training mean, population standard deviation), k = 6, k-means++
with 10 initialisations. Writes kmeans_reference.json beside this file; the test
runtime/tests/ml_pipelines.rs holds Sluice's within-cluster sum of squares to within 1%.

Usage: .venv/bin/python stdlib/tests/sklearn/kmeans_reference.py [../shared/data]
"""
import json
import sys
from pathlib import Path

import pandas as pd
import sklearn
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

FEATURES = ["Latitude", "Longitude", "Depth", "Magnitude"]


def main():
    data = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[4] / "shared" / "data")
    frame = pd.read_csv(data / "earthquakes" / "database.csv", low_memory=False)
    quakes = frame[frame["Type"] == "Earthquake"][FEATURES]
    x = StandardScaler().fit_transform(quakes)
    model = KMeans(n_clusters=6, n_init=10, random_state=0).fit(x)
    out = {
        "sklearn_version": sklearn.__version__,
        "rows": len(quakes),
        "k": 6,
        "wcss": float(model.inertia_),
        "cluster_sizes": sorted(int((model.labels_ == c).sum()) for c in range(6)),
    }
    path = Path(__file__).with_name("kmeans_reference.json")
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
