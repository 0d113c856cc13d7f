#!/bin/sh
# Install what Wenkong needs on a Debian machine, then the Python package itself.
#   scripts/install.sh          what `wenkong build` needs (graphviz, CJK fonts, LibreOffice for --pdf)
#   scripts/install.sh test     plus what the tests need (poppler, Chromium, pytest, ruff, mypy)
# Debian packages are installed only when missing, so a second run takes seconds.
set -eu
cd "$(dirname "$0")/.."
mode="${1:-runtime}"

packages="graphviz fonts-noto-cjk libreoffice-writer-nogui"
[ "$mode" = test ] && packages="$packages poppler-utils chromium"

missing=""
for package in $packages; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing="$missing $package"
done
if [ -n "$missing" ]; then
  echo "installing Debian packages:$missing"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
fi

if [ "$mode" = test ]; then
  python3 -m pip install -q --disable-pip-version-check -e '.[test]'
else
  python3 -m pip install -q --disable-pip-version-check -e .
fi
