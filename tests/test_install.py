"""scripts/install.sh (the README's `make sample` / `make test`): Wenkong goes into a project
virtual environment, never the system Python (PEP 668), python3-venv comes from apt when the
interpreter cannot make one, and apt and pip show what they do. Run with stub commands."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def run_install(tmp_path: Path, *, installed: bool, has_venv: bool) -> tuple[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    status = "install ok installed" if installed else "deinstall ok config-files"
    stub(bin_dir, "dpkg-query", f"echo '{status}'\n")
    stub(bin_dir, "apt-get", f'echo "apt-get $*" >> {log}\n')
    stub(bin_dir, "id", "echo 0\n")
    # A python3 that can (or cannot) make a venv; the venv's python logs what it is asked.
    stub(bin_dir, "fakepython", f"""
if [ "$1" = -c ]; then exit {0 if has_venv else 1}; fi
if [ "$1 $2" = "-m venv" ]; then
  mkdir -p "$3/bin"
  printf '#!/bin/sh\\necho "venv-python $*" >> {log}\\n' > "$3/bin/python"
  chmod +x "$3/bin/python"
  echo "system-python $*" >> {log}
  exit 0
fi
echo "system-python $*" >> {log}
""")
    venv = tmp_path / "venv"
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHON": "fakepython",
           "VENV": str(venv)}
    done = subprocess.run(["sh", str(REPO / "scripts" / "install.sh"), "test"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout, log.read_text(encoding="utf-8")


def test_installs_into_a_virtual_environment_with_progress(tmp_path: Path) -> None:
    stdout, calls = run_install(tmp_path, installed=True, has_venv=True)
    lines = calls.splitlines()
    assert lines[0] == f"system-python -m venv {tmp_path / 'venv'}"
    # every pip install runs in the environment, none in the system Python
    assert not [line for line in lines if line.startswith("system-python") and "pip" in line]
    pip = [line for line in lines if line.startswith("venv-python -m pip install")]
    assert pip[-1].endswith("-e .[test]") and all(" -q" not in line for line in pip)
    assert "apt-get" not in calls  # nothing missing: no apt run
    assert "venv/bin/wenkong" in stdout  # says how wenkong is then called


def test_missing_packages_and_venv_support_come_from_apt_visibly(tmp_path: Path) -> None:
    stdout, calls = run_install(tmp_path, installed=False, has_venv=False)
    install = next(line for line in calls.splitlines() if line.startswith("apt-get") and
                   " install " in line)
    assert "python3-venv" in install and "libreoffice-writer-nogui" in install
    assert "-qq" not in calls  # apt shows its progress
    assert "apt-get update" in calls
    assert "installing Debian packages" in stdout
