"""Render stage (Word): flowchart pictures for the procedures, drawn in one graphviz run a core.

`render_flowchart` (generator/render/flowchart.py) starts one `dot` process per chart; most of
that time is dot's start-up and font loading. A build draws every chart of the set at once
(`dot -O` writes one PNG per graph of a multi-graph file) and looks them up by DOT text; the
bytes are the same as `render_flowchart`'s, which stays the fallback for anything missed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from generator.docset import ProcessR
from generator.model import Settings

TIMEOUT_SECONDS = 300


def draw_each(processes: Iterable[ProcessR], settings: Settings,
              dpi: int) -> list[bytes | None]:
    """PNG of each process (in order), drawn in one graphviz run per core; None where
    graphviz is missing or fails: callers then draw that one alone and report graphviz's error
    there."""
    from generator.render.flowchart import draw_pngs, flowchart_dot

    dots = [flowchart_dot(p, settings) for p in processes]
    # one `dot` run per core; empty when it fails
    drawn = draw_pngs(dots, dpi, timeout=TIMEOUT_SECONDS)
    return [drawn.get(dot) for dot in dots]


def flowchart_drawer(settings: Settings, dpi: int) -> Callable[[ProcessR], bytes] | None:
    """`process → PNG bytes`, one graphviz run each (the charts drawn ahead are looked up by
    the caller: procedure._flowchart)."""
    try:
        from generator.render.flowchart import render_flowchart
    except ImportError:
        return None

    def draw(process: ProcessR) -> bytes:
        return render_flowchart(process, settings, "png", dpi)

    return draw
