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
    """The style's quality figures in plain words, or "" when it has none (no reference)."""
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
    where = quality.get("measured_on") or "the sample photos"
    strength = f" at {at} %" if isinstance(at, int | float) else ""
    if closer >= 0:
        line = f"Reference match: {closer:.0f}% closer. Applied{strength}, the .cube brings {where} {closer:.0f}% closer to the reference's average colour and contrast."
    else:
        line = (
            f"Reference match: {-closer:.0f}% further. Applied{strength}, the .cube takes {where} "
            f"{-closer:.0f}% further from the reference's colours: your words lead elsewhere."
        )
    ssim = quality.get("ssim")
    if isinstance(ssim, int | float):
        line += f" Detail kept: {ssim:.2f} (1.00 is untouched)."
    return line
