#!/bin/sh
# Install what Wenkong needs on a Debian or Ubuntu machine, then Wenkong itself into a project
# virtual environment (.venv/), never into the system Python: Debian 12 and Ubuntu 24.04 refuse
# `pip install` there (PEP 668, externally-managed-environment).
#   scripts/install.sh          what `wenkong build` needs (graphviz, CJK fonts, LibreOffice for --pdf)
#   scripts/install.sh test     plus what the tests need (poppler, Chromium, pytest, ruff, mypy)
# Debian packages are installed only when missing, so a second run takes seconds.
# PYTHON=/path/to/python3 picks another interpreter for the environment; VENV=path another folder.
set -eu
cd "$(dirname "$0")/.."
mode="${1:-runtime}"
venv="${VENV:-.venv}"
python="${PYTHON:-python3}"

say() { printf '\n==> %s\n' "$*"; }

packages="graphviz fonts-noto-cjk libreoffice-writer-nogui"
[ "$mode" = test ] && packages="$packages poppler-utils chromium git"
# python3-venv brings ensurepip, without which `python3 -m venv` fails on Debian.
command -v "$python" >/dev/null 2>&1 || packages="$packages python3"
"$python" -c 'import ensurepip, venv' 2>/dev/null || packages="$packages python3-venv python3-pip"

missing=""
for package in $packages; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing="$missing $package"
done
if [ -n "$missing" ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  say "安装 Debian 软件包 / installing Debian packages:$missing (LibreOffice takes a few minutes)"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -o Dpkg::Progress-Fancy=0 \
    -o APT::Color=0 $missing
fi

if [ ! -x "$venv/bin/python" ]; then
  say "创建虚拟环境 / creating the virtual environment $venv"
  "$python" -m venv "$venv"
fi
say "安装 Python 依赖到 $venv / installing Python packages into $venv"
"$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar on --upgrade pip
if [ "$mode" = test ]; then
  "$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar on -e '.[test]'
else
  "$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar on -e .
fi
say "完成 / done: run $venv/bin/wenkong, or '. $venv/bin/activate' and then wenkong"
