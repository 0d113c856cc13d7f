"""Wenkong (文控): docs-as-code document control for ISO 9001 / IATF 16949 quality systems.

Pipeline: sources (YAML) -> load -> model -> resolve -> render (docx | forms | site) -> write.
"""

__version__ = "0.1.0"
