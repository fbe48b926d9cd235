"""A style learned from an edit (``stylestudio generate --reference EDITED --original ORIGINAL``),
the worker-process side: fit the table that maps the original's colours to the edit's
(``desktop.imaging.edit_fit``), keep it at full strength in the job's work folder,
and say how much of the edit it reproduces on the edited photo itself.

The plan is an ordinary ``StylePlan`` (its effects come from the description's words, as for
any style) whose ``edit`` names that .cube: the previews, the style's .cube and its stored
params are made from it by the same code as every other style.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from desktop.pipelines.generate.work import remember_plan

EDIT_DRAFT = (1536, 1536)  # the fit works at a long edge of 768: decode no more than twice that
FIT_TABLE = "edit-fit.npy"
FIDELITY_EDGE = 64


def edit_plan_work(description: str, edited_path: str, original_path: str, seed: int, strength: int | None, work: str) -> dict[str, Any]:
    """Worker: fit the edit's look, keep it as ``work/edit-fit.npy`` and plan the style at
    ``strength`` per cent (default 100); raises UserError with one sentence when the two
    photos are not the same picture."""
    import numpy as np

    from desktop.generators import local
    from desktop.imaging.edit_fit import fit_aligned
    from desktop.imaging.edit_pair import align_pair
    from desktop.imaging.intake import load_image

    original = load_image(original_path, draft_size=EDIT_DRAFT).image
    edited = load_image(edited_path, draft_size=EDIT_DRAFT).image
    orig, edit = align_pair(original, edited)  # refused here when they are not the same photo
    fit = fit_aligned(orig, edit)
    table = Path(work) / FIT_TABLE
    np.save(table, fit.lut, allow_pickle=False)
    look = local.EditLook(table=str(table), fidelity_pct=round(fidelity(orig, edit, fit.lut), 1), story=tuple(fit.story))
    plan = local.plan_edit(description, look, seed=seed, strength=1.0 if strength is None else strength / 100)
    as_dict = plan.to_dict()
    remember_plan(as_dict, plan)
    return {"plan": as_dict, "pid": os.getpid()}


def fidelity(orig: Any, edit: Any, table: Any, edge: int = FIDELITY_EDGE) -> float:
    """How much of the edit the table reproduces on the edited photo itself: 100 × (1 − mean
    ΔE(table(original), edit) / mean ΔE(original, edit)), CIELAB ΔE76, compared as colours
    (both pooled to a long edge of about ``edge`` pixels: the pair's resampling and JPEG
    noise at edges are not the look)."""
    from desktop.imaging.lab import mean_delta_e
    from desktop.imaging.lut_fit import apply_table

    k = max(1, max(orig.shape[:2]) // edge)
    orig, edit, after = (_pooled(a, k) for a in (orig, edit, apply_table(table, orig)))
    before = mean_delta_e(orig, edit)
    if before < 0.5:  # the "edit" hardly changed the photo
        return 100.0
    return max(0.0, 100.0 * (1.0 - mean_delta_e(after, edit) / before))


def _pooled(rgb: Any, k: int) -> Any:
    """``rgb`` averaged over ``k`` × ``k`` blocks (the edge rows and columns left over dropped)."""
    h, w = rgb.shape[0] // k * k, rgb.shape[1] // k * k
    return rgb[:h, :w].reshape(h // k, k, w // k, k, 3).mean(axis=(1, 3))
