"""Prompt builders: an offline template, and an optional OpenAI-compatible chat endpoint.

``build_prompt`` is what the pipeline calls. Without an endpoint it returns the template. With
one, it asks the chat model to rewrite the template into a better image prompt; when that fails
for any reason it still returns the template, plus a note for the job message saying why
("The prompt service at 127.0.0.1:8123 could not be reached, so the built-in template was
used."). Generation never fails because the prompt service is down.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from desktop.errors import UserError
from desktop.imaging.description import read_words, ruled_out

log = logging.getLogger(__name__)

MAX_DESCRIPTION_CHARS = 2000
MAX_PALETTE_COLOURS = 6
FALLBACK_SUBJECT = "An evocative image"
STYLE_SUFFIX = "Cohesive colour grading and a consistent look across every image, high detail."

SYSTEM_MESSAGE = (
    "You write prompts for a text-to-image model. Rewrite the user's draft into one vivid prompt "
    "of at most 80 words that keeps every colour, mood and look it names. Reply with the prompt "
    "only: no preamble, no quotes, no lists."
)


@dataclass(frozen=True)
class PromptEndpoint:
    """An OpenAI-compatible server: ``base_url`` ends before ``/chat/completions`` (e.g. ``.../v1``)."""

    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 20.0


class PromptServiceError(UserError):
    """The chat endpoint failed. ``reason`` is the sentence's first half, for build_prompt's note."""

    def __init__(self, reason: str, advice: str) -> None:
        super().__init__(f"{reason}. {advice}")
        self.reason = reason


# ---------------------------------------------------------------------------- template
def _one_line(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _palette_text(palette: Any) -> str:
    if not isinstance(palette, list | tuple):
        return ""
    colours = []
    for entry in palette:
        if isinstance(entry, dict):
            name = _one_line(entry.get("name"))
            hex_value = _one_line(entry.get("hex")).lstrip("#").upper()
        elif isinstance(entry, str):
            name, hex_value = "", _one_line(entry).lstrip("#").upper()
        else:
            continue
        hex_ok = len(hex_value) in (3, 6) and all(c in "0123456789ABCDEF" for c in hex_value)
        if name and hex_ok:
            colours.append(f"{name} (#{hex_value})")
        elif name:
            colours.append(name)
        elif hex_ok:
            colours.append(f"#{hex_value}")
        if len(colours) == MAX_PALETTE_COLOURS:
            break
    return ", ".join(colours)


# The reference's palette and mood only fill in what the description leaves open: words win.
_WARM_NAMES = frozenset(
    "brown tan orange amber gold yellow beige cream coral salmon red crimson maroon chocolate".split()
)
_COOL_NAMES = frozenset(
    "blue navy teal turquoise indigo lavender mint purple".split() + ["sky blue"]
)
_MOOD_OF = {"vivid": "saturated", "low contrast": "soft contrast"}  # ruled_out -> mood words
_MOOD_AXES = {  # mood words from analysis.describe_mood, by axis
    "temperature": ("warm", "cool", "neutral"),
    "light": ("bright", "dark", "mid-toned"),
    "saturation": ("saturated", "muted", "moderately colourful"),
    "contrast": ("high contrast", "soft contrast", "normal contrast"),
}


def _agreeing_palette(palette: Any, description: str) -> Any:
    if not isinstance(palette, list | tuple):
        return palette
    w = read_words(description)
    no = ruled_out(description)  # "no orange", "not warm"
    if w.toned:  # black and white, sepia, duotone: the reference's colours would contradict
        return []
    if w.colours:  # the named colours lead; the reference's are left out
        return []

    def name_of(entry: Any) -> str:
        return _one_line(entry.get("name")).lower() if isinstance(entry, dict) else ""

    banned = set(no)
    if w.temperature < 0 or "warm" in no:
        banned |= _WARM_NAMES
    if w.temperature > 0 or "cool" in no:
        banned |= _COOL_NAMES
    return [e for e in palette if name_of(e) not in banned]


def _agreeing_mood(mood: str, description: str) -> str:
    """The reference's mood line without the parts the description speaks to."""
    if not mood:
        return mood
    w = read_words(description)
    spoken = {
        "temperature": bool(w.temperature or w.colours or w.toned),
        "light": bool(w.light),
        "saturation": bool(w.saturation or w.toned),
        "contrast": bool(w.contrast or w.fade),
    }
    # What the description rules out ("not warm", "no high contrast") is left out too.
    no = ruled_out(description)
    refused = {_MOOD_OF.get(word, word) for word in no}
    parts = [p.strip() for p in mood.replace(" and ", ", ").split(",") if p.strip()]
    kept = [
        p
        for p in parts
        if p not in refused
        and not any(spoken[axis] and p in words for axis, words in _MOOD_AXES.items())
    ]
    return ", ".join(kept)


def template_prompt(description: str, analysis: dict[str, Any] | None) -> str:
    """A deterministic prompt from the description and (optionally) the reference's analysis.

    Uses ``analysis["palette"]`` (a list of ``{"hex", "name"}``) and ``analysis["mood"]`` when
    present; anything missing or malformed is skipped.
    """
    subject = _one_line(description)[:MAX_DESCRIPTION_CHARS].rstrip(" .") or FALLBACK_SUBJECT
    sentences = [subject[0].upper() + subject[1:] + "."]
    analysis = analysis if isinstance(analysis, dict) else {}
    style = []
    palette = _palette_text(_agreeing_palette(analysis.get("palette"), description))
    if palette:
        style.append(f"colour palette of {palette}")
    mood = _agreeing_mood(_one_line(analysis.get("mood")).rstrip("."), description)
    if mood:
        style.append(f"{mood} mood")
    if style:
        sentences.append("Style: " + "; ".join(style) + ".")
    sentences.append(STYLE_SUFFIX)
    return " ".join(sentences)


# ---------------------------------------------------------------------------- chat endpoint
def _host(base_url: str) -> str:
    parts = urlsplit(base_url)
    return (
        parts.hostname
        and (f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname)
        or base_url
    )


def _redact(text: str, secret: str | None) -> str:
    return text.replace(secret, "[redacted]") if secret else text


async def chat_prompt(
    description: str,
    analysis: dict[str, Any] | None,
    *,
    base_url: str,
    model: str,
    api_key: str | None,
    timeout: float = 20.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> str:
    """Ask ``POST {base_url}/chat/completions`` to write the prompt; raise ``UserError`` on failure."""
    where = f"The prompt service at {_host(base_url)}"
    url = base_url.rstrip("/") + "/chat/completions"
    if urlsplit(url).scheme not in ("http", "https"):
        raise PromptServiceError(
            f"{where} has an address that is not a web address", "Check it in Settings."
        )
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    draft = template_prompt(description, analysis)
    body = {
        "model": model,
        "messages": [
            {"role": "system", "content": SYSTEM_MESSAGE},
            {
                "role": "user",
                "content": f"Description: {_one_line(description)}\nDraft prompt: {draft}",
            },
        ],
        "temperature": 0.4,
        "max_tokens": 300,
        "stream": False,
    }
    try:
        async with httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(timeout)) as client:
            response = await client.post(url, json=body, headers=headers)
    except httpx.TimeoutException:
        raise PromptServiceError(
            f"{where} did not answer within {timeout:g} seconds",
            "Try again, or turn it off in Settings.",
        ) from None
    except httpx.TransportError as exc:
        log.info("prompt service %s failed: %s", _host(base_url), type(exc).__name__)
        raise PromptServiceError(
            f"{where} could not be reached", "Check its address in Settings."
        ) from None

    code = response.status_code
    if code in (401, 403):
        raise PromptServiceError(f"{where} refused the API key", "Check the key in Settings.")
    if code == 404:
        raise PromptServiceError(
            f'{where} has no chat endpoint or no model called "{_redact(model, api_key)}"',
            "Check its address and model in Settings.",
        )
    if not 200 <= code < 300:
        raise PromptServiceError(
            f"{where} failed (HTTP {code})", "Try again later, or turn it off in Settings."
        )
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        content = None
    if not isinstance(content, str):
        raise PromptServiceError(
            f"{where} did not send a chat completion", "Check that it is OpenAI-compatible."
        )
    prompt = content.strip().strip('"“”').strip()
    if not prompt:
        raise PromptServiceError(f"{where} sent an empty prompt", "Try another model in Settings.")
    return prompt


async def build_prompt(
    description: str, analysis: dict[str, Any] | None, *, endpoint: PromptEndpoint | None
) -> tuple[str, str | None]:
    """(prompt, note): the chat endpoint's prompt when configured and working, else the template.

    ``note`` is None unless the endpoint was configured and failed; then it says why, for the
    job's message. Never raises because of the endpoint.
    """
    if endpoint is None:
        return template_prompt(description, analysis), None
    try:
        prompt = await chat_prompt(
            description,
            analysis,
            base_url=endpoint.base_url,
            model=endpoint.model,
            api_key=endpoint.api_key,
            timeout=endpoint.timeout,
        )
        return prompt, None
    except PromptServiceError as exc:
        reason = exc.reason
    except Exception as exc:  # never fail a generation because the prompt helper broke
        log.warning("prompt service failed unexpectedly: %s", type(exc).__name__)
        reason = f"The prompt service at {_host(endpoint.base_url)} failed"
    return template_prompt(description, analysis), f"{reason}, so the built-in template was used."
