"""Generic checks on a job's payload, the same for every job type, made before its own schema.

A payload is untrusted input (the command line, another process, a row from an older version):
it must be a JSON object of plain JSON values, with finite numbers only, at most ``MAX_DEPTH``
levels deep and at most ``MAX_BYTES`` once encoded. ``parse_payload_json`` reads one from text
(``stylestudio jobs enqueue --payload``); ``check_payload`` checks one built in Python (the
window). Both raise ``UserError`` with one sentence, and neither recurses, so a hostile payload
60,000 levels deep gets a sentence rather than a ``RecursionError``.
"""

from __future__ import annotations

import json
import math
from typing import Any

from desktop.errors import UserError

MAX_DEPTH = 32  # the object itself is level 1
MAX_BYTES = 64 * 1024  # encoded as the jobs table stores it
EXAMPLE = "like '{\"seconds\": 2}'"

_SCALARS = (str, int, float, bool, type(None))


def _too_big() -> UserError:
    return UserError(
        f"The payload is larger than the {MAX_BYTES // 1024} KiB a job's payload may hold; "
        "pass file names instead of file contents."
    )


def _too_deep() -> UserError:
    return UserError(
        f"The payload is nested more than {MAX_DEPTH} levels deep; give a flat object {EXAMPLE}."
    )


def _not_finite(text: str) -> UserError:
    return UserError(
        f"The payload holds the number {text}, which is not a finite number; use an ordinary number {EXAMPLE}."
    )


def _json_depth_exceeds(text: str, limit: int) -> bool:
    """True when the brackets of ``text`` (outside strings) nest deeper than ``limit``."""
    depth = 0
    in_string = False
    escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def _too_many_digits() -> UserError:
    return UserError(f"The payload holds a number with thousands of digits; use an ordinary number {EXAMPLE}.")


def _refuse_constant(name: str) -> Any:
    raise _not_finite(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 overflows to inf
        raise _not_finite(text if len(text) <= 40 else text[:37] + "...")
    return value


def parse_payload_json(text: str) -> dict[str, Any]:
    """Read a payload given as JSON text; raises UserError with one sentence when it is refused."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise _too_big()
    if _json_depth_exceeds(text, MAX_DEPTH):
        raise _too_deep()
    try:
        payload = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"The payload is not valid JSON ({exc.msg} at character {exc.pos}); give an object {EXAMPLE}."
        ) from None
    except RecursionError:  # pragma: no cover - the bracket scan above refuses this first
        raise _too_deep() from None
    except ValueError:  # an integer of more digits than Python will read
        raise _too_many_digits() from None
    if not isinstance(payload, dict):
        raise UserError(f"The payload must be a JSON object, {EXAMPLE}.")
    check_payload(payload)
    return payload


def check_payload(payload: dict[str, Any]) -> None:
    """Check a payload built in Python: a dict of JSON values with string keys, finite numbers,
    at most MAX_DEPTH levels and MAX_BYTES encoded. Raises UserError with one sentence."""
    if not isinstance(payload, dict):
        raise UserError(f"The payload must be a JSON object, {EXAMPLE}.")
    # Walk without recursion; a depth bound also ends a walk through a container holding itself.
    stack: list[tuple[Any, int]] = [(payload, 1)]
    lower_bound = 0  # bytes the encoding needs at least: stops early on a huge payload
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_DEPTH:
                raise _too_deep()
            for key, item in value.items():
                if not isinstance(key, str):
                    raise UserError(
                        f"The payload's keys must be text, but one is {type(key).__name__} {key!r:.40}; use names {EXAMPLE}."
                    )
                lower_bound += len(key) + 4
                stack.append((item, depth + 1))
        elif isinstance(value, list | tuple):
            if depth > MAX_DEPTH:
                raise _too_deep()
            lower_bound += 2 + len(value)
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise _not_finite(repr(value))
            lower_bound += 1
        elif isinstance(value, _SCALARS):
            lower_bound += len(value) if isinstance(value, str) else 1
        else:
            raise UserError(
                f"The payload holds a {type(value).__name__}, which JSON cannot carry; use text, numbers, "
                f"true/false, null, lists and objects {EXAMPLE}."
            )
        if lower_bound > MAX_BYTES:
            raise _too_big()
    try:
        size = len(json.dumps(payload, allow_nan=False))
    except ValueError:  # an integer of more digits than Python will write
        raise _too_many_digits() from None
    if size > MAX_BYTES:
        raise _too_big()
