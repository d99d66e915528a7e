"""Likeness engine: per-performer age models, face pipeline, media I/O, evaluation and live preview.

Framework-free on purpose: the platform imports this package lazily from its workers, and studios
can run it on its own from the command line (``python -m engine --help``).
"""
from __future__ import annotations

__version__ = "0.2.3"  # 0.2.3: final trains at batch 64; decode, composite and encode overlap; same checkpoint format
ENGINE_VERSION = __version__
