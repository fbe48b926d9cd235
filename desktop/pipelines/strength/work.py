"""``style.strength``'s work in the worker processes (``desktop.jobs.processes``): a preview
rendered at the new strength, and the quality figures at it."""

from __future__ import annotations

from typing import Any


def fit_long_edge(img: Any, size: int) -> Any:
    """``img`` with its long edge ``size`` (the generator's own resize, so pixels match)."""
    from desktop.generators.local import fit_long_edge as fit

    return fit(img, size)


def render_preview_files(params: dict[str, Any], source: str, size: int, strength: int, seed: int, preview: str, thumb: str) -> tuple[int, int]:
    """Worker process: render the style's whole look at ``strength`` over ``source`` (long edge
    ``size``, effects seeded by ``seed``) and write the preview and its thumbnail."""
    from desktop.imaging.apply import render_look
    from desktop.imaging.intake import load_image
    from desktop.imaging.thumbnails import save_preview, save_thumbnail

    photo = fit_long_edge(load_image(source).image, size)
    img = render_look(photo, params, strength=strength, seed=seed)
    save_preview(img, preview)
    save_thumbnail(img, thumb)
    return img.width, img.height


def quality_at(params: dict[str, Any], analysis: dict[str, Any], description: str, strength: int) -> dict[str, Any]:
    """Worker process: the style's quality figures at ``strength`` (see
    ``desktop.generators.local.quality_figures``)."""
    from desktop.generators.local import StylePlan, quality_figures
    from desktop.imaging.analysis import Analysis
    from desktop.imaging.grade import GradeStats, build_lut

    grade = GradeStats.from_dict(params["grade"])
    plan = StylePlan(
        lut=build_lut(grade, strength=strength / 100),
        looks=[],
        seed=int(params.get("seed") or 1),
        analysis=Analysis.from_dict(analysis),
        description=description,
        strength=strength / 100,
        grade=grade,
    )
    return quality_figures(plan)
