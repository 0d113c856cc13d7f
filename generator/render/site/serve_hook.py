"""Render stage (site), `wenkong serve` only: an mkdocs hook that applies the site rules.

`mkdocs serve` loads the configuration itself on every rebuild; this hook gives it the same
rules `wenkong build` applies (no web font, pruned navigation, required Markdown extensions).
"""

from __future__ import annotations

from typing import Any

from generator.render.site.engine import apply_site_rules


def on_config(config: Any) -> Any:
    return apply_site_rules(config)
