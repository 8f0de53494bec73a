#!/usr/bin/env bash
# Installs everything Criticality needs on a fresh Debian 12 machine (run as root), then builds it.
#   apt:  libopenblas-dev (fallback BLAS), zlib1g-dev, dataset-fashion-mnist (the built-in default data),
#         fortunes (2.6 MB of English quotations: the default corpus of `--dataset text`)
#   pip:  scipy-openblas32 (OpenBLAS 0.3.34, the default BLAS), numpy (optional cross-checks in tests)
# The scipy-openblas32 shared library is copied to /usr/local/lib so the linker and loader find it
# without any environment variable.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
need_apt=""
for p in libopenblas-dev zlib1g-dev dataset-fashion-mnist fortunes; do
  dpkg -s "$p" >/dev/null 2>&1 || need_apt="$need_apt $p"
done
if [ -n "$need_apt" ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq $need_apt
fi
python3 -m pip install --quiet --disable-pip-version-check 'scipy-openblas32==0.3.34.*' numpy 2>&1 | grep -v -i 'running pip as' || true
libdir=$(python3 -c 'import scipy_openblas32 as s; print(s.get_lib_dir())')
$SUDO install -m 0755 "$libdir/libscipy_openblas.so" /usr/local/lib/libscipy_openblas.so
$SUDO ldconfig
swift build -c release --product criticality
