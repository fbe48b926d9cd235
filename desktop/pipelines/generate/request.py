"""``style.generate``, the front doors' side: the payload's checks, a style's default name, and
queuing the job (the only module of this slice the window and the command line import)."""

from __future__ import annotations

import json
import os
import random
from typing import Any

from desktop.errors import UserError
from desktop.library.writing import MAX_NAME
from desktop.pipelines.payload_checks import is_int
from desktop.text import clean_name

JOB_TYPE = "style.generate"
BACKENDS = ("local", "fal")
MAX_PREVIEWS = 8


def default_name(description: str) -> str:
    """A style's name made from its description: its first words, without control or format
    characters (a terminal escape, a right-to-left override); "Untitled style" if none are left."""
    words = clean_name(description, limit=len(description)).split(" ")
    name = " ".join(words[:8])
    if len(name) > 48:
        name = name[:45].rstrip(" ,;") + "..."
    elif len(words) > 8:
        name = name.rstrip(" ,;") + "..."
    return name[:1].upper() + name[1:] if name else "Untitled style"


KNOWN_KEYS = ("description", "name", "backend", "previews", "size", "seed", "reference", "strength")
MAX_DESCRIPTION = 2000
MAX_SEED = 2**31 - 1
SIZES = (64, 4096)


def validate_payload(payload: dict[str, Any]) -> None:
    """The whole ``style.generate`` payload, checked at enqueue: one sentence per refusal.

    The reference is checked by shape here (``uploads/<name>``: this check does not know the
    data folder); ``enqueue_style`` and the handler also resolve it by real path."""
    from desktop.imaging.uploads import check_reference_name

    unknown = sorted(str(k) for k in payload if k not in KNOWN_KEYS)
    if unknown:
        raise UserError(
            f"A style.generate payload has no field '{unknown[0][:40]}'; the fields are: {', '.join(KNOWN_KEYS)}."
        )
    description = payload.get("description")
    if not isinstance(description, str) or not description.strip():
        raise UserError("The description is empty; describe the style in a few words, like 'warm film grain'.")
    if len(description) > MAX_DESCRIPTION:
        raise UserError(f"The description is {len(description)} characters long; keep it under {MAX_DESCRIPTION}.")
    name = payload.get("name")
    if name is not None and not isinstance(name, str):
        raise UserError("The name must be text, like \"Warm film\", or left out.")
    if name is not None and len(name) > MAX_NAME:
        raise UserError(f"The name is {len(name)} characters long; keep it under {MAX_NAME}.")
    backend = payload.get("backend", "local")
    if not isinstance(backend, str) or backend not in BACKENDS:
        shown = backend if isinstance(backend, str) else json.dumps(backend)[:40]
        raise UserError(f"There is no generator '{shown[:40]}'; use 'local' or 'fal'.")
    previews = payload.get("previews", 4)
    if not is_int(previews) or not 1 <= previews <= MAX_PREVIEWS:
        raise UserError("The number of previews must be a whole number from 1 to 8.")
    size = payload.get("size", 768)
    if not is_int(size) or not SIZES[0] <= size <= SIZES[1]:
        raise UserError("The preview size must be a whole number of pixels from 64 to 4096.")
    seed = payload.get("seed")
    if seed is not None and (not is_int(seed) or not 0 <= seed <= MAX_SEED):
        raise UserError(f"The seed must be a whole number from 0 to {MAX_SEED}, or left out.")
    strength = payload.get("strength")
    if strength is not None and (not is_int(strength) or not 0 <= strength <= 100):
        raise UserError("The strength must be a whole number from 0 to 100 (per cent), or left out.")
    reference = payload.get("reference")
    if reference is not None:
        check_reference_name(reference)


def enqueue_style(
    runtime: Any,
    description: str,
    *,
    reference: str | os.PathLike[str] | bytes | None = None,
    name: str | None = None,
    backend: str | None = None,
    previews: int | None = None,
    size: int | None = None,
    seed: int | None = None,
    strength: int | None = None,
) -> int:
    """Check and copy the reference into the library, then queue the job; returns its id.

    Blocking (decodes the image, copies the file): call it off the GUI thread. Raises
    UserError, with nothing written and no job made, when the input is refused."""
    from desktop.config import fal_key
    from desktop.imaging.uploads import reference_name, resolve_reference, store_upload

    settings = runtime.settings
    payload: dict[str, Any] = {
        "description": description.strip(),
        # cleaned at the door (control and format characters out); a name too long is refused below
        "name": clean_name(name or "", limit=len(name or "")) or default_name(description),
        "backend": backend or settings.generator,
        "previews": previews if previews is not None else settings.preview_count,
        "size": size if size is not None else settings.preview_size,
        "seed": seed if seed is not None else random.randrange(1, 2**31),
        "reference": None,
    }
    if strength is not None:
        payload["strength"] = strength
    validate_payload(payload)
    if payload["backend"] == "fal" and not fal_key():
        raise UserError(
            "No fal key is set; add it in Settings or set the FAL_KEY environment variable, "
            "or use the local generator."
        )
    if reference is not None:
        paths = runtime.paths
        stored = store_upload(reference, paths.uploads_dir)
        payload["reference"] = reference_name(stored)
        resolve_reference(payload["reference"], home=paths.library, uploads_dir=paths.uploads_dir)
    return runtime.engine.enqueue(JOB_TYPE, payload)
