"""``style.generate``, the front doors' side: the payload (``GeneratePayload``), a style's default name, and
queuing the job (the only module of this slice the window and the command line import)."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from msgspec import Meta

from desktop.errors import UserError
from desktop.library.writing import MAX_NAME
from desktop.pipelines.payload_model import Payload, Refusal
from desktop.text import clean_name, name_from_words

JOB_TYPE = "style.generate"
BACKENDS = ("local", "fal")
MAX_PREVIEWS = 8


def default_name(description: str) -> str:
    """A style's name made from its description (``desktop.text.name_from_words``: its first
    clause, at most 40 characters, cut at a word); "Untitled style" if no word is left."""
    return name_from_words(description) or "Untitled style"


MAX_DESCRIPTION = 2000
MAX_SEED = 2**31 - 1
SIZES = (64, 4096)


def _description_refused(value: object) -> str:
    if isinstance(value, str) and value.strip():
        return f"The description is {len(value)} characters long; keep it under {MAX_DESCRIPTION}."
    return "The description is empty; describe the style in a few words, like 'warm film grain'."


def _name_refused(value: object) -> str:
    if isinstance(value, str):
        return f"The name is {len(value)} characters long; keep it under {MAX_NAME}."
    return "The name must be text, like \"Warm film\", or left out."


def _backend_refused(value: object) -> str:
    shown = value if isinstance(value, str) else json.dumps(value)[:40]
    return f"There is no generator '{shown[:40]}'; use 'local' or 'fal'."


def _reference_refused(value: object) -> str:
    from desktop.imaging.uploads import check_reference_name

    try:
        check_reference_name(value)
    except UserError as exc:
        return str(exc)
    return "The reference must name an image in the library's uploads folder, or be left out."


def _original_refused(value: object) -> str:
    return "The original " + _reference_refused(value).removeprefix("The reference ")


ORIGINAL_WITHOUT_EDIT = (
    "An original photo goes with its edited version: give the edited photo as the reference "
    "(--reference EDITED --original ORIGINAL)."
)
EDIT_NOT_FAL = "A style learned from an edit is made by the local generator; leave the generator at 'local'."
EDIT_DESCRIPTION = "The look of {name}"  # generators.local.EDIT_NAMED reads it as "no words"


class GeneratePayload(Payload):
    """The ``style.generate`` payload. The reference is checked by shape at the door
    (``uploads/<name>``: the model does not know the data folder); ``enqueue_style`` and the
    handler also resolve it by real path (rows of older versions hold an absolute path)."""

    JOB_TYPE: ClassVar[str] = JOB_TYPE
    REFUSALS: ClassVar[dict[str, Refusal]] = {
        "description": _description_refused,
        "name": _name_refused,
        "backend": _backend_refused,
        "previews": f"The number of previews must be a whole number from 1 to {MAX_PREVIEWS}.",
        "size": f"The preview size must be a whole number of pixels from {SIZES[0]} to {SIZES[1]}.",
        "seed": f"The seed must be a whole number from 0 to {MAX_SEED}, or left out.",
        "strength": "The strength must be a whole number from 0 to 100 (per cent), or left out.",
        "reference": _reference_refused,
        "original": _original_refused,
    }

    description: Annotated[str, Meta(max_length=MAX_DESCRIPTION)]
    name: Annotated[str, Meta(max_length=MAX_NAME)] | None = None
    backend: Literal["local", "fal"] = "local"
    previews: Annotated[int, Meta(ge=1, le=MAX_PREVIEWS)] = 4
    size: Annotated[int, Meta(ge=SIZES[0], le=SIZES[1])] = 768
    seed: Annotated[int, Meta(ge=0, le=MAX_SEED)] | None = None
    reference: str | None = None
    strength: Annotated[int, Meta(ge=0, le=100)] | None = None
    # the photo as it was before the edit that ``reference`` is: the style learns that edit
    original: str | None = None

    def check(self) -> None:
        if not self.description.strip():
            raise UserError(_description_refused(self.description))
        if self.original is not None and self.reference is None:
            raise UserError(ORIGINAL_WITHOUT_EDIT)
        if self.original is not None and self.backend != "local":
            raise UserError(EDIT_NOT_FAL)

    def check_at_door(self) -> None:
        from desktop.imaging.uploads import check_reference_name

        if self.reference is not None:
            check_reference_name(self.reference)
        if self.original is not None:
            try:
                check_reference_name(self.original)
            except UserError:
                raise UserError(_original_refused(self.original)) from None


def enqueue_style(
    runtime: Any,
    description: str,
    *,
    reference: str | os.PathLike[str] | bytes | None = None,
    original: str | os.PathLike[str] | bytes | None = None,
    name: str | None = None,
    backend: str | None = None,
    previews: int | None = None,
    size: int | None = None,
    seed: int | None = None,
    strength: int | None = None,
) -> int:
    """Check and copy the reference (and the original, for a style learned from an edit: the
    reference is then the edited photo) into the library, then queue the job; returns its id.

    Blocking (decodes the images, copies the files): call it off the GUI thread. Raises
    UserError, with nothing written and no job made, when the input is refused."""
    from desktop.config import fal_key
    from desktop.imaging.uploads import reference_name, resolve_reference, store_upload

    settings = runtime.settings
    if original is not None:
        if reference is None:
            raise UserError(ORIGINAL_WITHOUT_EDIT)
        if backend not in (None, "local"):
            raise UserError(EDIT_NOT_FAL)
        backend = "local"  # whatever the setting: the look is learned here
        if not description.strip():
            description = EDIT_DESCRIPTION.format(name=_photo_name(reference))
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
    GeneratePayload.at_door(payload)
    if payload["backend"] == "fal" and not fal_key():
        raise UserError(
            "No fal key is set; add it in Settings or set the FAL_KEY environment variable, "
            "or use the local generator."
        )
    paths = runtime.paths
    if original is not None:  # refused before the edited photo is stored: nothing half-written
        from desktop.imaging.intake import load_image
        from desktop.imaging.uploads import CHECK_DRAFT

        load_image(original, draft_size=CHECK_DRAFT)
    for key, photo in (("reference", reference), ("original", original)):
        if photo is not None:
            payload[key] = reference_name(store_upload(photo, paths.uploads_dir))
            resolve_reference(payload[key], home=paths.library, uploads_dir=paths.uploads_dir)
    return runtime.engine.enqueue(JOB_TYPE, payload)


def _photo_name(photo: str | os.PathLike[str] | bytes) -> str:
    """A photo's file name without its extension, for a name made from it ("an edit" for
    pasted bytes)."""
    if isinstance(photo, bytes | bytearray | memoryview):
        return "an edit"
    return clean_name(Path(os.fspath(photo)).stem, limit=60) or "an edit"


# What the job's worker processes run (``work`` imports the generator when a task first needs
# it): a front door that runs the job here starts its workers early with these
# (``desktop.jobs.processes.warm``), so they import them while the library opens.
WORKER_MODULES = ("desktop.pipelines.generate.work", "desktop.generators.local")
