"""What the detail pane says about how a style came to be: the words Style Studio understood
and what each did, the words it did not, what is in the ``.cube`` and what is an effect only
Style Studio renders, and how well the style matches its reference, in plain words.

Pure functions of a style's stored ``params`` (see ``StylePlan.style_params``): no Qt, so they
are cheap to test and the pane only sets the text they return.
"""

from __future__ import annotations

import re
from typing import Any


def words_text(params: dict[str, Any], description: str = "") -> str:
    """One line per understood word (or phrase), "warm → warmer colours", then the words that
    were not understood. Words with the same effect that stand together in the description
    are said together ("film grain → film grain (effect)")."""
    words = params.get("words")
    unknown = [str(w) for w in params.get("unknown_words") or []]
    if words is None and not unknown:
        return "This style was made before Style Studio said which of your words it understood."
    lines = [f"{phrase} → {_said(phrase, effect)}" for phrase, effect in _grouped(words or [], description)]
    if not lines:
        if params.get("source") == "edit":
            lines.append("No word Style Studio knows; the look comes from your edit.")
        elif params.get("backend") == "imported":
            lines.append("No words: the look comes from the LUT file it was imported from.")
        elif params.get("in_cube"):
            lines.append("No word Style Studio knows; the look comes from the reference.")
        else:
            lines.append("No word Style Studio knows.")
    if unknown:
        lines.append("Not understood: " + ", ".join(unknown))
    return "\n".join(lines)


def _said(phrase: str, effect: str) -> str:
    """"film grain → effect" rather than "film grain → film grain (effect)"."""
    return "effect" if effect.lower() == f"{phrase.lower()} (effect)" else effect


def _grouped(words: list[Any], description: str) -> list[tuple[str, str]]:
    text = " ".join(re.findall(r"[\w']+", description.lower()))
    by_effect: dict[str, list[str]] = {}
    for entry in words:
        if not isinstance(entry, dict):
            continue
        word, effect = str(entry.get("word", "")).strip(), str(entry.get("effect", "")).strip()
        if word and effect:
            by_effect.setdefault(effect, []).append(word)
    out: list[tuple[str, str]] = []
    for effect, group in by_effect.items():
        group.sort(key=lambda w: (text.find(w.lower()) if w.lower() in text else len(text), w))
        together = " ".join(group)
        phrase = together if len(group) > 1 and together.lower() in text else ", ".join(group)
        out.append((phrase, effect))
    return out


def cube_text(params: dict[str, Any]) -> str:
    """"In the .cube: …" and "Effects (Style Studio only): …"."""
    if "in_cube" not in params and "effects" not in params:
        return "In the .cube: the style's colour grade.\nEffects (Style Studio only): not recorded for this older style."
    in_cube = [str(x) for x in params.get("in_cube") or []]
    effects = [str(x) for x in params.get("effects") or []]
    first = "In the .cube: " + (", ".join(in_cube) if in_cube else "nothing yet (it leaves colours as they are)")
    if effects:
        second = "Effects (Style Studio only): " + ", ".join(effects) + " (other apps using the .cube do not show these)"
    else:
        second = "Effects (Style Studio only): none; the .cube carries the whole look"
    story = [str(x) for x in params.get("edit_story") or []]  # what an edit did that a .cube cannot
    return "\n".join([first, second, *story])


def quality_text(params: dict[str, Any]) -> str:
    """What the style's quality figures mean for a person, or "" when it has none (no
    reference). A style whose colour words lead is said to follow them, and how much of the
    reference's colours still come through; never that it is "further" from a reference its
    words were meant to move away from."""
    quality = params.get("quality")
    if not isinstance(quality, dict):
        return ""
    edit = quality.get("edit_pct")
    if isinstance(edit, int | float):
        return (
            f"Follows your edit: on the photo you edited, the .cube reproduces {edit:.0f}% of the change "
            "from the original to the edit."
        )
    closer = quality.get("closer_pct")
    if not isinstance(closer, int | float):
        return ""
    at = quality.get("strength")
    where = str(quality.get("measured_on") or "the sample photos")
    measured = f"on {where}" + (f" at {at:.0f} %" if isinstance(at, int | float) else "")
    way = max(0, round(closer))
    words = colour_words(params)
    if words:
        said = f"Follows your words ({', '.join(words)})"
        if way >= LITTLE:
            line = f"{said}; the reference's colours come {way} % of the way ({measured})."
        else:
            line = f"{said}: they set the colours, so little of the reference's own colours shows ({measured})."
    elif way >= LITTLE:
        line = f"Follows the reference: its colours come {way} % of the way ({measured})."
        if way < 50 and isinstance(at, int | float) and at < 100:
            line += " A higher strength brings more."
    else:
        more = " a higher strength, or" if isinstance(at, int | float) and at < 100 else ""
        line = (
            f"Little of the reference's colours shows ({way} % of the way, {measured}); "
            f"for more, try{more} a reference with a clearer colour look."
        )
    ssim = quality.get("ssim")
    if isinstance(ssim, int | float):
        line += f" Detail kept: {ssim:.2f} (1.00 is untouched)."
    return line


LITTLE = 5  # below this % of the way, the reference's colours are said to show little


def colour_words(params: dict[str, Any]) -> list[str]:
    """The understood words that set the style's colours (not its effects, not the words an
    edit's colours overrule), in the order stored."""
    out: list[str] = []
    for entry in params.get("words") or []:
        if not isinstance(entry, dict):
            continue
        word, effect = str(entry.get("word", "")).strip(), str(entry.get("effect", "")).strip()
        if word and effect and not effect.endswith("(effect)") and not effect.startswith("not used") and word not in out:
            out.append(word)
    return out
