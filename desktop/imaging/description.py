"""What a description asks: its words read axis by axis (``read_words``, ``ruled_out``), the
colour grade they make (``grade_from_description``) and what each word did (``explain``, for
the detail pane). The words themselves are listed in ``desktop.imaging.words``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from PIL import ImageFilter

from desktop.imaging.colour import COLOUR_NAMES, rgb_to_lab
from desktop.imaging.colourist_looks import COLOURIST_LOOKS
from desktop.imaging.effects import EFFECTS, choose_looks
from desktop.imaging.grade import DEFAULT_STRENGTH, NEUTRAL, GradeStats, Tint, build_lut
from desktop.imaging.words import (
    BRIGHT,
    COLOUR_SYNONYMS,
    COOL,
    DARK,
    EFFECT_QUALIFIERS,
    FADED,
    HIGH_CONTRAST,
    LOOK_WORDS,
    LOW_CONTRAST,
    MUTED,
    VIVID,
    WARM,
    Hit,
    colour_words,
    find,
    is_modifier,
    normalise,
)

# A photo tinted "blue" reads as sky blue, not the violet-leaning hue of a blue swatch.
_TINT_RGB = {"blue": (60, 130, 230), "purple": (130, 60, 170)}


# Toned monochromes, as (a, b) in shadows and highlights. Sepia keeps the hue of the classic
# sepia swatch (#704214, Lab hue ~67 degrees): richer in the shadows, paler in the highlights.
SEPIA_HUE = 67.0
SEPIA_TONING: tuple[Tint, Tint] = (
    (20 * math.cos(math.radians(SEPIA_HUE)), 20 * math.sin(math.radians(SEPIA_HUE))),
    (11 * math.cos(math.radians(SEPIA_HUE)), 11 * math.sin(math.radians(SEPIA_HUE))),
)
DEFAULT_DUOTONE_NAMES = ("navy", "salmon")  # deep navy shadows, warm peach highlights


@dataclass(frozen=True)
class Words:
    """What a description asks of the colour grade, axis by axis (0 = the words are silent)."""

    temperature: float = 0.0  # + warm, - cool
    light: float = 0.0  # + bright, - dark
    saturation: float = 0.0  # + vivid, - muted
    contrast: float = 0.0  # + high, - low
    fade: float = 0.0
    colours: tuple[str, ...] = ()  # chromatic colour names, in order
    mono: bool = False
    sepia: bool = False
    duotone: bool = False
    posterize: int = 0  # levels
    crush: float = 0.0  # the darkest tones pushed to black
    split: tuple[Tint, Tint] | None = None  # (a, b) added to shadows and highlights
    hue_moves: tuple[str, ...] = ()  # desktop.imaging.hue_moves.MOVES

    @property
    def toned(self) -> bool:
        return self.mono or self.sepia or self.duotone


def read_words(description: str) -> Words:
    """The grade-relevant words of ``description`` (negated ones are left out)."""
    tokens = normalise(description)
    spans = _spans(tokens)

    def amount(words: tuple[str, ...]) -> float:
        return max((h.amount for h in _kept(find(tokens, words), spans)), default=0.0)

    looks = [
        (recipe, h.amount)
        for recipe in COLOURIST_LOOKS
        for h in _kept(find(tokens, recipe.phrases), spans)
    ]

    def axis(name: str, up: tuple[str, ...] = (), down: tuple[str, ...] = ()) -> float:
        """The strongest word each way (a look's share included), the two summed."""
        values = [amount(up), -amount(down), *(getattr(r, name) * k for r, k in looks)]
        return max(values) + min(values) if values else 0.0

    split = None
    for recipe, k in looks:
        if recipe.split:
            (sa, sb), (ha, hb) = recipe.split
            (pa, pb), (qa, qb) = split or ((0.0, 0.0), (0.0, 0.0))
            split = ((pa + k * sa, pb + k * sb), (qa + k * ha, qb + k * hb))
    poster = amount(LOOK_WORDS["posterize"])
    return Words(
        temperature=axis("temperature", WARM, COOL),
        light=axis("light", BRIGHT, DARK),
        saturation=axis("saturation", VIVID, MUTED),
        contrast=axis("contrast", HIGH_CONTRAST, LOW_CONTRAST),
        fade=max(0.0, axis("fade", FADED)),
        colours=tuple(colour_words(tokens)),
        mono=bool(amount(LOOK_WORDS["mono"])),
        sepia=bool(amount(LOOK_WORDS["sepia"])),
        duotone=bool(amount(LOOK_WORDS["duotone"])),
        posterize=0 if not poster else 4 if poster > 1 else 7 if poster < 1 else 5,
        crush=max(0.0, axis("crush")),
        split=split,
        hue_moves=tuple(dict.fromkeys(m for r, _ in looks for m in r.hue_moves)),
    )


def _spans(tokens: list[str]) -> tuple[list[tuple[int, int]], set[int]]:
    """Where the description names a whole look or an effect: the (start, end) token spans of
    those phrases, and the positions where an effect's phrase starts."""
    spans: list[tuple[int, int]] = []
    starts: set[int] = set()
    for recipe in COLOURIST_LOOKS:
        spans += [
            (h.position, h.position + len(h.phrase.split())) for h in find(tokens, recipe.phrases)
        ]
    for name in EFFECTS:
        for h in find(tokens, LOOK_WORDS[name]):
            spans.append((h.position, h.position + len(h.phrase.split())))
            starts.add(h.position)
    return spans, starts


def _kept(hits: list[Hit], spans: tuple[list[tuple[int, int]], set[int]]) -> list[Hit]:
    """``hits`` without the words that are part of a longer look or effect phrase ("night" in
    "day for night", "soft" in "soft focus") and without the grade words said of an effect
    ("soft grain", "gentle vignette": they change the effect, ``words.find`` scales it)."""
    longer, effect_starts = spans
    out = []
    for h in hits:
        n = len(h.phrase.split())
        start, end = h.position, h.position + n
        if any(a <= start and end <= b and b - a > n for a, b in longer):
            continue
        if h.phrase in EFFECT_QUALIFIERS and end in effect_starts:
            continue
        out.append(h)
    return out


_RULED_OUT = {
    "warm": WARM,
    "cool": COOL,
    "bright": BRIGHT,
    "dark": DARK,
    "vivid": VIVID,
    "muted": MUTED,
    "high contrast": HIGH_CONTRAST,
    "low contrast": LOW_CONTRAST,
}


def ruled_out(description: str) -> frozenset[str]:
    """What the description refuses: "warm", "cool", "bright", "dark", "vivid", "muted",
    "high contrast", "low contrast" for a negated word of that group ("not warm", "without
    any punchy colours"), the same for what a negated look does ("not moody" -> "dark",
    "muted"), and negated colour names ("no orange" -> "orange")."""
    tokens = normalise(description)
    out = {name for name, group in _RULED_OUT.items() if find(tokens, group, negated=True)}
    for recipe in COLOURIST_LOOKS:
        if find(tokens, recipe.phrases, negated=True):
            for value, up, down in (
                (recipe.temperature, "warm", "cool"),
                (recipe.light, "bright", "dark"),
                (recipe.saturation, "vivid", "muted"),
                (recipe.contrast, "high contrast", "low contrast"),
            ):
                if value:
                    out.add(up if value > 0 else down)
    return frozenset(out | set(colour_words(tokens, negated=True)))


def grade_from_description(description: str, base: GradeStats = NEUTRAL) -> GradeStats:
    """Target statistics for a description: ``base`` (a reference's statistics, or NEUTRAL)
    moved by the description's words. No matching words: ``base`` unchanged.

    Words win where they are clear: on every axis a word speaks to (temperature and tint,
    lightness, contrast, saturation), the reference's value is replaced by the typical photo's
    before the word moves it, so a warm reference cannot cancel "cool" and a dark one cannot
    cancel "bright". The reference gives what the words leave open."""
    w = read_words(description)
    no = ruled_out(description)
    if w == Words() and not no:
        return base
    mean, std = list(base.mean), list(base.std)
    tones = list(base.tones)
    tints = [list(t) for t in base.tints]
    neutral_tones = list(NEUTRAL.tones)
    mid = len(tones) // 2

    # Reset the axes the words speak to. A reference's colour cast is part of its saturation
    # (a "muted" style must not turn orange), and one tone curve holds lightness and contrast.
    # A refused word ("not warm", "no orange") resets its axis without pushing the other way.
    no_colour = bool(no & {"warm", "cool"} or no - set(_RULED_OUT))
    no_saturation = bool(no & {"vivid", "muted"})
    no_tones = bool(no & {"bright", "dark", "high contrast", "low contrast"})
    tint_ranks, limit_tones, even_chroma = base.tint_ranks, base.limit_tones, base.even_chroma
    levels, base_toning = base.levels, base.toning
    # A look read from a reference holds casts on grey (no cast: grey stays grey).
    plain_tints = [[0.0, 0.0]] * 3 if base.casts else [list(t) for t in NEUTRAL.tints]
    # Colour from words goes on after the reference's levels (its hue is what the photo shows).
    words_colour = bool(w.temperature or w.colours or w.split or w.toned or w.saturation)
    if w.temperature or w.colours or w.split or w.toned or w.saturation < 0 or no_colour:
        tints = [list(t) for t in plain_tints]
        tint_ranks = None
        base_toning = None
    if w.saturation or w.toned or w.colours or no_saturation or no_colour:
        std[1], std[2] = NEUTRAL.std[1], NEUTRAL.std[2]
        even_chroma = False
        base_toning = None
    elif w.temperature:  # a grey reference must not wash a warm word away
        std[1], std[2] = max(std[1], NEUTRAL.std[1]), max(std[2], NEUTRAL.std[2])
        even_chroma = False  # nor may evening the chroma out cool an orange photo
    if w.light or w.contrast or w.fade or w.crush or no_tones:
        tones = neutral_tones
        limit_tones = False
        levels = None

    # Move them.
    if w.light > 0:
        tones = [t + (100 - t) * 0.25 * w.light for t in tones]
    elif w.light < 0:
        tones = [t * (1 + 0.22 * w.light) for t in tones]
    if w.saturation:
        factor = 1.7**w.saturation if w.saturation > 0 else 0.55 ** (-w.saturation)
        if levels and w.saturation > 0:  # a reference's lifted blacks grey every colour
            factor /= 1 - levels[1]
        std[1] *= factor
        std[2] *= factor
        if w.temperature < 0 < w.saturation:  # "cold neon": vivid, but no golden yellows
            std[2] = min(std[2], NEUTRAL.std[2])
    if w.contrast:
        k = 1 + 0.45 * w.contrast if w.contrast > 0 else 1 / (1 - 0.45 * w.contrast)
        m = tones[mid]  # around the median, so "dark, high contrast" stays dark
        tones = [min(100.0, max(0.0, m + (t - m) * k)) for t in tones]
    if w.fade:
        tones = [t + (16 - 0.2 * t) * w.fade for t in tones]  # lift blacks, dim whites a little
    if w.crush:  # the darkest tones toward black; from L 40 up nothing moves
        k = min(0.95, 0.9 * w.crush)
        tones = [t * (1 - k * max(0.0, 1 - t / 40) ** 1.5) for t in tones]
    colours = [_TINT_RGB.get(name, COLOUR_NAMES[name]) for name in w.colours]
    if colours and not w.toned:
        for band, rgb in ((0, colours[0]), (2, colours[-1])):
            vivid = 1.3**w.saturation if w.saturation > 0 else 1.0  # "neon teal": more teal
            ca, cb = _tint_of(rgb, 22.0 * vivid, 0.6 * vivid)
            tints[band][0] += ca
            tints[band][1] += cb
        if colours[0] == colours[-1]:  # one colour: a tint over every tone
            tints[1] = [(tints[0][0] + tints[2][0]) / 2, (tints[0][1] + tints[2][1]) / 2]
    if w.split and not colours and not w.toned:  # a look's split toning, unless colours are named
        for band, (ca, cb) in ((0, w.split[0]), (2, w.split[1])):
            tints[band][0] += ca
            tints[band][1] += cb
    if w.temperature and not w.toned:
        # Named colours keep their hue in shadows and highlights; temperature then works on
        # the midtones only. Without colour names it warms or cools every band.
        bands, k = ((1,), 0.7) if colours else ((0, 1, 2), 1.0)
        for i in bands:
            tints[i][0] += 3 * k * w.temperature
            tints[i][1] += 11 * k * w.temperature
    toning = base_toning
    if w.sepia and not w.duotone:
        toning = SEPIA_TONING
    elif w.duotone:
        names = list(w.colours) or list(DEFAULT_DUOTONE_NAMES)
        ends = sorted(
            {names[0]: None, names[-1]: None}, key=lambda n: rgb_to_lab(COLOUR_NAMES[n])[0]
        )
        dark, light = COLOUR_NAMES[ends[0]], COLOUR_NAMES[ends[-1]]
        toning = (_tint_of(dark, 24.0, 0.8), _tint_of(light, 18.0, 0.6))
    mean[0] += sum(tones) / len(tones) - sum(base.tones) / len(base.tones)
    mean[1] += sum(t[0] for t in tints) / 3 - sum(t[0] for t in base.tints) / 3
    mean[2] += sum(t[1] for t in tints) / 3 - sum(t[1] for t in base.tints) / 3
    tones = sorted(min(100.0, max(0.0, t)) for t in tones)
    return replace(
        base,
        mean=tuple(mean),
        std=tuple(std),
        tones=tuple(tones),
        tints=tuple(tuple(t) for t in tints),  # type: ignore[arg-type]
        mono=w.mono and toning is None,
        toning=toning,
        posterize=w.posterize,
        tint_ranks=tint_ranks,
        limit_tones=limit_tones,
        even_chroma=even_chroma,
        hue_moves=() if w.toned else w.hue_moves,
        levels=levels,
        levels_first=bool(levels) and words_colour,
        # a reference's tinted black is its colour: gone with words on colour, or refused colour
        black_tint=base.black_tint if levels and not (words_colour or no_colour) else None,
    )


def _tint_of(rgb: tuple[int, int, int], most: float, share: float) -> Tint:
    """An (a, b) shift in the hue of ``rgb``: ``share`` of its chroma, at most ``most``."""
    _, ca, cb = rgb_to_lab(rgb)
    c = math.hypot(ca, cb) or 1.0
    k = min(most, share * c) / c
    return ca * k, cb * k


def lut_from_description(
    description: str, *, strength: float = DEFAULT_STRENGTH
) -> ImageFilter.Color3DLUT:
    return build_lut(grade_from_description(description), strength=strength)


# -- what the words did -------------------------------------------------------------------------

_GRADE_GROUPS: tuple[tuple[tuple[str, ...], str], ...] = (
    (WARM, "warmer colours"),
    (COOL, "cooler colours"),
    (BRIGHT, "brighter"),
    (DARK, "darker"),
    (VIVID, "more saturated"),
    (MUTED, "less saturated"),
    (HIGH_CONTRAST, "more contrast"),
    (LOW_CONTRAST, "less contrast"),
    (FADED, "lifted blacks (faded)"),
)
_TONED_LABELS = {
    "mono": "black and white",
    "sepia": "sepia toning",
    "duotone": "duotone",
    "posterize": "posterized tones",
}
EFFECT_LABELS = {
    "glow": "soft glow",
    "sketch": "ink lines",
    "halftone": "halftone dots",
    "pixel": "pixel art",
    "light_leak": "light leak",
    "vignette": "vignette",
    "grain": "film grain",
}
_FILLER = frozenset(
    """a an the and or with of in on for to at by from into as like my our your its is it
    this that some look looks looking style styled feel feeling vibe vibes tone tones toned
    colour colours color colors photo photos photograph image images picture pictures shot
    shots effect effects very really more less bit kind sort type""".split()
)


def explain(description: str, *, has_reference: bool = False) -> dict[str, Any]:
    """What each understood word did, the words that were not understood, what goes into the
    .cube and what is an effect (rendered by Style Studio only). JSON-able, for the detail pane.
    """
    tokens = normalise(description)
    w = read_words(description)
    effects_by_phrase: dict[str, list[str]] = {}
    covered: set[int] = set()

    def note(hits: list[Hit], label: str) -> None:
        for h in hits:
            effects_by_phrase.setdefault(h.phrase, [])
            if label not in effects_by_phrase[h.phrase]:
                effects_by_phrase[h.phrase].append(label)
            covered.update(range(h.position, h.position + len(h.phrase.split())))

    spans = _spans(tokens)
    for phrases, label in _GRADE_GROUPS:
        note(_kept(find(tokens, phrases), spans), label)
    for recipe in COLOURIST_LOOKS:
        note(_kept(find(tokens, recipe.phrases), spans), recipe.label)
    for name, label in _TONED_LABELS.items():
        note(find(tokens, LOOK_WORDS[name]), label)
    if not w.toned:
        if len(w.colours) > 1:
            roles = {w.colours[0]: "shadows", w.colours[-1]: "highlights"}
        else:
            roles = {c: "tint" for c in w.colours}
    else:
        roles = {c: "duotone ink" if w.duotone else "ignored (monochrome)" for c in w.colours}
    names = {name: name for name in COLOUR_NAMES} | COLOUR_SYNONYMS
    for h in find(tokens, names):
        name = names[h.phrase]
        if name in roles:
            role = roles[name]
            label = f"{name} {role}" if role in ("shadows", "highlights", "tint") else role
            note([h], label)
    for name, label in EFFECT_LABELS.items():
        hits = find(tokens, LOOK_WORDS[name])
        note(hits, f"{label} (effect)")
        # "soft grain", "dark vignette": the word before is said of the effect
        covered.update(
            h.position - 1
            for h in hits
            if h.position and tokens[h.position - 1] in EFFECT_QUALIFIERS
        )
    for h in find(tokens, _all_phrases(), negated=True):
        effects_by_phrase.setdefault(f"not {h.phrase}", ["left out"])
        covered.update(range(max(0, h.position - 1), h.position + len(h.phrase.split())))
    unknown: list[str] = []
    for i, tok in enumerate(tokens):
        if i in covered or not tok.isalpha() or tok in _FILLER or is_modifier(tok):
            continue
        if tok not in unknown:
            unknown.append(tok)
    in_cube = ["tone curve and colour from the reference"] if has_reference else []
    for label in (
        *(label for _, label in _GRADE_GROUPS),
        *(recipe.label for recipe in COLOURIST_LOOKS),
        *_TONED_LABELS.values(),
    ):
        if any(label in v for v in effects_by_phrase.values()) and label not in in_cube:
            in_cube.append(label)
    for labels in effects_by_phrase.values():
        for label in labels:
            if label.endswith((" shadows", " highlights", " tint")) and label not in in_cube:
                in_cube.append(label)
            if label == "duotone ink" and "duotone" not in in_cube:
                in_cube.append("duotone")
    effects = [EFFECT_LABELS[lk.name] for lk in choose_looks(description)]
    return {
        "words": [
            {"word": phrase, "effect": ", ".join(labels)}
            for phrase, labels in effects_by_phrase.items()
        ],
        "unknown_words": unknown,
        "in_cube": in_cube,
        "effects": effects,
    }


def _all_phrases() -> tuple[str, ...]:
    phrases: list[str] = []
    for group, _ in _GRADE_GROUPS:
        phrases += group
    for words in LOOK_WORDS.values():
        phrases += words
    for recipe in COLOURIST_LOOKS:
        phrases += recipe.phrases
    return tuple(dict.fromkeys(phrases))
