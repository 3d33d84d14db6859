#!/usr/bin/env python3
"""Fails when a snapshot from vscode-tmgrammar-snap has a token, other than
whitespace, whose only scope is the grammar's root (`source.sluice`): every token
class of the DSL must be scoped.

Usage: python3 test/unscoped.py SNAP_FILE...
"""
import sys

bad = 0
for path in sys.argv[1:]:
    source = None
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith(">"):
            source = line[1:]
            continue
        if not line.startswith("#") or source is None:
            continue
        marks = line[1:]
        start = len(marks) - len(marks.lstrip(" "))
        carets = len(marks[start:]) - len(marks[start:].lstrip("^"))
        scopes = marks[start + carets:].split()
        text = source[start:start + carets]
        if scopes == ["source.sluice"] and text.strip():
            print(f"{path}: unscoped token {text!r} in: {source}")
            bad += 1
sys.exit(1 if bad else 0)
