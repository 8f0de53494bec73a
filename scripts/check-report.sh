#!/usr/bin/env bash
# Renders a report in a real browser (headless Chromium, Debian package `chromium`) at four window
# widths (1024, 1280, 1400, 1920 px) and checks at each: every figure and every claims row is in the
# page, no figure extends past the viewport (the panels wrap), and the screenshot is not blank; and that
# every figure's data link names a file that exists.
# Usage: scripts/check-report.sh REPORT.html [OUT.png]   (OUT.png: the 1400-px screenshot)
set -euo pipefail
report=$(realpath "$1")
png=${2:-${report%.html}.png}
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --disable-dev-shm-usage)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A copy of the report that records, once laid out, every figure whose box passes the window's right edge.
probe="$work/probe.html"
python3 - "$report" "$probe" <<'PY'
import sys
html = open(sys.argv[1]).read()
js = """<script>
window.addEventListener('load', () => {
  const w = document.documentElement.clientWidth, bad = [];
  for (const f of document.querySelectorAll('figure')) {
    for (const s of f.querySelectorAll('svg')) { const r = s.getBoundingClientRect(); if (r.right > w + 1 || r.width < 50) { bad.push(f.id + ':' + Math.round(r.right) + '>' + w); break; } }
  }
  document.body.setAttribute('data-viewport', String(w)); document.body.setAttribute('data-overflow', bad.join(' '));
});
</script>"""
open(sys.argv[2], 'w').write(html.replace('</body>', js + '</body>'))
PY
# every figure's data link names a file that is there, relative to the report
python3 - "$report" <<'PY'
import html, os, re, sys
report = sys.argv[1]
links = [html.unescape(l) for l in re.findall(r'<a href="([^"#:]+\.(?:npy|csv))"', open(report).read())]
missing = [l for l in links if not os.path.exists(os.path.join(os.path.dirname(report), l))]
assert not missing, f"data links to missing files: {missing[:5]}"
print(f"report OK: {len(links)} data links, every file there")
PY
for width in 1024 1280 1400 1920; do
  timeout 180 chromium "${flags[@]}" --window-size=$width,1200 --virtual-time-budget=5000 --dump-dom "file://$probe" > "$work/dom-$width.html" 2>/dev/null
  shot="$work/shot-$width.png"; [ "$width" = 1400 ] && shot="$png"
  timeout 180 chromium "${flags[@]}" --window-size=$width,4000 --screenshot="$shot" "file://$report" >/dev/null 2>&1
  python3 - "$work/dom-$width.html" "$shot" "$report" "$width" <<'PY'
import re, struct, sys, zlib
dom, png, report, width = open(sys.argv[1]).read(), open(sys.argv[2], 'rb').read(), open(sys.argv[3]).read(), sys.argv[4]
expected = sorted(set(re.findall(r'<figure id="([^"]+)"', report)))
rendered = sorted(set(re.findall(r'<figure id="([^"]+)"', dom)))
svgs = re.findall(r'<svg[^>]*data-figure="([^"]+)"', dom)
missing = [f for f in expected if f not in rendered]
assert expected, "the report has no figures"
assert not missing, f"{width} px: figures missing from the rendered page: {missing}"
assert set(svgs) >= set(expected), f"{width} px: figures without an SVG: {sorted(set(expected) - set(svgs))}"
claims = set(re.findall(r'<tr id="(summary-claim-\d+)"', report))
assert claims, "the report has no claims summary"
assert claims <= set(re.findall(r'<tr id="(summary-claim-\d+)"', dom)), f"{width} px: claims rows missing"
m = re.search(r'data-viewport="(\d+)"', dom)
assert m, f"{width} px: the layout probe did not run"
over = re.search(r'data-overflow="([^"]*)"', dom).group(1)
assert not over, f"{width} px (viewport {m.group(1)}): figures extend past the viewport: {over}"
drawn = len(re.findall(r'<(circle|path) ', dom))
assert drawn > 100, f"only {drawn} marks drawn"
assert png[:8] == b'\x89PNG\r\n\x1a\n', "not a PNG"
pos, chunks, w, h = 8, [], 0, 0
while pos < len(png):
    n, kind = struct.unpack('>I4s', png[pos:pos + 8]); data = png[pos + 8:pos + 8 + n]; pos += 12 + n
    if kind == b'IHDR': w, h = struct.unpack('>II', data[:8])
    if kind == b'IDAT': chunks.append(data)
raw = zlib.decompress(b''.join(chunks))
values = set(raw[i] for i in range(0, len(raw), 97))
dark = sum(1 for i in range(0, len(raw), 97) if raw[i] < 128)
assert len(values) > 20 and dark > 50, f"{width} px: the page looks blank ({len(values)} distinct byte values, {dark} dark samples)"
print(f"report OK at {width} px (viewport {m.group(1)}): {len(expected)} figures ({len(svgs)} panels, {drawn} marks), {len(claims)} claims, none past the edge; screenshot {w}x{h} not blank")
PY
done
