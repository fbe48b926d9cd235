"""Style packs (``.stylepack``): a zip holding ``manifest.json`` and each style's files.

::

    manifest.json                  {"format": "stylestudio.stylepack", "schema": 1, ...}
    styles/1/style.cube            the style's colour grade, byte for byte
    styles/1/preview-1.jpg ...     previews and thumbnails, byte for byte
    styles/1/reference.jpg         the reference photo, when the user asked for it

The manifest (schema 1): ``format``, ``schema``, ``app_version``, ``created`` (ISO 8601 UTC)
and ``styles``, a list of objects with ``name``, ``description``, ``prompt``, ``palette``,
``strength``, ``looks``, ``effects``, ``generator``, ``created``, ``params``, ``analysis``,
``content_hash`` and ``files``: ``cube``, ``previews`` (each ``{"image", "thumb", "width",
"height"}``) and ``reference`` (or null), every file as ``{"path", "sha256", "bytes"}``.

``content_hash`` identifies a style by what it looks like: the SHA-256 of its .cube's SHA-256
and its previews' (``content_hash``), so a style imported twice, or exported and imported into
the library it came from, is recognised.

Reading treats the pack as hostile: ``open_pack`` first sizes up the central directory from the
zip's end records (``desktop.exchange.zip_directory``, before ``zipfile`` reads it), then checks
every entry name (no ``..``, absolute path, drive letter, backslash or symlink), the sizes and
compression ratios of ``desktop.exchange.limits`` before anything is extracted, then the
manifest against its schema (names, descriptions and prompts cleaned of control and format
characters); ``PackReader.read`` reads an entry counting its bytes and checks its SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from desktop.errors import UserError
from desktop.exchange import limits
from desktop.exchange.zip_directory import check_directory
from desktop.text import clean_name, printable

FORMAT = "stylestudio.stylepack"
SCHEMA = 1
MANIFEST = "manifest.json"
HASH_TAG = b"stylestudio-style-v1"
_READ = 1024 * 1024


class PackError(UserError):
    """A pack that is refused; ``str(err)`` is one sentence."""


def content_hash(cube_sha256: str, preview_sha256s: list[str]) -> str:
    """What identifies a style across libraries: its grade and its previews."""
    h = hashlib.sha256(HASH_TAG)
    for part in (cube_sha256, *preview_sha256s):
        h.update(b"\n" + part.encode("ascii"))
    return h.hexdigest()


def sha256_file(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_READ), b""):
            h.update(block)
    return h.hexdigest()


def clean_text(text: str, limit: int = limits.MAX_TEXT) -> str:
    """A description or prompt from elsewhere, safe to store and show: each line cleaned like
    a name (no control, format or bidi characters), line breaks kept, at most ``limit``."""
    lines = [clean_name(line, limit) for line in str(text).splitlines()]
    return "\n".join(lines).strip()[:limit]


# --- the manifest's schema -----------------------------------------------------------------


@dataclass(frozen=True)
class FileRef:
    path: str
    sha256: str
    bytes: int


@dataclass(frozen=True)
class PreviewRef:
    image: FileRef
    thumb: FileRef
    width: int
    height: int


@dataclass(frozen=True)
class PackStyle:
    index: int  # position in the manifest, from 1
    name: str
    description: str
    prompt: str
    generator: str
    created: str
    params: dict[str, Any]
    analysis: dict[str, Any] | None
    content_hash: str
    cube: FileRef
    previews: tuple[PreviewRef, ...]
    reference: FileRef | None


@dataclass(frozen=True)
class Manifest:
    app_version: str
    created: str
    styles: tuple[PackStyle, ...]


_SHA = re.compile(r"[0-9a-f]{64}")


class _Schema:
    """Checks one manifest; every failure is one sentence naming the pack and the field."""

    def __init__(self, label: str) -> None:
        self.label = label

    def bad(self, problem: str) -> PackError:
        return PackError(
            f'The pack "{self.label}" can\'t be imported: its manifest {problem}; '
            "export it again from Style Studio (nothing was added to the library)."
        )

    def text(self, obj: dict[str, Any], key: str, where: str, *, empty: bool = True) -> str:
        value = obj.get(key)
        if not isinstance(value, str) or (not empty and not value.strip()) or len(value) > limits.MAX_TEXT:
            raise self.bad(f"has no usable '{key}' for {where}")
        return value

    def file(self, value: Any, where: str) -> FileRef:
        if not isinstance(value, dict):
            raise self.bad(f"names no file for {where}")
        path, sha, size = value.get("path"), value.get("sha256"), value.get("bytes")
        if not isinstance(path, str) or not path.startswith("styles/") or unsafe_name(path):
            raise self.bad(f"names an unsafe or misplaced file for {where}")
        if not isinstance(sha, str) or not _SHA.fullmatch(sha):
            raise self.bad(f"has no SHA-256 for {where}")
        if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= limits.MAX_ENTRY_BYTES:
            raise self.bad(f"has no usable size for {where}")
        return FileRef(path, sha, size)

    def style(self, index: int, obj: Any) -> PackStyle:
        where = f"style {index}"
        if not isinstance(obj, dict):
            raise self.bad(f"lists {where} as something other than an object")
        name = self.text(obj, "name", where, empty=False)
        params = obj.get("params", {})
        if not isinstance(params, dict) or len(json.dumps(params)) > limits.MAX_PARAMS_BYTES:
            raise self.bad(f"has params for {where} that are not an object of at most {limits.MAX_PARAMS_BYTES // 1024} KiB")
        analysis = obj.get("analysis")
        if analysis is not None and (not isinstance(analysis, dict) or len(json.dumps(analysis)) > limits.MAX_PARAMS_BYTES):
            raise self.bad(f"has an analysis for {where} that is not an object")
        strength = obj.get("strength")
        if strength is not None and (isinstance(strength, bool) or not isinstance(strength, int | float) or not 0 <= strength <= 100):
            raise self.bad(f"has a strength for {where} outside 0..100")
        for key in ("looks", "effects"):
            value = obj.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise self.bad(f"has '{key}' for {where} that are not a list of words")
        files = obj.get("files")
        if not isinstance(files, dict):
            raise self.bad(f"lists no files for {where}")
        previews_raw = files.get("previews")
        if not isinstance(previews_raw, list) or not previews_raw:
            raise self.bad(f"lists no previews for {where}")
        if len(previews_raw) > limits.MAX_PREVIEWS:
            raise self.bad(f"lists {len(previews_raw)} previews for {where}, more than the {limits.MAX_PREVIEWS} a style has")
        previews = []
        for k, p in enumerate(previews_raw, 1):
            if not isinstance(p, dict):
                raise self.bad(f"lists preview {k} of {where} as something other than an object")
            w, h = p.get("width"), p.get("height")
            if not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= limits.MAX_PREVIEW_EDGE for v in (w, h)):
                raise self.bad(f"has no usable size (1 to {limits.MAX_PREVIEW_EDGE:,} pixels a side) for preview {k} of {where}")
            previews.append(PreviewRef(self.file(p.get("image"), f"preview {k} of {where}"), self.file(p.get("thumb"), f"thumbnail {k} of {where}"), w, h))
        reference = files.get("reference")
        digest = obj.get("content_hash")
        if not isinstance(digest, str) or not _SHA.fullmatch(digest):
            raise self.bad(f"has no content hash for {where}")
        cube = self.file(files.get("cube"), f"the .cube of {where}")
        if digest != content_hash(cube.sha256, [p.image.sha256 for p in previews]):
            raise self.bad(f"has a content hash for {where} that does not match its files")
        return PackStyle(
            index=index,
            name=clean_name(name, 200) or f"Imported style {index}",
            description=clean_text(self.text(obj, "description", where)),
            prompt=clean_text(self.text(obj, "prompt", where)),
            generator=clean_name(self.text(obj, "generator", where, empty=False), 50) or "imported",
            created=str(obj.get("created", ""))[:40],
            params=params,
            analysis=analysis,
            content_hash=digest,
            cube=cube,
            previews=tuple(previews),
            reference=None if reference is None else self.file(reference, f"the reference of {where}"),
        )

    def manifest(self, doc: Any) -> Manifest:
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise self.bad("does not say it is a Style Studio pack")
        schema = doc.get("schema")
        if schema != SCHEMA:
            if isinstance(schema, int) and not isinstance(schema, bool) and schema > SCHEMA:
                raise PackError(
                    f'The pack "{self.label}" was made by a newer Style Studio (pack schema {schema}); '
                    "update Style Studio to import it (nothing was added to the library)."
                )
            raise self.bad("has no usable schema version")
        styles = doc.get("styles")
        if not isinstance(styles, list) or not 1 <= len(styles) <= limits.MAX_STYLES:
            raise self.bad(f"lists no styles (or more than {limits.MAX_STYLES:,})")
        parsed = tuple(self.style(i, s) for i, s in enumerate(styles, 1))
        paths = [f.path for s in parsed for f in _files(s)]
        if len(set(paths)) != len(paths):
            raise self.bad("names the same file for two purposes")
        return Manifest(str(doc.get("app_version", ""))[:40], str(doc.get("created", ""))[:40], parsed)


def _files(style: PackStyle) -> Iterator[FileRef]:
    yield style.cube
    for p in style.previews:
        yield p.image
        yield p.thumb
    if style.reference is not None:
        yield style.reference


def files_of(style: PackStyle) -> list[FileRef]:
    return list(_files(style))


# --- reading a pack ------------------------------------------------------------------------


_DRIVE = re.compile(r"^[A-Za-z]:")


def unsafe_name(name: str) -> str | None:
    """Why an entry name could write outside the folder it is extracted to, or None."""
    if not name or "\x00" in name:
        return "an empty or binary name"
    if "\\" in name:
        return "a backslash"
    if name.startswith("/") or _DRIVE.match(name):
        return "an absolute path"
    parts = name.rstrip("/").split("/")
    if any(p in ("", ".", "..") for p in parts):
        return "'..' or an empty folder name"
    if len(name) > 1000:
        return "a name over 1,000 characters"
    return None


class PackReader:
    """An open pack whose entries and manifest were checked; ``read`` returns an entry's bytes
    after checking their size and SHA-256 against the manifest."""

    def __init__(self, zf: zipfile.ZipFile, label: str, manifest: Manifest) -> None:
        self.zf = zf
        self.label = label
        self.manifest = manifest

    def bad(self, problem: str) -> PackError:
        return PackError(f'The pack "{self.label}" can\'t be imported: {problem}; export it again from Style Studio (nothing was added to the library).')

    def read(self, ref: FileRef) -> bytes:
        try:
            info = self.zf.getinfo(ref.path)
        except KeyError:
            raise self.bad(f"the file {printable(ref.path)} its manifest names is missing") from None
        data = _read_counted(self.zf, info, ref.bytes, self)
        if len(data) != ref.bytes or hashlib.sha256(data).hexdigest() != ref.sha256:
            raise self.bad(f"the file {printable(ref.path)} differs from its manifest (its SHA-256 does not match)")
        return data

    def close(self) -> None:
        self.zf.close()

    def __enter__(self) -> PackReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_counted(zf: zipfile.ZipFile, info: zipfile.ZipInfo, expected: int, reader: PackReader) -> bytes:
    """The entry's bytes, reading at most ``expected`` + 1 whatever its header says."""
    chunks = []
    got = 0
    try:
        with zf.open(info) as fh:
            while got <= expected:
                block = fh.read(min(_READ, expected + 1 - got))
                if not block:
                    break
                chunks.append(block)
                got += len(block)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise reader.bad(f"the file {printable(info.filename[:200])} is damaged ({printable(str(exc).rstrip('.')[:80])})") from None
    return b"".join(chunks)


def open_pack(path: str | os.PathLike[str], *, name: str | None = None) -> PackReader:
    """Open and check a pack (entries, limits, manifest); raises PackError (one sentence)."""
    label = name or Path(path).name

    def bad(problem: str, fix: str = "export it again from Style Studio") -> PackError:
        return PackError(f'The pack "{label}" can\'t be imported: {problem}; {fix} (nothing was added to the library).')

    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise PackError(f'Can\'t read the pack "{label}" ({exc.strerror or exc}); check that the file exists and is readable.') from exc
    if size > limits.MAX_PACK_BYTES:
        raise bad(f"it is {size / 1024**3:.1f} GB, over the {limits.MAX_PACK_BYTES // 1024**3} GB a pack may be", "export fewer styles per pack")
    try:
        with open(path, "rb") as fh:
            check_directory(fh, bad)  # from the end records, before zipfile reads the directory
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise bad("it is not a zip file, or it is damaged", f"check the file ({printable(str(exc).rstrip('.')[:60])})") from None
    try:
        manifest = _check(zf, label, bad)
    except BaseException:
        zf.close()
        raise
    return PackReader(zf, label, manifest)


def _check(zf: zipfile.ZipFile, label: str, bad: Any) -> Manifest:
    infos = zf.infolist()
    if len(infos) > limits.MAX_ENTRIES:
        raise bad(f"it has {len(infos):,} entries, over the {limits.MAX_ENTRIES:,} a pack may have", "export fewer styles per pack")
    seen: set[str] = set()
    total = compressed = 0
    for info in infos:
        why = unsafe_name(info.filename)
        if why:
            raise bad(f"the entry {info.filename[:80]!r} has {why}, which could write outside the library", "only import packs from people you trust")
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise bad(f"the entry {info.filename[:80]!r} is a symbolic link", "only import packs from people you trust")
        if info.flag_bits & 0x1:
            raise bad(f"the entry {info.filename[:80]!r} is encrypted", "export it again without a password")
        if info.filename in seen:
            raise bad(f"the entry {info.filename[:80]!r} appears twice")
        seen.add(info.filename)
        if info.file_size > limits.MAX_ENTRY_BYTES:
            raise bad(f"the entry {info.filename[:80]!r} unpacks to {info.file_size / 1024**2:,.0f} MB, over the {limits.MAX_ENTRY_BYTES // 1024**2} MB one file may be", "only import packs from people you trust")
        if info.file_size > limits.RATIO_FLOOR and info.file_size > limits.MAX_RATIO * max(1, info.compress_size):
            raise bad(f"the entry {info.filename[:80]!r} is compressed {info.file_size // max(1, info.compress_size):,} to 1, past the {limits.MAX_RATIO} to 1 of a real pack (a zip bomb)", "only import packs from people you trust")
        total += info.file_size
        compressed += info.compress_size
    if total > limits.MAX_TOTAL_BYTES:
        raise bad(f"it unpacks to {total / 1024**3:.1f} GB, over the {limits.MAX_TOTAL_BYTES // 1024**3} GB a pack may hold", "export fewer styles per pack")
    if total > limits.RATIO_FLOOR and total > limits.MAX_RATIO * max(1, compressed):
        raise bad(f"it is compressed {total // max(1, compressed):,} to 1, past the {limits.MAX_RATIO} to 1 of a real pack (a zip bomb)", "only import packs from people you trust")
    if MANIFEST not in seen:
        raise bad("it has no manifest.json, so it is not a Style Studio pack")
    info = zf.getinfo(MANIFEST)
    if info.file_size > limits.MAX_MANIFEST_BYTES:
        raise bad(f"its manifest is over {limits.MAX_MANIFEST_BYTES // 1024**2} MB")
    reader = PackReader(zf, label, Manifest("", "", ()))
    raw = _read_counted(zf, info, limits.MAX_MANIFEST_BYTES, reader)
    if len(raw) > limits.MAX_MANIFEST_BYTES:
        raise bad(f"its manifest is over {limits.MAX_MANIFEST_BYTES // 1024**2} MB")
    schema = _Schema(label)
    try:
        doc = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise schema.bad("is not valid JSON") from None
    manifest = schema.manifest(doc)
    for style in manifest.styles:
        for ref in _files(style):
            if ref.path not in seen:
                raise bad(f"the file {printable(ref.path)} its manifest names is missing")
    return manifest


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# --- writing a pack ------------------------------------------------------------------------


_STORED_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff"})


class PackWriter:
    """Writes a pack to ``fh`` (a file opened for writing): ``add_file`` copies a file while
    hashing it and returns its ``FileRef``; ``finish`` writes the manifest."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.zf = zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        self.styles: list[dict[str, Any]] = []

    def add_file(self, source: str | os.PathLike[str], arcname: str) -> FileRef:
        suffix = Path(arcname).suffix.lower()
        method = zipfile.ZIP_STORED if suffix in _STORED_SUFFIXES else zipfile.ZIP_DEFLATED
        info = zipfile.ZipInfo(arcname, date_time=(2000, 1, 1, 0, 0, 0))  # reproducible
        info.compress_type = method
        info.external_attr = 0o644 << 16
        h = hashlib.sha256()
        size = 0
        with open(source, "rb") as src, self.zf.open(info, "w", force_zip64=True) as dst:
            for block in iter(lambda: src.read(_READ), b""):
                h.update(block)
                size += len(block)
                dst.write(block)
        return FileRef(arcname, h.hexdigest(), size)

    def add_style(self, entry: dict[str, Any]) -> None:
        self.styles.append(entry)

    def finish(self, *, app_version: str, created: str) -> None:
        doc = {"format": FORMAT, "schema": SCHEMA, "app_version": app_version, "created": created, "styles": self.styles}
        info = zipfile.ZipInfo(MANIFEST, date_time=(2000, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        self.zf.writestr(info, json.dumps(doc, indent=1, ensure_ascii=False).encode("utf-8"))
        self.zf.close()

    def abort(self) -> None:
        try:
            self.zf.close()
        except Exception:  # noqa: BLE001 - the file is being thrown away
            pass


def file_json(ref: FileRef) -> dict[str, Any]:
    return {"path": ref.path, "sha256": ref.sha256, "bytes": ref.bytes}
