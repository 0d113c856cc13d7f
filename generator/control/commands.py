"""The document-control commands of `wenkong` (release, obsolete, diff, due, review, lock,
versions): parse arguments, call one control function, print the result. No logic here.

Registered on the main `wenkong` app by generator/cli.py.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from generator.cli import app, default_root, err, out, print_problems, run

DocRoot = Annotated[Path | None, typer.Option(
    "--root", help="Folder of the document set. Default: the current folder, or the sample set.",
    show_default=False)]


def date_option(what: str) -> object:
    return typer.Option("--date", formats=["%Y-%m-%d"], metavar="YYYY-MM-DD",
                        help=f"{what}. Default: today.", show_default=False)


IssueDate = Annotated[dt.datetime | None, date_option("Issue date (发行日期)")]
RetireDate = Annotated[dt.datetime | None, date_option("Date it stops being valid")]
ReviewDate = Annotated[dt.datetime | None, date_option("Date of the review (评审日期)")]


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None


@app.command()
def release(
    code: Annotated[str, typer.Argument(help="Document code, e.g. QP-01 or QR-01-01.")],
    summary: Annotated[str, typer.Option(
        "--summary", "-s", help="What changed, in a sentence: goes into the revision history "
        "(修改内容摘要).")] = "",
    approved_by: Annotated[str, typer.Option(
        "--approved-by", help="Who approved it, as ROLE/NAME, e.g. gm/陈立峰 (批准).")] = "",
    major: Annotated[bool, typer.Option(
        "--major", help="A new edition: A/3 becomes B/0 (rewrite, or the company's limit of "
        "revisions reached).")] = False,
    reviewed_by: Annotated[str | None, typer.Option(
        "--reviewed-by", help="Who reviewed it, as ROLE/NAME (审核). Default: the reviewer "
        "already named in the file.", show_default=False)] = None,
    author: Annotated[str | None, typer.Option(
        "--author", help="Who made the change (修改人). Default: the author named in the file.",
        show_default=False)] = None,
    date: IssueDate = None,
    effective: Annotated[dt.datetime | None, typer.Option(
        "--effective", formats=["%Y-%m-%d"], metavar="YYYY-MM-DD",
        help="Effective date (实施日期) if later than the issue date.",
        show_default=False)] = None,
    remark: Annotated[str | None, typer.Option(
        "--remark", help="Remark for the revision history (备注), e.g. the number of the "
        "change request (文件更改申请单).", show_default=False)] = None,
    commit: Annotated[bool, typer.Option(
        "--commit", help="Also commit the two files to git and tag the commit CODE/VERSION "
        "(e.g. QP-01/A-1), the release mark in the repository.")] = False,
    root: DocRoot = None,
) -> None:
    """Release a new version of a document after its change was approved.

    Works out the next version (A/0 first, then A/1, A/2 …; B/0 with --major), adds the
    revision-history row with the clauses that changed, sets the issue and effective dates and
    the approver, marks the document effective, and records the release in wenkong.lock.
    The YAML file keeps its comments and layout. Nothing is written if anything is wrong.
    Then commit both files (or pass --commit).
    """
    from generator.control.release import release as do_release

    if not approved_by:
        err.print("error: say who approved the release: --approved-by ROLE/NAME "
                  "(e.g. gm/陈立峰)", style="bold red", markup=False)
        raise typer.Exit(1)
    result = run(lambda: do_release(
        root or default_root(), code, summary=summary, approved_by=approved_by, major=major,
        reviewed_by=reviewed_by, author=author, date=_day(date), effective_date=_day(effective),
        commit=commit, remark=remark))
    before = f" (was {result.previous})" if result.previous else " (first issue)"
    out.print(f"released {result.code} {result.version}{before} on {result.date}; clauses "
              f"changed: {result.clauses}", markup=False)
    if result.tag:
        out.print(f"committed {result.source.name} and {result.lock.name}, tagged {result.tag}",
                  markup=False)
    else:
        out.print(f"updated {result.source} and {result.lock}: commit them together.",
                  markup=False)
    if not result.in_git:
        err.print("warning: this document set is not in a git repository, so nothing keeps the "
                  "source of this release for rebuilding or comparing it later (git init)",
                  style="yellow", markup=False)


@app.command()
def obsolete(
    code: Annotated[str, typer.Argument(help="Document code to retire, e.g. QP-07.")],
    reason: Annotated[str, typer.Option(
        "--reason", "-r", help="Why it is retired (作废原因), e.g. 由QP-12替代.")] = "",
    approved_by: Annotated[str | None, typer.Option(
        "--approved-by", help="Who approved the retirement, as ROLE/NAME.",
        show_default=False)] = None,
    date: RetireDate = None,
    root: DocRoot = None,
) -> None:
    """Retire (作废) an effective document.

    Marks it obsolete with the reason and records that in wenkong.lock. Refused while any
    effective document still cites it: release those documents first.
    """
    from generator.control.release import obsolete as do_obsolete

    result = run(lambda: do_obsolete(root or default_root(), code, reason=reason,
                                     approved_by=approved_by, date=_day(date)))
    out.print(f"{result.code} {result.version} is obsolete from {result.date}; updated "
              f"{result.source} and wenkong.lock: commit them together.", markup=False)


@app.command()
def review(
    code: Annotated[str, typer.Argument(help="Procedure code, e.g. QP-01.")],
    date: ReviewDate = None,
    root: DocRoot = None,
) -> None:
    """Record a periodic review that found the procedure still suitable (继续有效).

    Only the review date changes; a review that changes the text is a release instead.
    """
    from generator.control.release import record_review

    path = run(lambda: record_review(root or default_root(), code, date=_day(date)))
    out.print(f"recorded the review in {path}", markup=False)


@app.command()
def diff(
    code: Annotated[str, typer.Argument(help="Document code, e.g. QP-01.")],
    old: Annotated[str | None, typer.Argument(
        help="Older version, e.g. A/0. Default: the latest release.", show_default=False)] = None,
    new: Annotated[str | None, typer.Argument(
        help="Newer version, e.g. A/1. Default: the working draft (the file as it is now).",
        show_default=False)] = None,
    docx: Annotated[Path | None, typer.Option(
        "--docx", help="Also write a redline .docx (Word tracked changes) to this file.",
        show_default=False)] = None,
    root: DocRoot = None,
) -> None:
    """Show what changed between two versions, clause by clause.

    `wenkong diff QP-01` compares the latest release with the file as it is now;
    `wenkong diff QP-01 A/0 A/1` compares two releases. Deleted words are shown [-like this-]
    and inserted words {+like this+}.
    """
    from generator.control.diff import compare, marked_lines

    comparison = run(lambda: compare(root or default_root(), code, old, new))
    out.print(f"{comparison.code} {comparison.new.title}: {comparison.old.label} → "
              f"{comparison.new.label}", style="bold", markup=False)
    if not comparison.changes:
        out.print("no changes", markup=False)
    for change in comparison.changes:
        label = change.label if change.kind != "changed" or change.old_label == change.label \
            else f"{change.label} (was {change.old_label})"
        colour = {"added": "green", "removed": "red", "changed": "yellow"}[change.kind]
        heading = f"{label} {change.title}".strip() if change.kind == "changed" else label
        out.print(Text(f"\n{heading} {change.kind}", style=f"bold {colour}"))
        for runs in marked_lines(change.words, context=change.kind != "changed"):
            line = Text()
            for op, text in runs:
                if op == "equal":
                    line.append(text)
                elif op == "delete":
                    line.append(f"[-{text}-]", style="red strike")
                else:
                    line.append(f"{{+{text}+}}", style="green underline")
            out.print(line)
    if docx is not None:
        from generator.control.redline import render_redline
        from generator.write import write_file

        release = comparison.new.release or comparison.old.release
        author = (release.approved_by or release.author or "") if release else ""
        day = comparison.new.release.date if comparison.new.release else dt.date.today()
        data = run(lambda: render_redline(
            comparison, author=author.split("/")[-1], date=day,
            heading=f"{comparison.code} {comparison.new.title} "
                    f"{comparison.old.label} → {comparison.new.label}"))
        write_file(docx, data)
        out.print(f"\nwrote {docx}", markup=False)


@app.command()
def due(
    as_of: Annotated[dt.datetime | None, typer.Option(
        "--as-of", formats=["%Y-%m-%d"], metavar="YYYY-MM-DD",
        help="Day to check against. Default: today.", show_default=False)] = None,
    within: Annotated[int, typer.Option(
        help="Also list reviews falling due within this many days.")] = 30,
    root: DocRoot = None,
) -> None:
    """List documents whose periodic review (定期评审) is due or overdue.

    Exit status 1 when any review is overdue, so it can run in CI or cron and alert someone.
    """
    from generator.control.review import reviews_due
    from generator.resolve import load_document_set

    day = _day(as_of) or dt.date.today()
    # Review dates do not depend on the lock: a pending release must not hide an overdue review.
    docset = run(lambda: load_document_set(root or default_root(), check_lock=False))
    print_problems(docset.warnings)
    found = reviews_due(docset, day, within)
    if not found:
        out.print(f"no review due within {within} days of {day}", markup=False)
        return
    table = Table(title=f"periodic reviews as of {day}")
    # Code, state and dates never wrap (a clerk reads them in an 80-column terminal or a CI
    # log); the title gives way first.
    for column in ("code", "state", "next review", "version", "owner"):
        table.add_column(column, no_wrap=True)
    table.add_column("title", overflow="fold")
    for item in found:
        state = (Text(f"overdue {item.days} days", style="bold red") if item.overdue
                 else Text(f"due in {-item.days} days", style="yellow"))
        table.add_row(item.code, state, str(item.next_review), item.version, item.owner,
                      item.title)
    out.print(table)
    overdue = [i for i in found if i.overdue]
    if overdue:
        err.print(f"{len(overdue)} review(s) overdue: " + ", ".join(i.code for i in overdue),
                  style="bold red", markup=False)
        raise typer.Exit(1)


@app.command()
def lock(
    adopt: Annotated[bool, typer.Option(
        "--adopt", help="Record every effective document that the lock does not know yet, as "
        "it is now (for a document set that was released before Wenkong).")] = False,
    root: DocRoot = None,
) -> None:
    """Check wenkong.lock, or start it for an existing document set (--adopt).

    With --adopt, each document's current content becomes the fingerprint of its current
    version; earlier versions of its revision history are recorded as released before
    Wenkong (listed, but without a source to rebuild from).
    """
    from generator.control.release import adopt as do_adopt
    from generator.resolve import load_document_set

    folder = root or default_root()
    if adopt:
        adopted = run(lambda: do_adopt(folder))
        if adopted:
            out.print(f"adopted {len(adopted)} documents into wenkong.lock: "
                      + ", ".join(adopted), markup=False)
        else:
            out.print("nothing to adopt: the lock knows every released document", markup=False)
        return
    docset = run(lambda: load_document_set(folder))
    from generator.control.lock import lock_path

    if not lock_path(docset.root).is_file():
        out.print("no wenkong.lock yet: `wenkong release CODE …` starts it, or `wenkong lock "
                  "--adopt` for documents released before Wenkong", markup=False)
        return
    out.print(f"OK: wenkong.lock matches the {len(docset.procedures) + len(docset.forms)} "
              "documents", markup=False)


@app.command()
def versions(
    code: Annotated[str | None, typer.Argument(
        help="Document code. Default: every document.", show_default=False)] = None,
    root: DocRoot = None,
) -> None:
    """List released versions (文件发布记录): date, summary, approver, where the source is."""
    from generator.control.history import released_versions

    found = run(lambda: released_versions((root or default_root()).resolve(), code))
    table = Table()
    for column in ("code", "version", "date", "summary", "approved by", "source"):
        table.add_column(column)
    for item in found:
        source = item.commit[:10] if item.commit else (
            "before Wenkong" if item.fingerprint is None else "not committed")
        table.add_row(item.code, item.version + (" (obsolete)" if item.obsolete and item.current
                                                 else ""),
                      item.date, item.summary, item.approved_by or "", source)
    out.print(table)
