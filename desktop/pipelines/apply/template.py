"""A batch's output name template (``stylestudio apply --name "{stem}-{style}"``, the Apply
dialog's *Names* field): literal text with the fields ``{stem}`` (the photo's own name, without
its extension), ``{style}`` (the style's name, as a file name may hold it), ``{n}`` (the photo's
number in the batch, from 1; ``{n:03}`` pads it to 3 digits) and ``{date}`` (the day the batch
was queued, YYYY-MM-DD). The output format's extension is added after it.

A template is refused in one sentence (``refusal``) when it has an unknown field, an unmatched
brace, a path separator or ``..``, starts with a dot (a hidden file), or has neither ``{stem}``
nor ``{n}`` (every photo would get the same name). A name that is taken still gets " (2)":
nothing is ever overwritten (``names.output_name``).
"""

from __future__ import annotations

import re
import string
import time
from pathlib import Path

from desktop.errors import UserError
from desktop.text import file_stem

FIELDS = ("stem", "style", "n", "date")
MAX_TEMPLATE = 200
EXAMPLE = "{stem}-{style}"
_WIDTH = re.compile(r"\A0?[1-9]d?\Z")  # {n:03}, {n:3}, {n:03d}
_FORMATTER = string.Formatter()


def _shown(template: str) -> str:
    return template if len(template) <= 60 else template[:57] + "…"


def refusal(template: str) -> str | None:
    """The one sentence refusing ``template``, or None when it makes a name for every photo."""
    if not template.strip():
        return f"The name template is empty; write one like {EXAMPLE}, or leave the field empty for the photos' own names."
    if len(template) > MAX_TEMPLATE:
        return f"The name template has {len(template)} characters, over the {MAX_TEMPLATE} it may have; write a shorter one."
    if "/" in template or "\\" in template:
        return "The name template cannot hold / or \\: it names files inside the output folder, so choose another folder for a subfolder."
    if ".." in template:
        return "The name template cannot hold '..': it names files inside the output folder."
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in template):
        return "The name template cannot hold control characters such as tabs or line breaks."
    if template.startswith("."):
        return "The name template cannot start with a dot: that makes hidden files."
    try:
        parts = list(_FORMATTER.parse(template))
    except ValueError:
        return "The name template has an unmatched { or }; write a field as {stem}, and a brace itself as {{ or }}."
    used: set[str] = set()
    for _text, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in FIELDS:
            shown = name if len(name) <= 30 else name[:29] + "…"
            return f"The name template has an unknown field {{{shown}}}; use {{stem}}, {{style}}, {{n}} or {{date}}."
        if conversion or (spec and (name != "n" or not _WIDTH.match(spec))):
            return f"The field {{{name}}} takes no options in a name template; only {{n}} takes a width, like {{n:03}}."
        used.add(name)
    if not used & {"stem", "n"}:
        return f"The name template {_shown(template)} gives every photo the same name; add {{stem}} (the photo's own name) or {{n}} (its number in the batch)."
    return None


def check(template: str) -> None:
    """Raise UserError (one sentence) when ``template`` is refused."""
    why = refusal(template)
    if why is not None:
        raise UserError(why)


def day_of(timestamp: float) -> str:
    """``{date}``: the local day of ``timestamp`` (the batch's queueing), YYYY-MM-DD."""
    return time.strftime("%Y-%m-%d", time.localtime(timestamp))


def render(template: str, input_path: str, style_name: str, position: int, date: str) -> str:
    """The name (without extension) ``template`` gives the photo at ``position`` (0-based) of
    the batch; the template was checked (``check``)."""
    stem = Path(input_path).stem or "photo"
    name = template.format(stem=stem, style=file_stem(style_name, "Styled"), n=position + 1, date=date)
    return name.strip() or stem
