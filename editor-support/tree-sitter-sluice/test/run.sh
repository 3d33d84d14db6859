#!/usr/bin/env bash
# The tree-sitter grammar's checks: the committed parser is what grammar.js generates,
# it builds, the corpus (every construct, and every example and `ok` fixture as it is
# now: test/examples_corpus.py) and highlight tests pass, and every example and `ok`
# fixture parses with no ERROR or MISSING node. Needs the tree-sitter CLI (`cargo install
# --locked tree-sitter-cli`) and a C compiler; run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
tree-sitter generate
if ! git diff --quiet -- src 2>/dev/null; then
  echo "error: src/ differs from what grammar.js generates; commit the regenerated parser" >&2
  git diff --stat -- src >&2
  exit 1
fi
tree-sitter build -o "${TMPDIR:-/tmp}/sluice-tree-sitter.so"
python3 test/examples_corpus.py check
tree-sitter test
status=0
for f in ../../examples/*/*.sluice ../../compiler/tests/fixtures/ok/*.sluice; do
  if ! tree-sitter parse -q "$f" >/dev/null 2>&1; then
    echo "error: $f does not parse cleanly:" >&2
    tree-sitter parse -q "$f" 2>&1 | grep -v Warning >&2 || true
    status=1
  fi
done
[ "$status" = 0 ] && echo "tree-sitter: every example and fixture parses with no ERROR node"
exit "$status"
