"""Is the face in a plate or a live preview the performer whose consent the job runs under? The performer's
faces come from the reference footage their model was trained on; the engine compares each face it tracks with
them (engine.face.identity) and leaves anyone else's face as filmed. dlib loads when a check runs, on workers."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from likeness.jobs.logbook import job_log
from likeness.jobs.models import Job, LikenessModel
from likeness.jobs.storage import local_path

# The faces found in a set of reference files (by their SHA-256), kept for this worker's later jobs on the same
# footage: finding them decodes and embeds every file (about a second for the demo's footage on a CPU).
_REFERENCE_FACES: dict[tuple[str, ...], list[Any]] = {}


def performer_faces_of(model: LikenessModel, *, cache: Path, log_to: Job | None = None) -> Any:
    """The performer's reference faces (engine.face.identity.PerformerFaces), from the footage the model was
    trained on or, for a model that lists none with a file, all of the performer's footage. IdentityMismatch
    when that footage holds no face to compare with."""
    from engine.errors import IdentityMismatch
    from engine.face.identity import PerformerFaces, reference_faces

    footage = [m for m in model.reference_materials.all() if m.file]
    if not footage:
        footage = [m for m in model.performer.reference_materials.all() if m.file]
    key = tuple(sorted(m.sha256 for m in footage))
    faces = _REFERENCE_FACES.get(key)
    if faces is None:
        faces = reference_faces([str(local_path(m.file, cache_dir=cache)) for m in footage])
        if len(_REFERENCE_FACES) >= 64:
            _REFERENCE_FACES.clear()
        _REFERENCE_FACES[key] = faces
    if not faces:
        raise IdentityMismatch(f"no face of the performer was found in their reference footage ({len(footage)} "
                               "file(s)), so the plate's face cannot be checked against it")
    if log_to is not None:
        job_log(log_to, f"checking the plate's face against {len(faces)} face(s) from {len(footage)} reference "
                        "file(s)")
    return PerformerFaces(faces)
