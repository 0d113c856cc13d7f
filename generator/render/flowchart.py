"""Render stage: a process table (`ProcessR`) drawn as a flowchart with graphviz.

Shared by the Word renderer (PNG at print resolution) and the site (SVG). Both ask for the same
drawing, so the rendered bytes are cached by DOT text. The drawing is a pure function of the
resolved process and the company fonts: the DOT text is deterministic, and the SVG is cleaned of
the comments graphviz adds (its version string would make output differ between machines).

Labels are graphviz HTML-like labels built from escaped text, never raw user text, so quotes,
backslashes and `<script>` in a step name stay text in the DOT, the PNG and the SVG.
"""

from __future__ import annotations

import html
import logging
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

from generator.docset import ProcessR, StepR, plain
from generator.errors import WenkongError
from generator.i18n import _
from generator.model import Settings

# Print geometry: the A4 text block is 165 mm wide (25 + 20 mm margins); 16 cm leaves room for
# the table cell or frame around the picture. graphviz `size` only ever shrinks a drawing.
MAX_WIDTH_CM = 16.0
MAX_HEIGHT_CM = 24.0  # A4 text block height minus header; longer flows shrink to one page
DEFAULT_DPI = 200

# Wrap widths in display columns (a CJK character counts 2): ~11 characters in a box; diamonds
# need narrower text because a diamond is about twice as wide as its text.
BOX_COLUMNS = 24
DIAMOND_COLUMNS = 14
OWNER_COLUMNS = 24

NAME_POINTS = 10.5  # 五号, the body size of Chinese documents
OWNER_POINTS = 8
EDGE_POINTS = 9
TIMEOUT_SECONDS = 60

Format = Literal["png", "svg"]

# Kinsoku shori: a line never starts with closing punctuation nor ends with opening punctuation.
_CLOSING = set("，。、；：！？）」』》〉】〕”’…,.;:!?)]}%")
_OPENING = set("（「『《〈【〔“‘([{")
# Runs of Latin letters, digits and code punctuation (QR-15-01, 8D, 24h) are never broken.
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_./:#+]*")
# Characters XML 1.0 forbids (graphviz parses HTML labels as XML) and other invisible controls.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


# --- text ----------------------------------------------------------------------------------


def columns(text: str) -> int:
    """Display width: wide (CJK) characters count 2, others 1."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@lru_cache(maxsize=1)
def _segmenter() -> Callable[[str], Iterable[str]]:
    import jieba  # slow to import (about 1 s to load its dictionary): only when wrapping

    jieba.setLogLevel(logging.WARNING)  # it logs "Building prefix dict" at INFO
    return lambda text: jieba.cut(text, HMM=False)  # HMM=False: dictionary words only, stable


def forget_segmenter() -> None:
    """Drop jieba's dictionary (about 70 MB) from a forked process that inherited it but will
    seldom cut words (a Word worker: its flowcharts were drawn ahead, `flowchart_dot` remembers
    their DOT text): every process counts the pages it inherits as its own resident memory.
    jieba loads it again on first use."""
    jieba = sys.modules.get("jieba")
    tokenizer = getattr(jieba, "dt", None)
    if tokenizer is None or not getattr(tokenizer, "initialized", False):
        return
    with tokenizer.lock:
        tokenizer.FREQ, tokenizer.total, tokenizer.initialized = {}, 0, False


def _words(text: str) -> list[str]:
    """Chinese words (jieba), so that 计划 is not split over two lines as 计 / 划."""
    return [word for word in _segmenter()(text) if word] if text else []


def _tokens(text: str) -> list[str]:
    """Split text into pieces a line may break between."""
    pieces: list[str] = []
    i = 0
    for match in _WORD.finditer(text):
        pieces.extend(_words(text[i:match.start()]))
        pieces.append(match.group())
        i = match.end()
    pieces.extend(_words(text[i:]))
    # Glue punctuation to its neighbour so that no line starts with "，" or ends with "《".
    glued: list[str] = []
    pending = ""
    for piece in pieces:
        if piece in _OPENING:
            pending += piece
            continue
        piece = pending + piece
        pending = ""
        if glued and piece[0] in _CLOSING and not glued[-1].isspace():
            glued[-1] += piece
        else:
            glued.append(piece)
    if pending:
        glued.append(pending)
    return glued


def _fill(tokens: list[str], limit: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for token in tokens:
        if token.isspace():
            if line:
                line += " "
            continue
        if line and columns(line + token) > limit:
            lines.append(line.rstrip())
            line = ""
        while columns(token) > limit:  # a single word wider than a line: cut it
            cut = 1
            while cut < len(token) and columns(token[: cut + 1]) <= limit:
                cut += 1
            lines.append(token[:cut])
            token = token[cut:]
        line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines


def wrap(text: str, limit: int) -> list[str]:
    """Wrap text without spaces (Chinese) into lines of at most `limit` display columns.

    Lines are balanced: 13 characters at a limit of 11 give 7 + 6, not 11 + 2, so boxes stay
    narrow and even. Explicit newlines are kept as breaks. Remembered: a set's charts repeat
    the same step names, owners and branch labels (是/否) many times.
    """
    return list(_wrapped(text, limit))


@lru_cache(maxsize=16384)
def _wrapped(text: str, limit: int) -> tuple[str, ...]:
    lines: list[str] = []
    for paragraph in _CONTROL.sub("", text).replace("\r", "").split("\n"):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        tokens = _tokens(paragraph)
        greedy = _fill(tokens, limit)
        best = greedy
        # The narrowest width that needs no more lines than a greedy fill at the limit; kept
        # only when it narrows the box by more than a character, since the greedy breaks tend
        # to fall after punctuation (计划、| PFMEA), which reads better than 控制 | 计划、.
        widest = max((columns(line) for line in greedy), default=0)
        for width in range(-(-columns(paragraph) // max(len(greedy), 1)), limit):
            if len(greedy) < 2:
                break
            balanced = _fill(tokens, width)
            if len(balanced) <= len(greedy):
                if widest - max(columns(line) for line in balanced) > 2:
                    best = balanced
                break
        lines.extend(best)
    return tuple(lines)


def html_text(text: str) -> str:
    """Text escaped for a graphviz HTML-like label (an XML fragment).

    graphviz still expands `\\N` (node name), `\\G` … inside HTML labels, after decoding
    entities, so a backslash is doubled: `\\\\` is its escape for one backslash.
    """
    return (text.replace("\\", "\\\\").replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;"))


def dot_string(text: str) -> str:
    """A double-quoted DOT string. Backslashes are doubled: graphviz reads `\\N`, `\\n` … in
    escString attributes, and a user's backslash must stay a backslash."""
    clean = _CONTROL.sub("", text).replace("\r", " ").replace("\n", " ")
    return '"' + clean.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- DOT -----------------------------------------------------------------------------------


def _node_label(step: StepR) -> str:
    limit = DIAMOND_COLUMNS if step.is_decision else BOX_COLUMNS
    label = step.label or ""
    lines = wrap(f"{label} {plain(step.name)}" if label else plain(step.name), limit)
    if label and lines and lines[0].startswith(f"{label} "):
        # The step label is bold: readers match it with the 工作流程 column of the table.
        # A no-break space: SVG viewers drop an ordinary space that starts a text run.
        rest = html_text(lines[0][len(label) + 1:])
        first = f"<b>{html_text(label)}</b>&#160;{rest}"
    else:
        first = html_text(lines[0]) if lines else html_text(label)
    parts = [first, *(html_text(line) for line in lines[1:])]
    # The name takes the node's fontsize: graphviz reads <font point-size> as a whole number.
    label = "<br/>".join(parts)
    owners = "、".join(step.owner_names)
    if owners:
        owner_lines = wrap(owners, DIAMOND_COLUMNS if step.is_decision else OWNER_COLUMNS)
        small = (f'<font point-size="{OWNER_POINTS}" color="#404040">'
                 + "<br/>".join(html_text(line) for line in owner_lines) + "</font>")
        # Two table rows rather than a <br/>: after a line break graphviz spaces the smaller
        # owner line so tightly that browsers draw it into the name above (seen in Chromium).
        label = ('<table border="0" cellborder="0" cellspacing="0" cellpadding="0">'
                 f'<tr><td>{label}</td></tr><tr><td cellpadding="1">{small}</td></tr></table>')
    return f"<{label}>"


def _node_style(step: StepR) -> str:
    if step.is_decision:
        return 'shape=diamond, margin="0.06,0.06"'
    if step.is_start or step.is_end:
        return 'shape=box, style="rounded,filled", fillcolor="#eeeeee"'
    return "shape=box"


def node_names(process: ProcessR) -> dict[str, str]:
    """DOT node name of each step, by step id: its label when every step has a label of its
    own (A, B … AA: a reader's tooltip in the SVG), else its id (labels may repeat or lack)."""
    labels = [step.label for step in process.steps]
    if all(labels) and len(set(labels)) == len(labels):
        return {step.id: str(step.label) for step in process.steps}
    return {step.id: step.id for step in process.steps}


def _edges(process: ProcessR) -> Iterable[str]:
    position = {step.id: i for i, step in enumerate(process.steps)}
    letter = node_names(process)
    for i, step in enumerate(process.steps):
        exits: list[tuple[str, str | None]] = [(b.to, b.label) for b in step.branches]
        if step.next is not None:
            exits.append((step.next, None))
        for target, text in exits:
            attributes: list[str] = []
            if text is not None:
                label = "<br/>".join(html_text(line) for line in wrap(text, DIAMOND_COLUMNS))
                attributes.append(f"label=<{label}>")
            if position[target] <= i:
                # A loop back (不通过 → 修改): it must not pull the earlier step below this one,
                # so the ranks keep following the table order.
                attributes.append("constraint=false")
            elif position[target] == i + 1:
                attributes.append("weight=8")  # keep the main line straight
            suffix = f" [{', '.join(attributes)}]" if attributes else ""
            yield f"  {dot_string(letter[step.id])} -> {dot_string(letter[target])}{suffix};"


# DOT text by process, for processes drawn before: a forked worker finds the text of the charts
# drawn ahead without cutting words again (`forget_segmenter`). Keyed by identity (the objects
# are kept, so an id is never reused while its entry lives); bounded for long `serve` runs.
_DOTS: dict[int, tuple[ProcessR, Settings, str]] = {}
_DOTS_KEPT = 20_000


def flowchart_dot(process: ProcessR, settings: Settings) -> str:
    """The flowchart of a process table as DOT source (deterministic for the same input)."""
    found = _DOTS.get(id(process))
    if found is not None and found[0] is process and found[1] is settings:
        return found[2]
    if len(_DOTS) >= _DOTS_KEPT:
        _DOTS.clear()
    dot = _flowchart_dot(process, settings)
    _DOTS[id(process)] = (process, settings, dot)
    return dot


def _flowchart_dot(process: ProcessR, settings: Settings) -> str:
    font = settings.fonts.heading_fallback or settings.fonts.body_fallback
    # Rounded down: graphviz rounds pixels up, and 16 cm must stay within 16 cm.
    width = math.floor(MAX_WIDTH_CM / 2.54 * 100) / 100
    height = math.floor(MAX_HEIGHT_CM / 2.54 * 100) / 100
    lines = [
        f"digraph {dot_string(process.id)} {{",
        f"  graph [id={dot_string('flow-' + process.id)}, rankdir=TB, "
        f'size="{width:.2f},{height:.2f}", nodesep=0.3, ranksep=0.22, '
        f'pad=0.08, bgcolor=white, fontname={dot_string(font)}];',
        f"  node [fontname={dot_string(font)}, fontsize={NAME_POINTS}, shape=box, "
        f'margin="0.12,0.04", height=0.36, penwidth=1];',
        f"  edge [fontname={dot_string(font)}, fontsize={EDGE_POINTS}, arrowsize=0.7, "
        f"penwidth=1];",
    ]
    names = node_names(process)
    for step in process.steps:
        # Node names are quoted: unquoted, a letter run could spell a DOT keyword (NODE, EDGE)
        # in a very long table.
        lines.append(f"  {dot_string(names[step.id])} [label={_node_label(step)}, "
                     f"{_node_style(step)}];")
    lines.extend(_edges(process))
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- rendering -----------------------------------------------------------------------------


def _dot_binary() -> str:
    found = shutil.which("dot")
    if found is None:
        raise WenkongError(_("未安装 graphviz：请运行 apt-get install graphviz"
                             "（流程图由其中的 dot 程序绘制）"))
    return found


_SVG_COMMENT = re.compile(r"<!--.*?-->\s*", re.S)
_SVG_DOCTYPE = re.compile(r"<!DOCTYPE[^>]*>\s*", re.S)
_SVG_FONT = re.compile(r'font-family="[^"]*"')


def _clean_svg(svg: bytes, fonts: tuple[str, ...]) -> bytes:
    text = svg.decode("utf-8")
    text = _SVG_COMMENT.sub("", text)  # "Generated by graphviz version …", node names
    text = _SVG_DOCTYPE.sub("", text)  # refers to a DTD on the network; browsers ignore it
    if fonts:
        # The browser may lack the Noto font the layout used: give it CJK fallbacks. Every
        # label of a chart is set in the one chart font, so every font-family is replaced.
        family = html.escape(",".join(fonts), quote=True)
        text = _SVG_FONT.sub(f'font-family="{family}"', text)
    return text.encode("utf-8")


def _png_with_dpi(png: bytes, dpi: int) -> bytes:
    """Set the PNG's pHYs chunk so Word (and python-docx's add_picture) sizes the picture at
    its print size, not at 72 or 96 dpi."""
    signature, rest = png[:8], png[8:]
    chunks: list[bytes] = []
    position = 0
    while position < len(rest):
        (length,) = struct.unpack(">I", rest[position:position + 4])
        kind = rest[position + 4:position + 8]
        end = position + 12 + length
        if kind != b"pHYs":
            chunks.append(rest[position:end])
        if kind == b"IHDR":
            per_metre = round(dpi / 0.0254)
            body = b"pHYs" + struct.pack(">IIB", per_metre, per_metre, 1)
            chunks.append(struct.pack(">I", 9) + body
                          + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF))
        position = end
    return signature + b"".join(chunks)


@lru_cache(maxsize=256)
def render_dot(dot: str, fmt: Format, dpi: int = DEFAULT_DPI,
               fonts: tuple[str, ...] = ()) -> bytes:
    """Run graphviz on DOT text. Cached: the site and the Word documents draw the same charts."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"unknown flowchart format {fmt!r}")
    command = [_dot_binary(), f"-T{fmt}"]
    if fmt == "png":
        command.append(f"-Gdpi={dpi}")
    try:
        done = subprocess.run(command, input=dot.encode("utf-8"), capture_output=True,
                              timeout=TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired as error:
        raise WenkongError(_("graphviz 画流程图超过 {seconds} 秒，已停止").format(
            seconds=TIMEOUT_SECONDS)) from error
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}"
        raise WenkongError(_("graphviz 无法画出流程图：{message}").format(message=message))
    if fmt == "svg":
        return _clean_svg(done.stdout, fonts)
    return _png_with_dpi(done.stdout, dpi)


def render_flowchart(process: ProcessR, settings: Settings, fmt: Format,
                     dpi: int = DEFAULT_DPI) -> bytes:
    """The flowchart as PNG (print resolution, for Word) or SVG (for the site).

    Same input, same bytes. Raises WenkongError when graphviz is missing or fails.
    """
    fonts = tuple(dict.fromkeys(f for f in (
        settings.fonts.heading_fallback, settings.fonts.body_fallback, settings.fonts.heading,
        "sans-serif") if f))
    return render_dot(flowchart_dot(process, settings), fmt, dpi, fonts)


DOTS_PER_RUN = 4  # fewer distinct charts than this per core: one graphviz run is enough


def draw_pngs(dots: Sequence[str], dpi: int = DEFAULT_DPI,
              timeout: float = 300) -> dict[str, bytes]:
    """Every distinct DOT text drawn as PNG, by that text, the bytes `render_dot` gives: in
    one `dot -O` run per core side by side (a multi-graph file: dot's start-up and font
    loading paid once per run, each graph laid out on its own). PNG only: in SVG, graphviz
    names the elements of a later graph of a run as pages (`page0,1_…`). Empty when graphviz
    is missing or any run fails: callers then draw one by one and report graphviz's error."""
    fmt = "png"
    distinct = list(dict.fromkeys(dots))
    program = shutil.which("dot")
    if not distinct or program is None:
        return {}
    runs = max(1, min(os.cpu_count() or 1, len(distinct) // DOTS_PER_RUN))
    groups = [distinct[n::runs] for n in range(runs)]  # interleaved: long and short mixed
    found: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="wenkong-dot-") as folder:
        started = []
        for n, group in enumerate(groups):
            source = Path(folder) / f"charts{n}.gv"
            source.write_text("\n".join(group), encoding="utf-8")
            command = [program, f"-T{fmt}", f"-Gdpi={dpi}", "-O", str(source)]
            started.append((group, source, subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)))
        deadline = time.monotonic() + timeout
        failed = False
        for group, source, process in started:
            try:
                failed |= process.wait(timeout=max(0.0, deadline - time.monotonic())) != 0
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                failed = True
            if failed:
                continue
            for n, dot in enumerate(group):
                # dot -O names the outputs charts0.gv.png, charts0.gv.2.png, charts0.gv.3.png …
                path = Path(f"{source}.{fmt}") if n == 0 else Path(f"{source}.{n + 1}.{fmt}")
                if not path.is_file():
                    failed = True
                    break
                found[dot] = _png_with_dpi(path.read_bytes(), dpi)
    return {} if failed else found


@cache
def graphviz_version() -> str:
    """`dot -V` (graphviz draws the flowcharts: another version, other drawings), for the
    build cache's keys of anything that holds a flowchart; "-" without graphviz."""
    dot = shutil.which("dot")
    if dot is None:
        return "-"
    try:
        done = subprocess.run([dot, "-V"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return "-"
    return (done.stdout + done.stderr).decode("utf-8", "replace").strip()
