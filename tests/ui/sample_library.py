"""A library of ready-made styles for UI tests (and screenshots), written straight to the
database and the styles folder, without running the pipeline."""

from __future__ import annotations

import json
import time
from pathlib import Path

from PIL import Image, ImageOps

from desktop.config import resolve_paths
from desktop.db.engine import Database
from desktop.db.models import Style, StyleImage
from desktop.resources import sample_photos

LOOKS = [
    ("Teal Dusk", "teal shadows, warm highlights, soft film grain", ("#0f3b47", "#f3c38b")),
    ("Rose Print", "risograph pink and navy, posterized", ("#1d2a5b", "#f2a3b8")),
    ("Moss Archive", "faded green archive photo, gentle vignette", ("#1f2d1c", "#d9dcb0")),
    ("Sodium Night", "orange street light and deep blue night", ("#0b1733", "#ffb347")),
    ("Paper Sun", "sunlit sepia paper, soft focus", ("#3b2412", "#f5e3c0")),
    ("Ice Lab", "cold clinical blue, high key", ("#1a2f45", "#e8f4ff")),
    ("Plum Noir", "plum shadows, creamy highlights, heavy grain", ("#2a0f2e", "#f0d9c4")),
    ("Citrus Pop", "lime and tangerine duotone", ("#2d5016", "#ffa94d")),
]


def _graded(photo: Path, dark: str, light: str, size: int = 384) -> Image.Image:
    with Image.open(photo) as im:
        im = ImageOps.fit(im.convert("RGB"), (size, size * 3 // 4))
    return ImageOps.colorize(ImageOps.grayscale(im), black=dark, white=light, mid=None)


def add_styles(home: Path | str | None = None, count: int = 6, previews: int = 2, start_time: float | None = None) -> list[int]:
    """Add ``count`` styles (newest last); returns their ids. The database must be migrated."""
    paths = resolve_paths(home)
    db = Database(paths.database_url())
    photos = sample_photos()
    ids: list[int] = []
    base = start_time if start_time is not None else time.time()
    try:
        for n in range(count):
            name, description, (dark, light) = LOOKS[n % len(LOOKS)]
            if n >= len(LOOKS):
                name = f"{name} {n // len(LOOKS) + 1}"
            with db.write_session() as s:
                style = Style(
                    name=name,
                    description=description,
                    prompt=f"{description}, cinematic colour grade",
                    generator="local",
                    folder="",
                    analysis=json.dumps(
                        {"palette": [{"hex": dark, "name": "shadow"}, {"hex": light, "name": "highlight"}, {"hex": "#808080", "name": "mid grey"}]}
                    ),
                    params="{}",
                    created_at=base + n * 0.001,  # newest last, none in the future
                )
                s.add(style)
                s.flush()
                folder = Path("styles") / f"{style.id:06d}"
                (paths.home / folder).mkdir(parents=True, exist_ok=True)
                style.folder = str(folder)
                lut = folder / "style.cube"
                (paths.home / lut).write_text("LUT_3D_SIZE 2\n" + "0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n")
                style.lut_path = str(lut)
                for i in range(previews):
                    img = _graded(photos[(n + i) % len(photos)], dark, light)
                    rel = folder / f"preview_{i + 1}.jpg"
                    thumb = folder / f"preview_{i + 1}.thumb.webp"
                    img.save(paths.home / rel, "JPEG", quality=85)
                    t = img.copy()
                    t.thumbnail((256, 256))
                    t.save(paths.home / thumb, "WEBP", quality=80)
                    s.add(StyleImage(style_id=style.id, position=i, path=str(rel), thumb_path=str(thumb), width=img.width, height=img.height))
                ids.append(style.id)
    finally:
        db.dispose()
    return ids
