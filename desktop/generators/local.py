"""The offline generator: a colour grade (3D LUT) plus looks, rendered over the sample photos.

Synchronous and Qt-free; the pipeline calls ``plan_style`` once and ``render_preview`` once per
preview, so it can report "Rendering preview 2 of 4" and check for cancel in between. Decoded
sample photos are cached for the life of the process (thread-safe).
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageFilter

from desktop.errors import UserError
from desktop.imaging.analysis import Analysis, analyse, lab_summary, stats_distance
from desktop.imaging.description import explain, grade_from_description
from desktop.imaging.effects import Look, apply_looks, choose_looks
from desktop.imaging.grade import DEFAULT_STRENGTH, NEUTRAL, GradeStats, build_lut
from desktop.imaging.intake import load_image
from desktop.imaging.look_reading import read_look
from desktop.resources import sample_photos

GENERATOR = "local"
EDIT_IN_CUBE = "the colours of your edit (learned from the original and the edited photo)"
NOT_USED = "not used: the edit gives the colours"
EDIT_NAMED = "The look of "  # the description of a style learned from an edit, given no words


@dataclass(frozen=True)
class EditLook:
    """What a style learned from an edit keeps: its fitted table (a .cube at full strength),
    what the table reproduces of the edit on the edited photo itself, and what the edit did
    that a table cannot hold (a vignette, brushed areas)."""

    table: str  # the fitted table at full strength: a .npy file, ``lut[r, g, b]``
    fidelity_pct: float  # % of the way from the original to the edit, on that photo
    story: tuple[str, ...] = ()

    def lut(self, strength: float) -> ImageFilter.Color3DLUT:
        """The table at ``strength`` (0..1): mixed with the identity, exactly as a photo's
        colours are mixed with the table's below full strength."""
        import numpy as np

        from desktop.imaging.lut_fit import identity_table, to_pillow_lut

        full = np.load(self.table, allow_pickle=False)
        level = min(1.0, max(0.0, strength))
        identity = identity_table(full.shape[0])
        return to_pillow_lut(identity + level * (full - identity))

    def explained(self, said: dict[str, Any]) -> dict[str, Any]:
        """``explain``'s account of the words, for a style whose colours come from an edit: its
        effects still apply; its colour words do not."""
        words = [
            w if str(w.get("effect", "")).endswith("(effect)") else {**w, "effect": NOT_USED}
            for w in said.get("words", [])
        ]
        return {
            **said,
            "words": words,
            "in_cube": [EDIT_IN_CUBE],
            "source": "edit",
            "edit_story": list(self.story),
            "quality": {"edit_pct": round(self.fidelity_pct, 1)},
        }


@dataclass
class StylePlan:
    lut: ImageFilter.Color3DLUT
    looks: list[Look]
    seed: int
    analysis: Analysis | None
    description: str
    strength: float = DEFAULT_STRENGTH  # 0..1
    grade: GradeStats = field(default=NEUTRAL)  # target statistics the LUT was built from
    # a style learned from an edit (``desktop.pipelines.generate.edit``): its colours are the
    # fitted table, kept at full strength in this .cube file, not ``grade``
    edit: EditLook | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able summary (no LUT table; ``from_dict`` rebuilds the LUT from ``grade``, or
        reads the edit's fitted .cube)."""
        return {
            "generator": GENERATOR,
            "description": self.description,
            "seed": self.seed,
            "strength": self.strength,
            "looks": [look.to_dict() for look in self.looks],
            "look_names": [look.name for look in self.looks],
            "grade": self.grade.to_dict(),
            "analysis": self.analysis.to_dict() if self.analysis else None,
            "edit": dataclasses.asdict(self.edit) if self.edit else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StylePlan:
        grade = GradeStats.from_dict(d["grade"])
        strength = float(d.get("strength", DEFAULT_STRENGTH))
        edit = EditLook(**d["edit"]) if d.get("edit") else None
        return cls(
            lut=edit.lut(strength) if edit else build_lut(grade, strength=strength),
            looks=[Look.from_dict(x) for x in d.get("looks", [])],
            seed=int(d["seed"]),
            analysis=Analysis.from_dict(d["analysis"]) if d.get("analysis") else None,
            description=d.get("description", ""),
            strength=strength,
            grade=grade,
            edit=edit,
        )


    def style_params(self) -> dict[str, Any]:
        """What the style stores about its look (in the style's ``params``): the strength
        (0..100), the words understood and what each did, the words not understood, what is in
        the .cube and what is an effect, and what ``apply.render_look`` needs to re-render it."""
        if self.edit is not None:
            # a description made from the photo's name ("The look of IMG_0042") holds no words
            said = explain("" if self.description.startswith(EDIT_NAMED) else self.description)
            # no "grade": the .cube holds the whole fitted look, mixed with the photo's own
            # colours below full strength (like an imported .cube)
            return {
                "strength": round(self.strength * 100),
                **self.edit.explained(said),
                "effect_looks": [look.to_dict() for look in self.looks],
            }
        said = explain(self.description, has_reference=self.analysis is not None)
        return {
            "strength": round(self.strength * 100),
            **said,
            "grade": self.grade.to_dict(),
            "effect_looks": [look.to_dict() for look in self.looks],
        }


def plan_style(
    description: str,
    reference: Image.Image | None,
    *,
    seed: int,
    strength: float = DEFAULT_STRENGTH,
) -> StylePlan:
    """Analyse the reference (if any), derive the grade and pick the effects. ~0.1 s."""
    analysis = analyse(reference) if reference is not None else None
    base = read_look(reference) if reference is not None else NEUTRAL
    grade = grade_from_description(description, base=base)
    lut = build_lut(grade, strength=strength)
    return StylePlan(lut, choose_looks(description), seed, analysis, description, strength, grade)


def plan_edit(description: str, edit: EditLook, *, seed: int, strength: float = 1.0) -> StylePlan:
    """A style learned from an edit: the fitted table (at ``strength``, 0..1) and the effects
    the description's words ask for."""
    lut = edit.lut(strength)
    return StylePlan(lut, choose_looks(description), seed, None, description, strength, edit=edit)


def render_preview(plan: StylePlan, index: int, *, size: int = 768) -> Image.Image:
    """Preview ``index``: sample photo ``index % n`` at long edge ``size``, graded, looks applied
    with seed ``plan.seed + index``."""
    photo = resized_sample(index, size)
    return apply_looks(photo.filter(plan.lut), plan.looks, plan.seed + index)


def render_photo(plan: StylePlan, path: str, index: int, *, size: int = 768) -> Image.Image:
    """Like ``render_preview``, over the photo at ``path`` (the style's reference) instead of a
    bundled sample."""
    photo = fit_long_edge(load_image(path).image, size)
    return apply_looks(photo.filter(plan.lut), plan.looks, plan.seed + index)


def apply_style(plan: StylePlan, img: Image.Image) -> Image.Image:
    """Grade ``img`` with the plan's LUT and apply its looks (seed ``plan.seed``)."""
    img = img.convert("RGB") if img.mode != "RGB" else img
    return apply_looks(img.filter(plan.lut), plan.looks, plan.seed)


def quality_figures(plan: StylePlan, *, size: int = 192) -> dict[str, Any]:
    """How far the style's LUT moves the bundled sample photos toward the reference's Lab mean
    and spread (a cheap, per-style version of benchmarks/bench_quality.py's figure (a))."""
    if plan.analysis is None:
        return {}
    ref = (tuple(plan.analysis.lab_mean), tuple(plan.analysis.lab_std))
    closer = []
    for i in range(len(sample_photos())):
        photo = resized_sample(i, size)
        before = stats_distance(lab_summary(photo), ref)
        after = stats_distance(lab_summary(photo.filter(plan.lut)), ref)
        if before > 1:
            closer.append(100 * (1 - after / before))
    return {
        "closer_pct": round(sum(closer) / len(closer), 1) if closer else None,
        "measured_on": "the bundled sample photos",
        "strength": round(plan.strength * 100),
    }


# -- sample photo cache -------------------------------------------------------------------------

_lock = threading.Lock()
_decoded: dict[Path, Image.Image] = {}
resized_samples: dict[tuple[Path, int], Image.Image] = {}


def resized_sample(index: int, size: int) -> Image.Image:
    """Bundled sample photo ``index`` (wrapping around) fitted to ``size`` pixels, decoded and
    resized once per process (kept in ``resized_samples``; safe from any thread)."""
    photos = sample_photos()
    if not photos:
        raise UserError(
            "The bundled sample photos are missing; reinstall Style Studio to restore them."
        )
    path = photos[index % len(photos)]
    key = (path, size)
    with _lock:
        cached = resized_samples.get(key)
        if cached is not None:
            return cached
        original = _decoded.get(path)
    if original is None:
        original = load_image(path).image
    resized = fit_long_edge(original, size)
    with _lock:
        _decoded.setdefault(path, original)
        if len(resized_samples) > 32:
            resized_samples.clear()
        return resized_samples.setdefault(key, resized)


def fit_long_edge(img: Image.Image, size: int) -> Image.Image:
    """``img`` with its long edge ``size`` (LANCZOS down, BICUBIC up): how every preview is sized."""
    w, h = img.size
    scale = size / max(w, h)
    if scale == 1:
        return img
    new = (max(1, round(w * scale)), max(1, round(h * scale)))
    method = Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BICUBIC
    return img.resize(new, method)
