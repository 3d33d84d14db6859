#!/usr/bin/env python3
"""Generates the small example data sets committed under examples/*/data.

The files imitate the layout and quirks of the real data in ../shared/data (same
columns, empty fields, US dates with a few ISO timestamps; CRLF, `NA` and an unnamed
index column for the credit file) with synthetic values, so the examples run without
the real data and nothing licensed is copied. Deterministic: re-running gives the same
bytes.  Usage: python3 tools/gen_example_data.py
"""
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def earthquakes(path: Path, rows: int = 400) -> None:
    rng = random.Random(1965)
    header = ("Date,Time,Latitude,Longitude,Type,Depth,Depth Error,Depth Seismic Stations,Magnitude,"
              "Magnitude Type,Magnitude Error,Magnitude Seismic Stations,Azimuthal Gap,Horizontal Distance,"
              "Horizontal Error,Root Mean Square,ID,Source,Location Source,Magnitude Source,Status")
    lines = [header]
    for i in range(rows):
        year = 1965 + i * 52 // rows
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        hh, mm, ss = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
        iso = i in (37, 211, 350)
        date = f"{year}-{month:02d}-{day:02d}T{hh:02d}:{mm:02d}:{ss:02d}.000Z" if iso else f"{month:02d}/{day:02d}/{year}"
        time = date if iso else f"{hh:02d}:{mm:02d}:{ss:02d}"
        kind = rng.choices(["Earthquake", "Nuclear Explosion", "Explosion"], [96, 3, 1])[0]
        mag = round(rng.uniform(5.5, 8.2), 1)
        mag_text = str(int(mag)) if mag == int(mag) else str(mag)
        depth = round(rng.uniform(-1.1, 650), 1)
        maybe = lambda p, v: v if rng.random() < p else ""
        row = [date, time, f"{rng.uniform(-70, 70):.3f}", f"{rng.uniform(-180, 180):.3f}", kind, str(depth),
               maybe(0.2, f"{rng.uniform(0.5, 15):.1f}"), maybe(0.3, str(rng.randint(5, 900))), mag_text,
               rng.choice(["MW", "MWC", "MB", "MS"]), maybe(0.05, f"{rng.uniform(0.01, 0.3):.2f}"),
               maybe(0.1, str(rng.randint(5, 500))), maybe(0.3, f"{rng.uniform(10, 300):.1f}"), "", "",
               maybe(0.7, f"{rng.uniform(0.1, 1.5):.2f}"), f"SX{100000 + i}", rng.choice(["US", "ISCGEM", "GCMT"]),
               "US", "US", rng.choice(["Reviewed", "Automatic"])]
        lines.append(",".join(row))
    path.write_text("\n".join(lines) + "\n")


def credit(path: Path, rows: int = 600, seed: int = 2011, labelled: bool = True, risk_model: bool = False) -> None:
    rng = random.Random(seed)
    header = (",SeriousDlqin2yrs,RevolvingUtilizationOfUnsecuredLines,age,NumberOfTime30-59DaysPastDueNotWorse,"
              "DebtRatio,MonthlyIncome,NumberOfOpenCreditLinesAndLoans,NumberOfTimes90DaysLate,"
              "NumberRealEstateLoansOrLines,NumberOfTime60-89DaysPastDueNotWorse,NumberOfDependents")
    records = []
    for i in range(rows):
        age = rng.randint(21, 95)
        income = "NA" if rng.random() < 0.2 else str(rng.randint(800, 25000))
        deps = "NA" if rng.random() < 0.03 else str(rng.randint(0, 5))
        util = rng.uniform(0, 1.2)
        util_text = f"{util:.2E}" if rng.random() < 0.02 else f"{util:.9f}"
        late = rng.choices([0, 1, 2, 98], [85, 10, 4, 1])[0]
        overdue = 1 if rng.random() < 0.07 + 0.2 * (late > 0) else 0
        if risk_model:  # a clearer signal, for the model-training example
            overdue = 1 if rng.random() < 0.02 + 0.3 * (late > 0) + 0.15 * (util > 0.9) + 0.1 * (age < 30) else 0
        records.append([overdue if labelled else "", util_text, age, late, f"{rng.uniform(0, 3):.9f}", income, rng.randint(0, 25),
                        rng.choices([0, 1, 98], [95, 4, 1])[0], rng.randint(0, 4), rng.randint(0, 2), deps])
    records += [list(r) for r in records[:12]]  # exact duplicates apart from the index
    lines = [header] + [",".join([str(i + 1)] + [str(v) for v in r]) for i, r in enumerate(records)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())


def reviews(directory: Path, rows: int = 120) -> None:
    """Three tab-separated files like the UCI sentiment sentences: `sentence<TAB>label`,
    no header, with their quirks: an unclosed quote at a line start, two trailing spaces
    before the tab (imdb), non-ASCII letters."""
    good = ["great", "excellent", "love", "wonderful", "works well", "perfect", "recommend", "happy", "best"]
    bad = ["terrible", "awful", "broke", "waste", "disappointed", "worst", "poor", "useless", "never again"]
    things = {"amazon_cells": ["phone", "headset", "battery", "charger", "case"],
              "imdb": ["movie", "film", "plot", "acting", "soundtrack"],
              "yelp": ["food", "service", "place", "waiter", "café"]}
    for n, (site, nouns) in enumerate(things.items()):
        rng = random.Random(3000 + n)
        lines = []
        for i in range(rows):
            label = i % 2
            words = rng.sample(good if label else bad, 2)
            noise = rng.sample(good if not label else bad, 1) if rng.random() < 0.15 else []
            thing = rng.choice(nouns)
            sentence = rng.choice([
                f"The {thing} is {words[0]}, {words[1]}.",
                f"{words[0].capitalize()} {thing} - {words[1]}!",
                f"I {'really ' if rng.random() < 0.5 else ''}think this {thing} is {words[0]} but {noise[0] if noise else words[1]}.",
            ])
            if site == "imdb" and i == 7:
                sentence = '" ' + sentence  # an unclosed quote at the start of a line
            if site == "imdb":
                sentence += "  "
            lines.append(f"{sentence}\t{label}")
        (directory / f"{site}_labelled.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    earthquakes(ROOT / "examples/earthquakes/data/earthquakes.csv")
    credit(ROOT / "examples/credit/data/cs-training.csv")
    # Like the real cs-test.csv: the same columns with an empty label.
    credit(ROOT / "examples/credit_risk/data/cs-training.csv", rows=3000, seed=2013, risk_model=True)
    credit(ROOT / "examples/credit_risk/data/cs-test.csv", rows=200, seed=2012, labelled=False)
    (ROOT / "examples/review_sentiment/data").mkdir(parents=True, exist_ok=True)
    reviews(ROOT / "examples/review_sentiment/data")
