"""Write stage: the output folder is replaced as a whole, and nothing outside it is touched —
not through a link named as the output, not when a file is in the way, not on a failed swap."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator.write import OutputError, replace_tree


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_linked_output_folder_is_refused_and_its_target_kept(tmp_path: Path) -> None:
    elsewhere = tmp_path / "photos"
    elsewhere.mkdir()
    (elsewhere / "wedding.jpg").write_bytes(b"precious")
    (tmp_path / "set").mkdir()
    link = tmp_path / "set" / "build"
    link.symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(OutputError, match="符号链接"):
        replace_tree(link, {"index.html": b"<html>"})
    assert tree(elsewhere) == {"wedding.jpg": b"precious"}
    assert link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos", "set"]
    assert sorted(p.name for p in (tmp_path / "set").iterdir()) == ["build"]


def test_a_link_in_the_parent_path_is_fine(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "alias").symlink_to(real, target_is_directory=True)
    replace_tree(tmp_path / "alias" / "out", {"a.txt": b"1"})
    assert tree(real / "out") == {"a.txt": b"1"}


def test_a_file_in_the_place_of_the_output_folder_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "build"
    target.write_bytes(b"notes")
    with pytest.raises(OutputError, match="是一个文件"):
        replace_tree(target, {"a.txt": b"1"})
    assert target.read_bytes() == b"notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]  # no .build.old


def test_a_leftover_backup_link_is_removed_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_bytes(b"keep")
    (tmp_path / ".build.old").symlink_to(elsewhere, target_is_directory=True)
    replace_tree(tmp_path / "build", {"a.txt": b"1"})
    assert tree(elsewhere) == {"keep.txt": b"keep"}
    assert tree(tmp_path / "build") == {"a.txt": b"1"}


def refuse_swap(monkeypatch: pytest.MonkeyPatch, target: Path, step: str) -> None:
    """Make the swap of `target`'s build fail at `step` (moving the old folder away, or the
    new one in) with a permission error."""
    real_replace = os.replace

    def refuse(source: str | Path, destination: str | Path) -> None:
        moving_old = Path(source) == target
        moving_new = Path(source).name.startswith(".build.new-")
        if (moving_old if step == "move-old-away" else moving_new):
            raise PermissionError(13, "Permission denied", str(destination))
        real_replace(source, destination)

    monkeypatch.setattr(os, "replace", refuse)


@pytest.mark.parametrize("step", ["move-old-away", "move-new-in"])
def test_a_refused_swap_says_where_and_keeps_the_previous_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str,
) -> None:
    target = tmp_path / "build"
    replace_tree(target, {"old.txt": b"old", "pdf/a.pdf": b"%PDF"})
    refuse_swap(monkeypatch, target, step)
    with pytest.raises(OutputError) as caught:
        replace_tree(target, {"new.txt": b"new"})
    message = str(caught.value)
    assert str(target) in message and "Permission denied" in message
    assert "保持不变" in message
    assert tree(target) == {"old.txt": b"old", "pdf/a.pdf": b"%PDF"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]


def test_kept_entries_are_carried_over_whole(tmp_path: Path) -> None:
    """A Word-only build keeps the site folder of the previous build: the same files (moved,
    not copied: each keeps its inode), links as links, and nothing of it left behind."""
    target = tmp_path / "build"
    replace_tree(target, {"procedures/a.docx": b"a1", "site/index.html": b"<html>",
                          "site/p/q.html": b"q", "notes.txt": b"n"})
    (target / "site-link").symlink_to("site", target_is_directory=True)
    inode = (target / "site" / "p" / "q.html").stat().st_ino
    replace_tree(target, {"procedures/a.docx": b"a2"}, keep=("site", "site-link", "absent"))
    assert tree(target) == {"procedures/a.docx": b"a2", "site/index.html": b"<html>",
                            "site/p/q.html": b"q"}
    assert (target / "site" / "p" / "q.html").stat().st_ino == inode
    assert os.readlink(target / "site-link") == "site"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]


@pytest.mark.parametrize("step", ["move-old-away", "move-new-in"])
def test_a_refused_swap_puts_kept_entries_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str,
) -> None:
    target = tmp_path / "build"
    before = {"procedures/a.docx": b"a1", "site/index.html": b"<html>", "site/p/q.html": b"q"}
    replace_tree(target, before)
    refuse_swap(monkeypatch, target, step)
    with pytest.raises(OutputError, match="保持不变"):
        replace_tree(target, {"procedures/a.docx": b"a2"}, keep=("site",))
    assert tree(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]


def test_an_unwritable_parent_is_an_error_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied", str(tmp_path))

    monkeypatch.setattr("tempfile.mkdtemp", refuse)
    with pytest.raises(OutputError, match="Permission denied"):
        replace_tree(tmp_path / "build", {"a.txt": b"1"})
    assert list(tmp_path.iterdir()) == []


def test_build_through_a_linked_build_folder_fails_before_rendering(
    docset_dir: Path, tmp_path: Path,
) -> None:
    elsewhere = tmp_path / "shared-drive"
    elsewhere.mkdir()
    (elsewhere / "minutes.docx").write_bytes(b"minutes")
    (docset_dir / "build").symlink_to(elsewhere, target_is_directory=True)
    result = subprocess.run([sys.executable, "-m", "generator", "build", str(docset_dir)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 1
    assert "符号链接" in result.stderr and "Traceback" not in result.stderr
    assert tree(elsewhere) == {"minutes.docx": b"minutes"}


# --- unchanged files are carried over as links to the previous build's, never through links


def test_unchanged_files_are_linked_changed_ones_written(tmp_path: Path) -> None:
    out = tmp_path / "build"
    first = {"procedures/a.docx": b"A" * 100, "procedures/b.docx": b"B" * 100, "index.html": b"i"}
    replace_tree(out, first)
    before = {name: (out / name).stat().st_ino for name in first}
    second = {"procedures/a.docx": b"A" * 100, "procedures/b.docx": b"C" * 100,
              "index.html": b"j", "new.html": b"n"}
    replace_tree(out, second)
    assert tree(out) == second
    assert (out / "procedures/a.docx").stat().st_ino == before["procedures/a.docx"]
    assert (out / "procedures/b.docx").stat().st_ino != before["procedures/b.docx"]
    assert (out / "index.html").stat().st_ino != before["index.html"]
    assert all((out / name).stat().st_nlink == 1 for name in second)  # the old build is gone


def test_a_previous_file_shared_with_another_name_is_written_anew(tmp_path: Path) -> None:
    out = tmp_path / "build"
    replace_tree(out, {"a.docx": b"same"})
    outside = tmp_path / "outside.docx"
    os.link(out / "a.docx", outside)  # someone else's name for the same file
    replace_tree(out, {"a.docx": b"same"})
    assert (out / "a.docx").read_bytes() == b"same"
    assert (out / "a.docx").stat().st_ino != outside.stat().st_ino


def test_a_previous_file_with_other_permissions_is_written_anew(tmp_path: Path) -> None:
    out = tmp_path / "build"
    replace_tree(out, {"a.docx": b"same"})
    mode = (out / "a.docx").stat().st_mode & 0o777
    (out / "a.docx").chmod(0o600 if mode != 0o600 else 0o640)
    replace_tree(out, {"a.docx": b"same"})
    assert (out / "a.docx").stat().st_mode & 0o777 == mode


def test_links_in_the_previous_build_are_not_followed(tmp_path: Path) -> None:
    out = tmp_path / "build"
    replace_tree(out, {"keep.txt": b"k"})
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "procedures").mkdir(parents=True)
    (elsewhere / "procedures" / "a.docx").write_bytes(b"same")
    (elsewhere / "b.docx").write_bytes(b"same too")
    (out / "procedures").symlink_to(elsewhere / "procedures", target_is_directory=True)
    (out / "b.docx").symlink_to(elsewhere / "b.docx")
    replace_tree(out, {"procedures/a.docx": b"same", "b.docx": b"same too"})
    assert not (out / "procedures").is_symlink() and not (out / "b.docx").is_symlink()
    assert tree(out) == {"procedures/a.docx": b"same", "b.docx": b"same too"}
    for name in ("procedures/a.docx", "b.docx"):
        assert (out / name).stat().st_ino != (elsewhere / name).stat().st_ino
        assert (elsewhere / name).stat().st_nlink == 1
    assert tree(elsewhere) == {"procedures/a.docx": b"same", "b.docx": b"same too"}
