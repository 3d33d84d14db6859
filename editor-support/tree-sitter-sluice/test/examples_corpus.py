#!/usr/bin/env python3
"""The corpus entries for every example and `ok` fixture: `write` (re)writes
test/corpus/examples.txt with their current text (then run `tree-sitter test --update`
and review the trees); `check` fails when an example's text differs from its entry,
so the corpus always covers the examples as they are.

Usage: python3 test/examples_corpus.py write|check
"""
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
CORPUS = HERE / "corpus" / "examples.txt"


def sources():
    files = sorted(ROOT.glob("examples/*/*.sluice")) + sorted(ROOT.glob("compiler/tests/fixtures/ok/*.sluice"))
    return [(str(f.relative_to(ROOT)), f.read_text(encoding="utf-8")) for f in files]


def entries(text):
    """(title, input) of each entry of a corpus file."""
    parts = re.split(r"^=+\n(.*)\n=+\n", text, flags=re.M)
    out = []
    for i in range(1, len(parts), 2):
        body = parts[i + 1]
        source = re.split(r"^-{3,}\n", body, maxsplit=1, flags=re.M)[0]
        out.append((parts[i], source.strip("\n")))
    return out


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "check"
    if mode == "write":
        with CORPUS.open("w", encoding="utf-8") as f:
            for name, text in sources():
                f.write(f"{'=' * 40}\n{name}\n{'=' * 40}\n\n{text.strip()}\n\n---\n\n")
        print(f"wrote {CORPUS}; now run `tree-sitter test --update` and review the trees")
        return
    have = dict(entries(CORPUS.read_text(encoding="utf-8")))
    stale = [name for name, text in sources() if have.get(name) != text.strip("\n").strip()]
    if stale:
        print("error: test/corpus/examples.txt is stale for: " + ", ".join(stale), file=sys.stderr)
        print("  run: python3 test/examples_corpus.py write && tree-sitter test --update", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
