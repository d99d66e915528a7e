"""Moving files between Django's storage (filesystem or S3) and the worker's local disk, where the engine
works. The engine only ever sees local paths."""
from __future__ import annotations

import shutil
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db.models.fields.files import FieldFile

from likeness.common.hashing import sha256_stream


def work_dir(*parts: str) -> Path:
    path = Path(settings.ENGINE_WORK_DIR).joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def local_path(field: FieldFile, *, cache_dir: Path) -> Path:
    """A local path for a stored file: the file itself on a filesystem storage, a downloaded copy otherwise."""
    try:
        return Path(field.path)
    except NotImplementedError:  # remote storage (S3): download once into the worker's cache
        target = cache_dir / Path(field.name or "").name
        if not target.exists():
            part = target.with_suffix(target.suffix + ".part")
            with field.open("rb") as src, open(part, "wb") as dst:
                shutil.copyfileobj(src, dst, 1024 * 1024)
            part.replace(target)
        return target


def store_local_file(field: FieldFile, path: Path, name: str) -> str:
    """Save a local file into `field` through the storage API; returns its SHA-256."""
    with open(path, "rb") as handle:
        digest = sha256_stream(handle)
        field.save(name, File(handle, name=name), save=False)
    return digest


def preview_frame_path(session_id: str) -> Path:
    """Where a live preview's latest side-by-side JPEG is: the worker writes it (atomically, by rename) and the
    web process serves it. PREVIEW_DIR is shared by both (one host, or a shared volume)."""
    return Path(settings.PREVIEW_DIR) / str(session_id) / "frame.jpg"
