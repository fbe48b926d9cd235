"""The style library: reading, searching and deleting styles (rows and their files).

Styles are written only by the ``style.generate`` pipeline (whole or not at all); everything
here is safe to call from any thread except the GUI thread (it touches the database and disk).
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, or_, select

from desktop.config import Paths
from desktop.db.engine import Database
from desktop.db.models import Style, StyleImage
from desktop.errors import UserError
from desktop.jobs.model import iso

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StyleImageInfo:
    position: int
    path: Path
    thumb_path: Path
    width: int
    height: int


@dataclass(frozen=True)
class StyleInfo:
    """A style as the front doors show it; paths are absolute."""

    id: int
    name: str
    description: str
    prompt: str
    generator: str
    folder: Path
    reference_path: Path | None
    lut_path: Path | None
    analysis: dict[str, Any] | None
    params: dict[str, Any]
    job_id: int | None
    created_at: float
    images: tuple[StyleImageInfo, ...] = field(default_factory=tuple)

    @property
    def thumbnail(self) -> Path | None:
        return self.images[0].thumb_path if self.images else None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "prompt": self.prompt,
            "generator": self.generator,
            "folder": str(self.folder),
            "reference": str(self.reference_path) if self.reference_path else None,
            "cube": str(self.lut_path) if self.lut_path else None,
            "analysis": self.analysis,
            "params": self.params,
            "job_id": self.job_id,
            "created_at": iso(self.created_at),
            "previews": [str(i.path) for i in self.images],
            "thumbnails": [str(i.thumb_path) for i in self.images],
        }


def _info(paths: Paths, style: Style, images: list[StyleImage] | None) -> StyleInfo:
    home = paths.home
    return StyleInfo(
        id=style.id,
        name=style.name,
        description=style.description,
        prompt=style.prompt,
        generator=style.generator,
        folder=home / style.folder,
        reference_path=home / style.reference_path if style.reference_path else None,
        lut_path=home / style.lut_path if style.lut_path else None,
        analysis=json.loads(style.analysis) if style.analysis else None,
        params=json.loads(style.params) if style.params else {},
        job_id=style.job_id,
        created_at=style.created_at,
        images=tuple(
            StyleImageInfo(i.position, home / i.path, home / i.thumb_path, i.width, i.height)
            for i in (images or [])
        ),
    )


class Library:
    def __init__(self, db: Database, paths: Paths) -> None:
        self.db = db
        self.paths = paths

    def count(self, search: str = "") -> int:
        with self.db.read_session() as s:
            q = select(func.count(Style.id))
            if search:
                q = q.where(_matches(search))
            return int(s.scalar(q) or 0)

    def list(self, search: str = "", *, limit: int | None = None, offset: int = 0) -> list[StyleInfo]:
        """Styles newest first, each with its first preview's thumbnail only (cheap for a
        gallery of thousands)."""
        with self.db.read_session() as s:
            q = select(Style).order_by(Style.created_at.desc(), Style.id.desc()).offset(offset)
            if search:
                q = q.where(_matches(search))
            if limit is not None:
                q = q.limit(limit)
            styles = list(s.scalars(q))
            firsts: dict[int, StyleImage] = {}
            if styles:
                ids = [st.id for st in styles]
                img_q = select(StyleImage).where(StyleImage.style_id.in_(ids), StyleImage.position == 0)
                for img in s.scalars(img_q):
                    firsts[img.style_id] = img
            return [_info(self.paths, st, [firsts[st.id]] if st.id in firsts else []) for st in styles]

    def get(self, style_id: int) -> StyleInfo | None:
        with self.db.read_session() as s:
            style = s.get(Style, style_id)
            if style is None:
                return None
            return _info(self.paths, style, list(style.images))

    def require(self, style_id: int) -> StyleInfo:
        info = self.get(style_id)
        if info is None:
            raise UserError(f"There is no style {style_id}; 'stylestudio styles list' shows the styles there are.")
        return info

    def delete(self, style_id: int) -> None:
        """Delete the style's row and its folder. The uploaded reference stays (other styles may
        share it: uploads are stored once per content)."""
        info = self.require(style_id)
        with self.db.write_session() as s:
            s.execute(delete(StyleImage).where(StyleImage.style_id == style_id))
            s.execute(delete(Style).where(Style.id == style_id))
        folder = info.folder
        if folder.is_dir() and self.paths.styles_dir in folder.parents:
            shutil.rmtree(folder, ignore_errors=True)
        log.info("Deleted style %d (%s)", style_id, info.name)


def _matches(search: str):
    like = f"%{search.strip()}%"
    return or_(Style.name.ilike(like), Style.description.ilike(like))
