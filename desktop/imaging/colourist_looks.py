"""The words colourists use for a whole look ("cinematic", "bleach bypass", "day for night",
film stocks by their looks), each as a ``Recipe``: moves on the grade's axes plus what those
cannot say (crushed blacks, a split toning, moves by hue). Read by
``desktop.imaging.description.read_words``; the single words of each axis are in
``desktop.imaging.words``.
"""

from __future__ import annotations

from dataclasses import dataclass

Tint = tuple[float, float]


@dataclass(frozen=True)
class Recipe:
    """A colourist's look, asked for by any of ``phrases``, as moves on the grade's axes (as
    ``desktop.imaging.description.Words`` reads them: 1.0 is what "warm", "bright", "vivid",
    "high contrast", "faded" do), plus what those axes cannot say: ``crush`` (the darkest tones
    pushed to black), ``split`` (Lab (a, b) added to the shadows and to the highlights when no
    colour is named) and ``hue_moves`` (``desktop.imaging.hue_moves.MOVES``). ``label`` is what
    the detail pane says it did."""

    label: str
    phrases: tuple[str, ...]
    temperature: float = 0.0
    light: float = 0.0
    saturation: float = 0.0
    contrast: float = 0.0
    fade: float = 0.0
    crush: float = 0.0
    split: tuple[Tint, Tint] | None = None
    hue_moves: tuple[str, ...] = ()


TEAL_SHADOWS, WARM_HIGHLIGHTS = (-8.0, -10.0), (4.0, 14.0)
CROSS_SHADOWS, CROSS_HIGHLIGHTS = (-2.0, -16.0), (-7.0, 20.0)  # blue; yellow-green
# slide film is cool by a split, not by "cool" (which holds the yellows back, see
# description.grade_from_description): cool and still saturated
COOL_SHADOWS, COOL_HIGHLIGHTS = (-2.0, -10.0), (-2.0, -9.0)
_BLACKS = ("crushed blacks", "crushed black", "crushed shadows", "crush the blacks", "deep blacks")
_INFRARED = ("infrared", "false colour infrared", "false color infrared", "aerochrome")
_PORTRAIT = ("portrait film", "portrait film stock", "portrait stock", "portra")
_SLIDE = ("slide film", "slide", "transparency film", "reversal film", "ektachrome")

# Film stocks are described by their looks; their trade names are understood as input only
# (people type them), never shown.
COLOURIST_LOOKS: tuple[Recipe, ...] = (
    Recipe(
        "cinematic (teal shadows, warm highlights, deeper blacks, more contrast)",
        ("cinematic", "filmic", "movie still", "blockbuster"),
        saturation=-0.2, contrast=0.4, crush=0.3, split=(TEAL_SHADOWS, WARM_HIGHLIGHTS),
    ),
    Recipe("moody (darker, less saturated)", ("moody",), light=-1.0, saturation=-0.4),
    Recipe("crushed blacks (the darkest tones go to black)", (*_BLACKS, "inky blacks"), crush=1),
    Recipe(
        "bleach bypass (much less colour, more contrast, deep blacks)",
        ("bleach bypass", "bleach bypassed", "skip bleach", "silver retention"),
        saturation=-1.4, contrast=1.0, crush=0.4,
    ),
    Recipe(
        "cross-processed (blue shadows, yellow-green highlights, more contrast and colour)",
        ("cross process", "cross processed", "cross processing", "xpro"),
        saturation=0.6, contrast=0.6, split=(CROSS_SHADOWS, CROSS_HIGHLIGHTS),
    ),
    Recipe(
        "day for night (much darker, blue, less colour)",
        ("day for night", "nuit americaine", "american night"),
        temperature=-1.6, light=-1.5, saturation=-0.6,
    ),
    Recipe("infrared (foliage turns pink, skies go dark)", _INFRARED, hue_moves=("infrared",)),
    Recipe(
        "portrait film look (soft contrast, warm skin, muted greens)", _PORTRAIT,
        temperature=0.5, saturation=-0.3, contrast=-0.6, hue_moves=("portrait film",),
    ),
    Recipe(
        "slide film look (cool, clean, saturated)", _SLIDE,
        saturation=1.0, contrast=0.4, split=(COOL_SHADOWS, COOL_HIGHLIGHTS),
    ),
    Recipe(
        "vintage slide look (warm, rich reds, more contrast)",
        ("vintage slide", "vintage slide film", "retro slide", "kodachrome"),
        temperature=0.5, saturation=0.5, contrast=0.5, hue_moves=("vintage slide",),
    ),
    Recipe(
        "vivid landscape film look (very saturated greens and blues, strong contrast)",
        ("vivid landscape film", "landscape film", "velvia"),
        saturation=1.4, contrast=0.8, hue_moves=("landscape film",),
    ),
)
