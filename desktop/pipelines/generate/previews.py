"""Which photos a new style's previews are rendered over: its reference first, then bundled
sample photos, starting on a different one per style (by its seed), so gallery cards differ."""

from __future__ import annotations

from pathlib import Path

REFERENCE = "reference"  # a preview source: the style's own reference photo


def plan_previews(reference_path: str | None, count: int, seed: int) -> list[str]:
    """What a local style's previews are rendered over, in order: ``"reference"`` first when
    there is one, then bundled sample photos by file name, each at most once (a sample that is
    the reference itself is left out), starting at ``first_sample(seed)``. So there are at most
    1 + the number of samples, whatever ``count`` asks."""
    import hashlib

    from desktop.resources import sample_photos

    samples = sample_photos()
    skip: set[str] = set()
    if reference_path:
        digest = hashlib.sha256(Path(reference_path).read_bytes()).hexdigest()
        skip = {p.name for p in samples if hashlib.sha256(p.read_bytes()).hexdigest() == digest}
    first = first_sample(seed)
    ordered = [samples[(first + i) % len(samples)].name for i in range(len(samples))] if samples else []
    sources = ([REFERENCE] if reference_path else []) + [name for name in ordered if name not in skip]
    return sources[: max(1, count)]


def sample_index(name: str) -> int:
    from desktop.resources import sample_photos

    return [p.name for p in sample_photos()].index(name)


def first_sample(seed: int) -> int:
    """Which bundled sample photo a style's first preview is rendered over: one picked by the
    seed among those with colours and tones to judge a look on (not a nearly black one)."""
    from desktop.resources import DARK_SAMPLES, sample_photos

    samples = sample_photos()
    judging = [i for i, photo in enumerate(samples) if photo.name not in DARK_SAMPLES] or list(range(len(samples)))
    return judging[seed % len(judging)] if judging else 0
