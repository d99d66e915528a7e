"""Exceptions the engine raises to its callers.

Every failure a user can cause (bad media, no face, wrong checkpoint) is an ``EngineError`` with a
one-line message, so the CLI and the Celery tasks can report it without a traceback.
"""
from __future__ import annotations


class EngineError(Exception):
    """Base class: a failure with a message meant for the user."""


class MediaError(EngineError):
    """A video or image sequence cannot be read or written (corrupt, truncated, unsupported, empty)."""


class NoFaceError(EngineError):
    """No face was found where one is required (e.g. a single image given to be aged)."""


class CheckpointError(EngineError):
    """A checkpoint is missing, corrupt, or belongs to another performer or model configuration."""


class TrainingDataError(EngineError):
    """The reference material cannot train a model (too few faces, missing age labels)."""


class Cancelled(EngineError):
    """The caller's cancellation check asked the engine to stop; partial outputs were removed."""


class IdentityMismatch(EngineError):
    """The face in a plate is not the performer's: the consent the job runs under does not cover that person."""
