"""Render stage (Word): how tables and codes print — column widths from content, which rows may
split across pages, and codes and names that never break in the middle.

Word and LibreOffice lay out pages themselves; a renderer only gives them the right hints. The
estimates here (text width per character, line height) are rough on purpose: they pick widths
and decide whether a row is short enough to keep whole, they do not predict page breaks.

- `column_widths(columns, total_mm)`: widths from the text of each column (its longest line,
  its amount of text, its longest unbreakable code or name), within a minimum and a maximum.
  A function of column texts only, so it serves any table: process tables with any columns,
  the records table, user tables without `widths:`, the template's revision history.
- `fit_table(table, total_mm, relative)`: reads a built table's cell texts, sets the widths
  (the given relative widths win), and lets long rows split across pages while short ones
  stay whole (w:cantSplit), so a long row never leaves half a page blank.
- `keep_words_whole(element, names)`: codes (QR-06-01, 2026-02-09) get non-breaking hyphens
  (w:noBreakHyphen, as Word's Ctrl+Shift+-), department names and similar get word joiners
  (U+2060) between their characters, so no line break falls inside them.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from copy import deepcopy
from typing import Any

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from lxml import etree

from generator.render.docx import ooxml

TABLE_TEXT_PT = 9.0  # "Table Text" of the default template (w:sz 18)
CELL_PADDING_MM = 2 * 1.9 + 0.8  # Word's default cell margins (108 twips each side) and slack
# line spacing 1.1 of a 9 pt line; CJK fonts (Noto CJK, SimSun) are 1.44 em high
LINE_MM = TABLE_TEXT_PT * 1.44 * 1.1 * 0.3528
PARAGRAPH_MM = 0.8  # spacing before and after a table paragraph
MINIMUM_MM = 9.0  # no column narrower than two characters and its margins
MAXIMUM_SHARE = 0.55  # no column wider than this share of the table (unless few columns)
HEADER_CHARS = 4  # a header keeps up to four characters on one line
# A row estimated taller than this may split across pages; shorter rows stay whole. A third of
# the A4 text block is the most white space a page may be left with: this stays well under it.
SHORT_ROW_MM = 50.0

WORD_JOINER = "\u2060"
# An explicit break opportunity beside a kept piece: LibreOffice finds none where a run of no
# language meets Chinese text, and would then break inside the piece after all.
BREAK_HERE = "\u200b"
_CLOSING = "、，。；：！？）》」』”’)],.;:!?"
_OPENING = "（《「『“‘(["
# Codes and dates: letters/digits joined by hyphens or slashes (QR-06-01, SM-QR-720-01-01,
# 2026-02-09, A/1). The hyphens must not end a line.
CODE = re.compile(r"[A-Za-z0-9]+(?:[-/][A-Za-z0-9]+)+")


def text_width_mm(text: str, size_pt: float = TABLE_TEXT_PT, *, slack: float = 1.05) -> float:
    """Printed width of a line of text, roughly: wide (CJK, ☐, em space) characters take the
    font size, others a bit more than half of it; joiners take nothing. `slack` is the margin
    a table column keeps for fonts wider than the estimate (forms measure without it)."""
    text = text.replace(WORD_JOINER, "").replace(BREAK_HERE, "")
    wide = sum(1 for c in text if unicodedata.east_asian_width(c) in "WFA" or c == "\u2003")
    return slack * (wide + 0.55 * (len(text) - wide)) * size_pt * 0.3528


def unbreakable_pieces(text: str) -> list[str]:
    """The pieces of `text` no line break may fall inside: codes, Latin words, and runs of
    characters held together by word joiners."""
    # a code with the bracket or punctuation touching it: no break falls between them either
    pieces = re.findall(r"\S?" + CODE.pattern + r"\S?", text) + re.findall(r"[A-Za-z0-9]+", text)
    pieces += [m.group(0) for m in re.finditer(rf"\S(?:{WORD_JOINER}\S)+", text)]
    return pieces


def column_widths(columns: Sequence[Sequence[str]], total_mm: float, *,
                  headers: Sequence[str] | None = None, size_pt: float = TABLE_TEXT_PT,
                  minimum_mm: float = MINIMUM_MM, maximum_share: float = MAXIMUM_SHARE
                  ) -> list[float]:
    """Widths (mm, summing to `total_mm`) for columns holding the given cell texts (a cell's
    paragraphs separated by newlines).

    Each column gets at least its floor (its longest unbreakable piece, a few header
    characters, `minimum_mm`) and at most `maximum_share` of the table; the rest of the width
    goes to the columns by their amount of text, never beyond what their longest line needs.
    When everything fits on one line, every column gets its longest line plus a fair share.
    """
    count = len(columns)
    if count == 0:
        return []
    headers = list(headers) if headers is not None else [""] * count
    pad = CELL_PADDING_MM
    lines = [[line for cell in column for line in cell.split("\n")] for column in columns]
    natural = [max((text_width_mm(line, size_pt) for line in column), default=0.0) + pad
               for column in lines]
    floor = []
    for column, header in zip(lines, headers, strict=True):
        pieces = [p for line in column for p in unbreakable_pieces(line)]
        longest = max((text_width_mm(p, size_pt) for p in pieces), default=0.0)
        head = text_width_mm(header.replace("\n", "")[:HEADER_CHARS], size_pt)
        floor.append(max(minimum_mm, longest + pad, head + pad))
    natural = [max(n, f) for n, f in zip(natural, floor, strict=True)]
    cap = max(total_mm * maximum_share, total_mm / count)
    if sum(floor) >= total_mm:  # more unbreakable text than width: shrink the floors evenly
        return _rounded([f * total_mm / sum(floor) for f in floor], total_mm)
    if sum(natural) <= total_mm:  # every line fits: spread the spare width by need
        spare = total_mm - sum(natural)
        return _rounded([n + spare * n / sum(natural) for n in natural], total_mm)
    # The rest goes, a millimetre at a time, to the column where it saves the most printed
    # height over all rows (rows are as tall as their tallest cell), up to each column's cap.
    rows = _rows_of(columns)
    widths = list(floor)
    limit = [min(n, max(cap, f)) for n, f in zip(natural, floor, strict=True)]
    spare = total_mm - sum(widths)
    height = _table_height(rows, widths, size_pt)
    while spare >= 1.0:
        best, best_height = -1, height
        for i in range(count):
            if widths[i] + 1.0 > limit[i]:
                continue
            widths[i] += 1.0
            trial = _table_height(rows, widths, size_pt)
            widths[i] -= 1.0
            if trial < best_height - 1e-6:
                best, best_height = i, trial
        if best < 0:
            break
        widths[best] += 1.0
        spare -= 1.0
        height = best_height
    if spare > 0:  # nothing shortens any more: the rest by each column's longest line
        weights = [max(n - w, 0.0) + 1.0 for n, w in zip(natural, widths, strict=True)]
        widths = [w + spare * k / sum(weights) for w, k in zip(widths, weights, strict=True)]
    return _rounded(widths, total_mm)


def _rows_of(columns: Sequence[Sequence[str]]) -> list[list[str]]:
    length = max((len(c) for c in columns), default=0)
    return [[c[r] if r < len(c) else "" for c in columns] for r in range(length)]


def _table_height(rows: list[list[str]], widths: Sequence[float], size_pt: float) -> float:
    return sum(row_height_mm(row, widths, size_pt) for row in rows)


def _rounded(widths: list[float], total_mm: float) -> list[float]:
    rounded = [round(w, 1) for w in widths]
    rounded[-1] = round(total_mm - sum(rounded[:-1]), 1)
    return rounded


def row_height_mm(cells: Sequence[str], widths: Sequence[float],
                  size_pt: float = TABLE_TEXT_PT) -> float:
    """Estimated printed height of a table row whose cells hold `cells` (paragraphs separated
    by newlines) in columns of `widths` mm."""
    tallest = 0.0
    for text, width in zip(cells, widths, strict=False):
        room = max(width - CELL_PADDING_MM, 1.0)
        paragraphs = text.split("\n")
        lines = sum(max(1, math.ceil(text_width_mm(p, size_pt) / room)) for p in paragraphs)
        tallest = max(tallest, lines * LINE_MM * size_pt / TABLE_TEXT_PT
                      + len(paragraphs) * PARAGRAPH_MM)
    return tallest + 1.0


# --- built tables ------------------------------------------------------------------------------


def paragraph_text(p: Any) -> str:
    """The text of a w:p as printed: w:t, tabs and non-breaking hyphens."""
    parts = []
    for element in p.iter(qn("w:t"), qn("w:noBreakHyphen"), qn("w:tab")):
        if element.tag == qn("w:t"):
            parts.append(element.text or "")
        elif element.tag == qn("w:noBreakHyphen"):
            parts.append("-")
        else:
            parts.append(" ")
    return "".join(parts)


def cell_text(tc: Any) -> str:
    return "\n".join(paragraph_text(p) for p in tc.iter(qn("w:p")))


def is_simple_grid(tbl: Any) -> bool:
    """A table without merged cells (the cover block has them: its layout is the template's)."""
    return not any(True for _ in tbl.iter(qn("w:gridSpan"), qn("w:vMerge")))


def table_texts(tbl: Any) -> list[list[str]]:
    """Cell texts, row by row, of a table without merged cells."""
    return [[cell_text(tc) for tc in tr.findall(qn("w:tc"))] for tr in tbl.findall(qn("w:tr"))]


def has_header_row(tbl: Any) -> bool:
    first = tbl.find(qn("w:tr"))
    return first is not None and first.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None


def fit_table(table: Any, total_mm: float, relative: Sequence[float] | None = None) -> list[float]:
    """Set the widths of a built table (from `relative` when given, else from its content)
    and decide row by row whether a row may split across pages. Returns the widths (mm)."""
    if not hasattr(table, "_tbl"):
        from docx.table import Table

        table = Table(table, None)  # type: ignore[arg-type]
    tbl = table._tbl
    rows = table_texts(tbl)
    widths, whole = fitted(rows, has_header_row(tbl), total_mm, relative)
    ooxml.set_column_widths(table, widths)
    trs = tbl.findall(qn("w:tr"))
    for tr, keep in zip(trs[len(rows) - len(whole):], whole, strict=True):
        keep_row_whole(tr, keep)
    return widths


def fitted(rows: list[list[str]], header_row: bool, total_mm: float,
           relative: Sequence[float] | None = None) -> tuple[list[float], list[bool]]:
    """`fit_table` on cell texts: the column widths (mm), and for each row after the header
    row whether it stays whole on a page."""
    header, body = (rows[0], rows[1:]) if header_row else ([""] * len(rows[0]), rows)
    if relative:
        widths = [total_mm * w / sum(relative) for w in relative]
    else:
        columns = tuple(tuple(row[i] for row in body if i < len(row))
                        for i in range(len(header)))
        widths = list(_content_widths(columns, total_mm, tuple(header)))
    return widths, [row_height_mm(texts, widths) <= SHORT_ROW_MM for texts in body]


@functools.lru_cache(maxsize=1024)
def _content_widths(columns: tuple[tuple[str, ...], ...], total_mm: float,
                    headers: tuple[str, ...]) -> tuple[float, ...]:
    """`column_widths`, once per content (documents of a set repeat their tables' headers
    and often whole tables: records, revision histories)."""
    return tuple(column_widths(columns, total_mm, headers=headers))


def keep_row_whole(tr: Any, whole: bool) -> None:
    """w:cantSplit on (a short row jumps whole to the next page) or off (a long row splits)."""
    tr_pr = tr.get_or_add_trPr()
    found = tr_pr.find(qn("w:cantSplit"))
    if whole and found is None:
        tr_pr.append(OxmlElement("w:cantSplit"))
    elif not whole and found is not None:
        tr_pr.remove(found)


def signature(tbl: Any) -> tuple[tuple[str, ...], ...]:
    """A table's cell texts (joiners dropped): tells the tables of the body from those of the
    template once the body is in the template."""
    return tuple(tuple(t.replace(WORD_JOINER, "").replace(BREAK_HERE, "") for t in row)
                 for row in table_texts(tbl))


def fit_template_tables(body: Any, total_mm: float,
                        skip: set[tuple[tuple[str, ...], ...]]) -> None:
    """Fit the template's own data tables (a revision history: repeating header row, no
    merged cells) to their content, each within its own width; tables in `skip` (the body's,
    already fitted, perhaps with widths of their own) and the cover block stay as they are."""
    for tbl in body.findall(qn("w:tbl")):
        if has_header_row(tbl) and is_simple_grid(tbl) and signature(tbl) not in skip:
            width = tbl.find(f"{qn('w:tblPr')}/{qn('w:tblW')}")
            own = width is not None and width.get(qn("w:type")) == "dxa"
            fit_table(tbl, int(width.get(qn("w:w"))) / 56.6929 if own else total_mm)


def trim_end(body: Any) -> None:
    """No blank last page: the empty paragraphs after the last table or text go, and the one
    paragraph Word requires at the end of a document (after a final table) shrinks to a
    hidden 1 pt line, so it cannot spill onto a page of its own."""
    children = [c for c in body if c.tag != qn("w:sectPr")]
    trailing = []
    for child in reversed(children):
        if child.tag != qn("w:p") or not _is_empty(child):
            break
        trailing.append(child)
    if not trailing:
        return
    keep = trailing[-1]  # the first empty paragraph after the content
    for extra in trailing[:-1]:
        body.remove(extra)
    p_pr = keep.get_or_add_pPr()
    p_pr.get_or_add_spacing().set(qn("w:before"), "0")
    spacing = p_pr.find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "20")
    spacing.set(qn("w:lineRule"), "exact")
    mark = p_pr.find(qn("w:rPr"))
    if mark is None:
        mark = OxmlElement("w:rPr")
        p_pr.append(mark)
    for tag in ("w:vanish", "w:sz"):
        for old in mark.findall(qn(tag)):
            mark.remove(old)
    mark.append(OxmlElement("w:vanish"))
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "2")
    mark.append(size)


def _is_empty(p: Any) -> bool:
    """A paragraph with no text, picture, field or break of its own."""
    if paragraph_text(p).strip():
        return False
    kinds = (qn("w:drawing"), qn("w:pict"), qn("w:fldChar"), qn("w:fldSimple"), qn("w:br"),
             qn("w:object"), qn("w:sectPr"), qn("w:bookmarkStart"))
    return not any(True for _ in p.iter(*kinds))


# --- codes and names -----------------------------------------------------------------------------


def join_name(name: str) -> str:
    """`name` with word joiners between its characters: no line break falls inside it."""
    return WORD_JOINER.join(name.replace(WORD_JOINER, ""))


def names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """What `keep_words_whole` looks for besides codes: `names` and a box before them."""
    return _compiled_names(frozenset(names))


def may_keep(text: str, names: re.Pattern[str] | None) -> bool:
    """Whether `text` holds a code with a hyphen or one of the names (`names_pattern`): where
    `keep_words_whole` changes anything. Cheap tests first: most text holds neither."""
    if "-" in text and any("-" in m.group(0) for m in CODE.finditer(text)):
        return True
    return names is not None and _FIRST_CHARACTERS[names].search(text) is not None and \
        names.search(text) is not None


# per names pattern: the characters a match can start with, as one character class
_FIRST_CHARACTERS: dict[re.Pattern[str], re.Pattern[str]] = {}


@functools.lru_cache(maxsize=16)
def _compiled_names(names: frozenset[str]) -> re.Pattern[str] | None:
    """One pattern per set of names (a build renders every document with the same roles)."""
    kept = sorted({n for n in names if len(n) > 1 and not CODE.fullmatch(n)},
                  key=lambda n: (-len(n), n))
    if not kept:
        return None
    pattern = re.compile(f"[{ooxml.CHECKED}{ooxml.UNCHECKED}]?(?:"
                         + "|".join(re.escape(n) for n in kept) + ")")
    first = sorted({ooxml.CHECKED, ooxml.UNCHECKED} | {n[0] for n in kept})
    _FIRST_CHARACTERS[pattern] = re.compile("[" + "".join(re.escape(c) for c in first) + "]")
    return pattern


# LibreOffice honours word joiners between the letters and digits of a code in Chinese text,
# but between Chinese characters only in text of no language: a department name becomes a run
# of its own in that "language". Word keeps both whole either way.
NO_LANGUAGE = "zxx"


def keep_words_whole(element: Any, names: Iterable[str] = ()) -> None:
    """Codes and dates (QR-06-01, 2026-02-09) and each of `names` (department names …, with
    a ☐/☑ box before them) under `element`: word joiners between their characters, a
    zero-width space beside them as the place to break instead. Idempotent."""
    pattern = names_pattern(names)
    t_tag, r_tag, sdt_tag = qn("w:t"), qn("w:r"), qn("w:sdt")
    for t in list(element.iter(t_tag)):
        value = t.text or ""
        # most text holds no code and no name (no span below): nothing to do, decided before
        # the walks up and around the tree
        if not may_keep(value, pattern):
            continue
        if any(True for _ in t.iterancestors(sdt_tag)):
            continue  # a form's content control: its text is what the clerk types over
        run = t.getparent()
        if run is None or run.tag != r_tag or len(run.findall(t_tag)) != 1 \
                or _is_kept(run):
            continue
        key = (etree.tostring(run), pattern)
        made = _SPLIT.get(key)
        if made is None:
            made = _SPLIT[key] = _split(run, value, pattern)
            if len(_SPLIT) > 4096:
                _SPLIT.clear()
        if not made:
            continue
        anchor = run
        for prototype in made:
            new = deepcopy(prototype)
            anchor.addnext(new)
            anchor = new
        run.getparent().remove(run)


# The runs a run is cut into, by the run's XML and the names pattern: the template's rows of
# department names are cut the same way in every document.
_SPLIT: dict[tuple[bytes, re.Pattern[str] | None], list[Any]] = {}


def _split(run: Any, value: str, pattern: re.Pattern[str] | None) -> list[Any]:
    """The runs (detached) that replace `run`, whose one w:t holds `value`; none when it stays
    as it is."""
    pieces = _pieces(value, pattern)
    if len(pieces) == 1 and not pieces[0][1]:
        if pieces[0][0] == value:
            return []
        pieces = [(pieces[0][0], False)]
    made = []
    for text, name in pieces:
        new = deepcopy(run)
        new_t = new.find(qn("w:t"))
        new_t.set(qn("xml:space"), "preserve")
        new_t.text = text
        if name:
            _mark_kept(new)
        made.append(new)
    return made


def keep_document_words_whole(document: Any, names: Iterable[str]) -> None:
    """`keep_words_whole` over the body and every header and footer of `document`."""
    names = list(names)
    elements = [document.element.body]
    for section in document.sections:
        for part in (section.header, section.footer, section.first_page_header,
                     section.first_page_footer, section.even_page_header,
                     section.even_page_footer):
            if not part.is_linked_to_previous:
                elements.append(part._element)
    for element in elements:
        keep_words_whole(element, names)


def _pieces(text: str, names: re.Pattern[str] | None) -> list[tuple[str, bool]]:
    """`text` cut into (text, is a name) parts: codes joined in place, names apart."""
    spans = [(m.start(), m.end(), False) for m in CODE.finditer(text) if "-" in m.group(0)]
    if names is not None:
        for m in names.finditer(text):
            if not any(s < m.end() and m.start() < e for s, e, _ in spans):
                spans.append((m.start(), m.end(), True))
    spans.sort()
    pieces: list[tuple[str, bool, bool]] = []  # (text, kept whole, is a name)
    position = 0
    for start, end, name in spans:
        if start > position:
            pieces.append((text[position:start], False, False))
        pieces.append((join_name(text[start:end]), True, name))
        position = end
    if position < len(text) or not pieces:
        pieces.append((text[position:], False, False))
    spaced = _with_break_opportunities([(t, kept) for t, kept, _ in pieces])
    merged: list[tuple[str, bool]] = []
    for (piece, _), (_, _, name) in zip(spaced, pieces, strict=True):
        if not piece:
            continue
        if merged and not name and not merged[-1][1]:
            merged[-1] = (merged[-1][0] + piece, False)
        else:
            merged.append((piece, name))
    return merged or [("", False)]


def _with_break_opportunities(pieces: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """A zero-width space before each kept piece (unless an opening bracket or a space holds
    it) and after the closing punctuation that follows it (、 ） never start a line)."""
    result = list(pieces)
    for index, (_, kept) in enumerate(pieces):
        if not kept:
            continue
        if index > 0 and not result[index - 1][1]:
            before = result[index - 1][0]
            if before and not before[-1].isspace() and before[-1] not in _OPENING \
                    and before[-1] != BREAK_HERE:
                result[index - 1] = (before + BREAK_HERE, False)
        if index + 1 < len(result) and not result[index + 1][1]:
            after = result[index + 1][0]
            closing = len(after) - len(after.lstrip(_CLOSING))
            if closing < len(after) and not after[closing].isspace() \
                    and after[closing] != BREAK_HERE:
                result[index + 1] = (after[:closing] + BREAK_HERE + after[closing:], False)
    return result


def _is_kept(run: Any) -> bool:
    lang = run.find(f"{qn('w:rPr')}/{qn('w:lang')}")
    return lang is not None and lang.get(qn("w:eastAsia")) == NO_LANGUAGE


_AFTER_LANG = tuple(qn(tag) for tag in ("w:eastAsianLayout", "w:specVanish", "w:oMath"))


def _mark_kept(run: Any) -> None:
    # python-docx's get_or_add_rPr / insert_element_before, without their schema lookups
    r_pr = run.find(qn("w:rPr"))
    if r_pr is None:
        r_pr = ooxml.new_element("w:rPr")
        run.insert(0, r_pr)
    lang = r_pr.find(qn("w:lang"))
    if lang is None:
        lang = ooxml.new_element("w:lang")
        successor = next((r_pr.find(tag) for tag in _AFTER_LANG
                          if r_pr.find(tag) is not None), None)
        if successor is not None:
            successor.addprevious(lang)
        else:
            r_pr.append(lang)
    lang.set(qn("w:eastAsia"), NO_LANGUAGE)
