"""Render stage: one subpackage per output. A renderer is a function of the resolved set to
files in memory; it never re-reads sources and never decides document-control questions."""
