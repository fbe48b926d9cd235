"""The words Style Studio understands, listed once, and finding them in a description.

The vocabulary: the words for each axis of the colour grade (``WARM``, ``COOL``, ``BRIGHT``,
... read by ``desktop.imaging.description``), the words for each look family (``LOOK_WORDS``:
contrast, mono, sepia and duotone go into the .cube, grain, vignette, halftone... are effects,
``desktop.imaging.effects``), colour names and their synonyms (``COLOUR_SYNONYMS``, the names
themselves are ``desktop.imaging.colour.COLOUR_NAMES``) and the modifiers. Whole looks a
colourist names ("cinematic", "bleach bypass", film stocks) are
``desktop.imaging.colourist_looks``.

Finding them: text is lower-cased and hyphens/underscores/slashes become spaces, so "8-bit",
"8 bit" and "8_bit" match the phrase "8 bit". A phrase is negated by "no", "not", "without", ...
among the three words before it ("no grain", "without any vignette"), and scaled by
"subtle"/"heavy".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from desktop.imaging.colour import COLOUR_NAMES, NEUTRAL_NAMES

_NEGATORS = frozenset({"no", "not", "without", "never", "non", "zero", "minus", "avoid", "dont"})
_BOUNDARIES = frozenset({",", ".", ";", ":", "!", "?", "but", "and", "with", "plus", "or", "then"})
_SOFTER = frozenset(
    {
        "subtle",
        "slight",
        "slightly",
        "faint",
        "gentle",
        "gently",
        "soft",
        "softly",
        "little",
        "touch",
        "hint",
        "mild",
        "light",
        "lightly",
    }
)
_STRONGER = frozenset(
    {
        "heavy",
        "heavily",
        "strong",
        "strongly",
        "lots",
        "extreme",
        "intense",
        "very",
        "super",
        "massive",
        "thick",
        "lot",
        "extra",
    }
)


@dataclass(frozen=True)
class Hit:
    phrase: str
    position: int  # token index where the phrase starts
    amount: float  # 0.6 for "subtle ...", 1.5 for "heavy ...", else 1.0


def normalise(text: str) -> list[str]:
    """Tokens of ``text``: lower-case words and separate punctuation marks."""
    text = text.lower().replace("&", " and ").replace("'", "")
    text = re.sub(r"[-_/]+", " ", text)
    return re.findall(r"[a-z0-9]+|[,.;:!?]", text)


def find(tokens: list[str], phrases: Iterable[str], *, negated: bool = False) -> list[Hit]:
    """Every non-negated occurrence of each phrase (given in normalised form) in ``tokens``;
    with ``negated=True``, only the negated ones ("no grain")."""
    hits: list[Hit] = []
    for phrase in phrases:
        words = phrase.split()
        n = len(words)
        for i in range(len(tokens) - n + 1):
            if tokens[i : i + n] == words and _negated(tokens, i) == negated:
                hits.append(Hit(phrase, i, _amount(tokens, i)))
    return hits


def is_modifier(token: str) -> bool:
    """A word that scales or negates the phrase after it ("subtle", "heavy", "no")."""
    return token in _SOFTER or token in _STRONGER or token in _NEGATORS


def _before(tokens: list[str], i: int, count: int) -> list[str]:
    out = []
    for tok in reversed(tokens[max(0, i - count) : i]):
        if tok in _BOUNDARIES:
            break
        out.append(tok)
    return out


def _negated(tokens: list[str], i: int) -> bool:
    return any(tok in _NEGATORS for tok in _before(tokens, i, 3))


def _amount(tokens: list[str], i: int) -> float:
    before = _before(tokens, i, 2)
    if any(tok in _STRONGER for tok in before):
        return 1.5
    if any(tok in _SOFTER for tok in before):
        return 0.6
    return 1.0


COLOUR_SYNONYMS = {
    "gray": "grey",
    "golden": "gold",
    "violet": "purple",
    "aqua": "turquoise",
    "cyan": "turquoise",
    "emerald": "green",
    "scarlet": "red",
    "ruby": "crimson",
    "peach": "salmon",
    "ochre": "amber",
    "mustard": "gold",
    "burgundy": "maroon",
    "fuchsia": "magenta",
}


def colour_words(
    tokens: list[str], *, chromatic_only: bool = True, negated: bool = False
) -> list[str]:
    """Colour names (keys of ``COLOUR_NAMES``) in the order they appear in ``tokens``.

    "sky blue" counts once (not also as "blue"); "black and white" and other neutrals are left
    out unless ``chromatic_only`` is False. With ``negated=True``, only the negated ones
    ("no orange").
    """
    names = {name: name for name in COLOUR_NAMES} | COLOUR_SYNONYMS
    hits = sorted(
        find(tokens, names, negated=negated), key=lambda h: (h.position, -len(h.phrase))
    )
    out: list[str] = []
    covered_until = -1
    for h in hits:
        if h.position < covered_until:
            continue
        covered_until = h.position + len(h.phrase.split())
        name = names[h.phrase]
        if chromatic_only and (name in NEUTRAL_NAMES or name == "cream"):
            continue
        out.append(name)
    return out


# -- the words of the colour grade, axis by axis ---------------------------------------------

WARM = (
    "warm",
    "warmer",
    "golden",
    "sunset",
    "sunny",
    "summer",
    "summery",
    "autumn",
    "autumnal",
    "cozy",
    "cosy",
    "tungsten",
    "honey",
    "candlelight",
    "golden hour",
)
COOL = (
    "cool",
    "cooler",
    "cold",
    "icy",
    "ice",
    "winter",
    "wintry",
    "frosty",
    "blue hour",
    "moonlight",
    "moonlit",
    "nordic",
    "arctic",
    "chilly",
    "clinical",
)
BRIGHT = (
    "bright",
    "brighter",
    "airy",
    "high key",
    "sunlit",
    "luminous",
    "overexposed",
    "pastel",
    "pastels",
)
DARK = (
    "dark",
    "darker",
    "noir",
    "low key",
    "night",
    "shadowy",
    "gloomy",
    "underexposed",
    "brooding",
)
MUTED = (
    "muted",
    "faded",
    "pastel",
    "pastels",
    "desaturated",
    "washed out",
    "dusty",
    "matte",
    "subdued",
    "understated",
    "vintage",
)
VIVID = (
    "vivid",
    "saturated",
    "vibrant",
    "punchy",
    "colorful",
    "colourful",
    "rich",
    "technicolor",
    "technicolour",
    "neon",
    "psychedelic",
    "bold",
)
FADED = (
    "faded",
    "matte",
    "washed out",
    "vintage",
    "lifted blacks",
    "lifted black",
    "lifted shadows",
    "raised blacks",
    "milky blacks",
)
HIGH_CONTRAST = ("high contrast", "contrasty", "punchy", "dramatic", "crisp", "harsh", "noir")
LOW_CONTRAST = (
    "low contrast",
    "soft contrast",
    "flat",
    "gentle",
    "soft",
    "softer",
    "soft light",
    "hazy",
    "dreamy",
)
# Grade words that, said just before an effect ("soft grain", "gentle vignette", "dark
# vignette"), describe that effect and leave the grade alone.
EFFECT_QUALIFIERS = frozenset(
    {"soft", "softer", "gentle", "dark", "darker", "bright", "brighter", "harsh", "crisp", "bold"}
)


# -- the words of the look families ------------------------------------------------------------

# Family -> words and phrases that ask for it (normalised: lower case, hyphens as spaces).
# Family -> words and phrases that ask for it (normalised: lower case, hyphens as spaces).
LOOK_WORDS: dict[str, tuple[str, ...]] = {
    "contrast": ("high contrast", "contrasty", "punchy", "dramatic", "hard light", "crisp", "noir"),
    "mono": (
        "black and white",
        "b and w",
        "bw",
        "monochrome",
        "mono",
        "grayscale",
        "greyscale",
        "noir",
        "ansel adams",
        "silver gelatin",
        "tri x",
    ),
    "sepia": (
        "sepia",
        "antique",
        "old photo",
        "old photograph",
        "aged",
        "daguerreotype",
        "tintype",
        "victorian",
        "wild west",
        "1900s",
        "19th century",
    ),
    "duotone": (
        "duotone",
        "duo tone",
        "two tone",
        "two colour",
        "two color",
        "bichrome",
        "tritone",
    ),
    "glow": (
        "soft focus",
        "glow",
        "glowing",
        "dreamy",
        "dream",
        "bloom",
        "hazy",
        "haze",
        "ethereal",
        "orton",
        "halation",
        "diffusion",
        "diffused",
        "misty",
        "mist",
        "romantic",
        "angelic",
    ),
    "posterize": (
        "posterize",
        "posterise",
        "posterized",
        "posterised",
        "poster",
        "screen print",
        "screenprint",
        "flat colours",
        "flat colors",
        "cel shaded",
        "cel shading",
        "cartoon",
        "pop art",
        "vector",
    ),
    "sketch": (
        "sketch",
        "sketchy",
        "sketched",
        "pencil",
        "ink",
        "inked",
        "drawing",
        "drawn",
        "line art",
        "lineart",
        "outline",
        "outlines",
        "hand drawn",
        "pen",
        "etching",
        "engraving",
        "graphic novel",
        "illustration",
        "illustrated",
    ),
    "halftone": (
        "halftone",
        "half tone",
        "comic",
        "comics",
        "comic book",
        "dots",
        "dotted",
        "dot",
        "newspaper",
        "newsprint",
        "pop art",
        "benday",
        "ben day",
        "screentone",
        "manga",
        "risograph",
        "riso",
    ),
    "pixel": (
        "pixel",
        "pixels",
        "pixel art",
        "pixelated",
        "pixellated",
        "pixelate",
        "pixelated",
        "8 bit",
        "16 bit",
        "8bit",
        "16bit",
        "retro game",
        "retro games",
        "retro gaming",
        "video game",
        "arcade",
        "nes",
        "snes",
        "gameboy",
        "game boy",
        "sprite",
        "mosaic",
        "low res",
        "lowres",
        "minecraft",
    ),
    "light_leak": (
        "light leak",
        "light leaks",
        "leaky",
        "lomo",
        "lomography",
        "polaroid",
        "instant film",
        "expired film",
        "toy camera",
        "holga",
        "lens flare",
        "flare",
    ),
    "vignette": (
        "vignette",
        "vignetted",
        "vignetting",
        "lomo",
        "lomography",
        "tunnel",
        "dark corners",
        "darkened corners",
        "old lens",
        "toy camera",
        "holga",
        "spotlight",
    ),
    "grain": (
        "grain",
        "grainy",
        "film",
        "analog",
        "analogue",
        "35mm",
        "35 mm",
        "kodak",
        "portra",
        "fuji",
        "fujifilm",
        "ilford",
        "noise",
        "noisy",
        "gritty",
        "grit",
        "film stock",
        "super 8",
        "16mm",
        "tri x",
        "expired film",
    ),
}

