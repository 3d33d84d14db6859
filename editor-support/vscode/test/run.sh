#!/usr/bin/env bash
# The TextMate grammar's checks (needs Node and npm): the unit tests in
# test/*.test.sluice, a snapshot of every example compared with snapshots/textmate/,
# and no unscoped token in any of them. UPDATE=1 rewrites the snapshots (review the
# diff before committing).
set -euo pipefail
cd "$(dirname "$0")/.."
npm install --no-audit --no-fund --silent >/dev/null
grammar=syntaxes/sluice.tmLanguage.json
npx --no-install vscode-tmgrammar-test -g "$grammar" 'test/*.test.sluice'
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
snapshots=../../snapshots/textmate
mkdir -p "$snapshots"
for f in ../../examples/*/*.sluice ../../compiler/tests/fixtures/ok/*.sluice; do
  name="$(basename "$(dirname "$f")")__$(basename "$f")"
  cp "$f" "$work/$name"
  if [ -z "${UPDATE:-}" ] && [ -f "$snapshots/$name.snap" ]; then
    cp "$snapshots/$name.snap" "$work/$name.snap"
  fi
done
if [ -n "${UPDATE:-}" ]; then
  npx --no-install vscode-tmgrammar-snap -g "$grammar" -s source.sluice --updateSnapshot "$work/*.sluice"
  cp "$work"/*.snap "$snapshots/"
else
  for f in "$work"/*.sluice; do
    if [ ! -f "$f.snap" ]; then
      echo "error: no snapshot for $(basename "$f"); run UPDATE=1 $0 and review it" >&2
      exit 1
    fi
  done
  npx --no-install vscode-tmgrammar-snap -g "$grammar" -s source.sluice "$work/*.sluice"
fi
python3 test/unscoped.py "$work"/*.snap
echo "textmate: unit tests pass, every example matches its snapshot, no unscoped token"
