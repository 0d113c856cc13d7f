"""Control stage: document control beside the pipeline (release, lock, diff, review, redline).

It edits sources (the YAML files and wenkong.lock), reuses load/model/resolve, and never the
renderers' internals: a rebuild of an old version calls a renderer's public entry point only.
"""
