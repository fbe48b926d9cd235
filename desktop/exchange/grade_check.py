"""A pack's stored grade, checked the way applying a style and changing its strength use it.

A pack style carries its colour grade twice: the ``.cube`` (checked by the .cube reader) and
``params.grade``, the statistics the grade is rebuilt from at another strength (when photos are
styled, and by ``styles strength``). A grade that does not build would import fine and then
fail every photo, so ``params_problem`` builds it (``GradeStats.from_dict`` and ``build_lut``,
as apply and strength do) on a small grid, at full strength and at the style's own, and checks
the few other values those read (the effects' seed and looks, the reference's analysis).
"""

from __future__ import annotations

import math
from typing import Any

from desktop.imaging.analysis import PERCENTILES, Analysis
from desktop.imaging.effects import Look
from desktop.imaging.grade import GradeStats, build_lut

CHECK_SIZE = 5  # points a side: the maths per point is the same as at 33


def _numbers(value: Any, count: int | None = None) -> bool:
    return (
        isinstance(value, list | tuple)
        and (count is None or len(value) == count)
        and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value)
    )


def _pairs(value: Any, count: int | None = None) -> bool:
    return isinstance(value, list | tuple) and (count is None or len(value) == count) and all(_numbers(p, 2) for p in value)


def _grade_shape(grade: dict[str, Any]) -> bool:
    toning, ranks, posterize = grade.get("toning"), grade.get("tint_ranks"), grade.get("posterize", 0)
    return (
        _numbers(grade.get("mean"), 3)
        and _numbers(grade.get("std"), 3)
        and _numbers(grade.get("tones"), len(PERCENTILES))
        and _pairs(grade.get("tints"), 3)
        and (not toning or _pairs(toning, 2))
        and (not ranks or _pairs(ranks))
        and (not grade.get("levels") or _numbers(grade.get("levels"), 3))
        and isinstance(posterize, int)
        and not isinstance(posterize, bool)
        and 0 <= posterize <= 256
    )


def grade_builds(grade: Any, strength_pct: float) -> bool:
    """``grade`` (a style's ``params.grade``) gives a finite LUT at full strength and at
    ``strength_pct`` (0..100)."""
    if not isinstance(grade, dict) or not _grade_shape(grade):
        return False
    try:
        stats = GradeStats.from_dict(grade)
        for s in {1.0, min(1.0, max(0.0, strength_pct / 100))}:
            table = build_lut(stats, strength=s, size=CHECK_SIZE).table
            if not all(math.isfinite(v) for v in table):
                return False
    except (ArithmeticError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return False
    return True


def params_problem(params: dict[str, Any], analysis: dict[str, Any] | None, strength_pct: float) -> str | None:
    """What in a pack style's ``params`` (and ``analysis``) applying or changing its strength
    would trip on, as a phrase ("its colour grade data does not build a grade"), or None."""
    grade = params.get("grade")
    if grade is not None and grade != {} and not grade_builds(grade, strength_pct):
        return "its colour grade data (params.grade) is damaged and does not build a grade"
    seed = params.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        return "its effects' seed (params.seed) is not a whole number"
    looks = params.get("effect_looks")
    if looks is not None:
        try:
            if not isinstance(looks, list):
                raise TypeError
            for look in looks:
                if isinstance(look, dict):
                    Look.from_dict(look)
        except (ValueError, TypeError, KeyError):
            return "its effects (params.effect_looks) are damaged"
    if analysis is not None and grade:
        try:
            found = Analysis.from_dict(analysis)
            if not (_numbers(list(found.lab_mean), 3) and _numbers(list(found.lab_std), 3)):
                raise ValueError
        except (ValueError, TypeError, KeyError, AttributeError):
            return "its reference's analysis is damaged"
    return None
