#!/usr/bin/env bash
# Screenshots of a report at 1400 px for docs/ (what a reader of the repository sees of the report):
# the top (provenance, contents), the claims summary, Fig. 2 and the SI S7 panel, each rendered by headless
# Chromium from the report's own page with everything above the part removed.
# Usage: scripts/report-screenshots.sh REPORT.html OUTDIR
set -euo pipefail
report=$(realpath "$1"); out=$2
mkdir -p "$out"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
python3 - "$report" "$work" <<'PY'
import re, sys
html, work = open(sys.argv[1]).read(), sys.argv[2]
head, body = html.split('<body>', 1)
parts = {'top': body, 'claims': body[body.index('<h2 id="claims"'):],
         'figure2': body[body.index('<figure id="fig2-all"'):],
         'si-s7': body[body.index('<figure id="sweep-S7-S7"'):]}
for name, part in parts.items():
    open(f"{work}/{name}.html", 'w').write(head + '<body>' + part)
PY
for name in top claims figure2 si-s7; do
  timeout 180 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --disable-dev-shm-usage \
    --window-size=1400,1000 --screenshot="$out/report-1400-$name.png" "file://$work/$name.html" >/dev/null 2>&1
  echo "$out/report-1400-$name.png"
done
