#!/usr/bin/env bash
# Renders a report in a real browser (headless Chromium, Debian package `chromium`) and checks that
# the page is not blank and that every figure is present and drawn.
# Usage: scripts/check-report.sh REPORT.html [OUT.png]
set -euo pipefail
report=$(realpath "$1")
png=${2:-${report%.html}.png}
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --disable-dev-shm-usage)
dom=$(mktemp)
trap 'rm -f "$dom"' EXIT
timeout 180 chromium "${flags[@]}" --dump-dom "file://$report" > "$dom" 2>/dev/null
timeout 180 chromium "${flags[@]}" --window-size=1450,4000 --screenshot="$png" "file://$report" >/dev/null 2>&1
python3 - "$dom" "$png" "$report" <<'PY'
import re, struct, sys, zlib
dom, png, report = open(sys.argv[1]).read(), open(sys.argv[2], 'rb').read(), open(sys.argv[3]).read()
expected = sorted(set(re.findall(r'<figure id="([^"]+)"', report)))
rendered = sorted(set(re.findall(r'<figure id="([^"]+)"', dom)))
svgs = re.findall(r'<svg[^>]*data-figure="([^"]+)"', dom)
missing = [f for f in expected if f not in rendered]
assert expected, "the report has no figures"
assert not missing, f"figures missing from the rendered page: {missing}"
assert len(svgs) >= len(expected), f"only {len(svgs)} SVG figures rendered for {len(expected)} figures"
drawn = len(re.findall(r'<(circle|path) ', dom))
assert drawn > 100, f"only {drawn} marks drawn"
# PNG: decode and check the page is not blank (many distinct pixel values, not all white)
assert png[:8] == b'\x89PNG\r\n\x1a\n', "not a PNG"
pos, chunks, w, h, ctype = 8, [], 0, 0, 0
while pos < len(png):
    n, kind = struct.unpack('>I4s', png[pos:pos + 8]); data = png[pos + 8:pos + 8 + n]; pos += 12 + n
    if kind == b'IHDR': w, h, _, ctype = struct.unpack('>IIBB', data[:10])
    if kind == b'IDAT': chunks.append(data)
raw = zlib.decompress(b''.join(chunks))
values = set(raw[i] for i in range(0, len(raw), 97))
dark = sum(1 for i in range(0, len(raw), 97) if raw[i] < 128)
assert len(values) > 20 and dark > 50, f"the page looks blank ({len(values)} distinct byte values, {dark} dark samples)"
print(f"report OK: {len(expected)} figures rendered ({len(svgs)} SVGs, {drawn} marks), screenshot {w}x{h} not blank -> {sys.argv[2]}")
PY
