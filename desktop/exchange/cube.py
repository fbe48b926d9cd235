"""``.cube`` LUT files (Adobe Cube LUT 1.0 / Resolve): a reader for what other tools write and
a writer for ours.

Read: 3D tables of any size 2..256 and 1D tables (``LUT_1D_SIZE``), ``TITLE``,
``DOMAIN_MIN``/``DOMAIN_MAX`` (also Resolve's ``LUT_3D_INPUT_RANGE``), ``#`` comments (kept),
Windows and old Mac line ends, UTF-8 (with or without a byte order mark) and UTF-16 with its
byte order mark. Refused, with one sentence that names a line but never quotes it (a file
named by mistake may hold anything): a line over ``MAX_LINE_CHARS`` characters, a table with
the wrong number of rows, a row that is not three numbers, NaN or infinity, a value more than
one domain width outside the domain, a domain beyond +-``MAX_DOMAIN``, narrower than
``MIN_DOMAIN_WIDTH`` or not meeting 0..1, keywords after the table, a 1D and a 3D table in one
file, a binary file (or UTF-16 without its mark). The reader streams in bounded pieces
(``desktop.exchange.cube_lines``): memory is the table plus a few megabytes, whatever the file.

Write: a 3D table with ``TITLE``, ``LUT_3D_SIZE``, ``DOMAIN_MIN``/``DOMAIN_MAX`` and comment
lines, six decimals, red varying fastest; at any size (17, 33 and 65 are what tools expect),
resampled trilinearly from the style's table when the size differs; through
``desktop.files.OutputFile`` (whole or not at all, never through a planted link).

``Lut.to_unit`` turns any table into the 3D, 0..1-domain table of at most 65 points per side
that Pillow applies (``to_pillow``); a table over 65 a side is held as 32-bit floats.
``read_pillow_lut`` and ``write_pillow_lut`` read and write Pillow's table directly (the style's
own file), and ``provenance`` makes the ``#`` lines that say where a .cube came from.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import unicodedata
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from PIL import ImageFilter

from desktop import __version__
from desktop.errors import UserError
from desktop.exchange.cube_lines import MAX_LINE_CHARS, LineTooLong, encoding_of, line_chunks
from desktop.files import write_output

MAX_CUBE_BYTES = 512 * 1024**2  # a 256^3 table is about 450 MB of text
CUBE_3D_SIZES = (2, 256)
CUBE_1D_SIZES = (2, 65_536)
PILLOW_MAX = 65  # the largest 3D LUT Pillow applies
DEFAULT_1D_GRID = 33
WRITE_SIZES = (17, 33, 65)
MAX_DOMAIN = 1e4  # a domain beyond +-10,000 is no colour LUT's (1e308 turned photos black)
MIN_DOMAIN_WIDTH = 1e-3
_FIX = "export it again from the tool that made it as a .cube file"
_NUMBER_START = frozenset("0123456789+-.")

Triple = tuple[float, float, float]


class CubeError(UserError):
    """A .cube file that cannot be read; ``str(err)`` says why and what to do."""


@dataclass(frozen=True)
class Lut:
    """A LUT as a file holds it. ``table`` is flat (r, g, b, r, g, b, ...): for 3D, ``size``^3
    rows with red varying fastest; for 1D, ``size`` rows of the three channel curves."""

    dimensions: int  # 1 or 3
    size: int
    table: array
    title: str = ""
    domain_min: Triple = (0.0, 0.0, 0.0)
    domain_max: Triple = (1.0, 1.0, 1.0)
    comments: tuple[str, ...] = field(default=())

    @property
    def unit_domain(self) -> bool:
        return self.domain_min == (0.0, 0.0, 0.0) and self.domain_max == (1.0, 1.0, 1.0)

    def to_unit(self, size: int | None = None) -> Lut:
        """The 3D table over inputs 0..1 at ``size`` points a side (default: this table's own
        size, at most 65; 33 for a 1D table), sampled trilinearly (linearly for 1D); inputs
        outside the file's domain are clamped to it, as tools do."""
        if size is None:
            size = min(self.size, PILLOW_MAX) if self.dimensions == 3 else DEFAULT_1D_GRID
        if self.dimensions == 3 and self.unit_domain and size == self.size:
            return self
        grid = [i / (size - 1) for i in range(size)]
        if self.dimensions == 1:
            curves = [self._curve(c, grid) for c in range(3)]
            red, green, blue = curves
            out = array("d")
            for b in range(size):
                vb = blue[b]
                for g in range(size):
                    vg = green[g]
                    for r in range(size):
                        out.extend((red[r], vg, vb))
            table = out
        else:
            coords = [_coords(grid, self.domain_min[c], self.domain_max[c], self.size) for c in range(3)]
            table = resample(self.table, self.size, coords)
        return Lut(3, size, table, self.title, comments=self.comments)

    def _curve(self, channel: int, grid: list[float]) -> list[float]:
        t = self.table
        out = []
        for x, (i0, i1, f) in zip(grid, _coords(grid, self.domain_min[channel], self.domain_max[channel], self.size), strict=True):
            del x
            a, b = t[3 * i0 + channel], t[3 * i1 + channel]
            out.append(a + f * (b - a))
        return out

    def to_pillow(self) -> ImageFilter.Color3DLUT:
        unit = self.to_unit()
        return ImageFilter.Color3DLUT(unit.size, unit.table.tolist(), channels=3)

    @classmethod
    def from_pillow(cls, lut: ImageFilter.Color3DLUT, title: str = "") -> Lut:
        size = lut.size[0]
        if tuple(lut.size) != (size, size, size) or lut.channels != 3:
            raise ValueError("only cubic 3-channel LUTs")
        return cls(3, size, array("d", lut.table), title)


def _coords(grid: list[float], lo: float, hi: float, n: int) -> list[tuple[int, int, float]]:
    """For each grid input: the two table rows around it and the weight of the second."""
    out = []
    scale = (n - 1) / (hi - lo)
    for x in grid:
        u = (x - lo) * scale
        u = 0.0 if u < 0 else (n - 1.0) if u > n - 1 else u
        i0 = min(int(u), n - 2)
        out.append((i0, i0 + 1, u - i0))
    return out


def _between_slices(values: array, width: int, at: list[tuple[int, int, float]]) -> list[array]:
    """``values`` cut into slices of ``width``: for each (i0, i1, f) of ``at``, slice i0 moved
    the fraction f toward slice i1 (slice i0 itself when f is 0)."""
    out = []
    for i0, i1, f in at:
        s0 = values[i0 * width:(i0 + 1) * width]
        if f == 0.0:
            out.append(s0)
            continue
        s1 = values[i1 * width:(i1 + 1) * width]
        out.append(array("d", [a + f * (b - a) for a, b in zip(s0, s1, strict=True)]))
    return out


def resample(table: array, n: int, coords: list[list[tuple[int, int, float]]]) -> array:
    """Trilinear resampling of an n^3 table (red fastest) at per-axis ``coords``: separable,
    one axis at a time (blue, then green, then red), each a 1D linear interpolation."""
    mr, mg, mb = (len(c) for c in coords)
    row = 3 * n  # one (g, b) row of the source: n reds x 3 channels
    plane = row * n
    # blue: n^3 -> n x n x mb
    planes = _between_slices(table, plane, coords[2])
    # green: per blue plane, n rows -> mg rows
    rows = [r for p in planes for r in _between_slices(p, row, coords[1])]
    # red: per row, n points -> mr points
    out = array("d")
    picks = [(3 * i0, 3 * i1, f) for i0, i1, f in coords[0]]
    for r in rows:
        for j0, j1, f in picks:
            if f == 0.0:
                out.extend((r[j0], r[j0 + 1], r[j0 + 2]))  # r may be a float32 table (over 65 a side)
            else:
                a0, a1, a2 = r[j0], r[j0 + 1], r[j0 + 2]
                out.extend((a0 + f * (r[j1] - a0), a1 + f * (r[j1 + 1] - a1), a2 + f * (r[j1 + 2] - a2)))
    assert len(out) == 3 * mr * mg * mb
    return out


# --- reading ----------------------------------------------------------------------------------


def refuse(name: str, problem: str, fix: str = _FIX) -> CubeError:
    return CubeError(f'The LUT "{name}" can\'t be used: {problem}; {fix}.')


def read_cube(path: str | os.PathLike[str], *, name: str | None = None) -> Lut:
    """Read and check a .cube file (any size, 1D or 3D); raises CubeError with one sentence."""
    label = name or Path(path).name
    try:
        size = os.stat(path).st_size
        if size > MAX_CUBE_BYTES:
            raise refuse(label, f"the file is {size / 1024**2:.0f} MB, over the {MAX_CUBE_BYTES // 1024**2} MB a .cube may be", "export a smaller table (65 points a side is plenty)")
        with open(path, "rb") as fh:
            return parse_cube(fh, label)
    except OSError as exc:
        raise CubeError(f'Can\'t read the LUT "{label}" ({exc.strerror or exc}); check that the file exists and is readable.') from exc


def parse_cube_bytes(data: bytes, name: str) -> Lut:
    return parse_cube(io.BytesIO(data), name)


def parse_cube(raw: IO[bytes], name: str) -> Lut:
    head = raw.read(4096)
    codec, skip, problem = encoding_of(head)
    if problem is not None or codec is None:
        raise refuse(name, problem or "it is a binary file, not a text .cube table")
    raw.seek(0)
    parser = _Parser(name)
    try:
        return parser.run(line_chunks(raw, codec, skip))
    except LineTooLong as exc:
        raise parser.bad(
            f"line {exc.line_no:,} is over {MAX_LINE_CHARS:,} characters long, and a .cube line is a keyword or three numbers"
        ) from None


class _Parser:
    def __init__(self, name: str) -> None:
        self.name = name
        self.title = ""
        self.size3: int | None = None
        self.size1: int | None = None
        self.dmin: list[float] | None = None
        self.dmax: list[float] | None = None
        self.comments: list[str] = []
        self.line_no = 0

    def bad(self, problem: str, fix: str = _FIX) -> CubeError:
        return refuse(self.name, problem, fix)

    def run(self, chunks: Iterator[list[str]]) -> Lut:
        rest = self._header(chunks)
        dims = 3 if self.size3 is not None else 1
        size = self.size3 if self.size3 is not None else self.size1
        if size is None:
            raise self.bad("it has no LUT_3D_SIZE or LUT_1D_SIZE line, so it is not a .cube table")
        self._check_domain_range()
        rows_expected = size**3 if dims == 3 else size
        values = array("d" if rows_expected <= PILLOW_MAX**3 else "f")
        rows = 0
        if rest:
            rows += self._rows(rest, values, rows_expected)
        for chunk in chunks:
            rows += self._rows(chunk, values, rows_expected)
        if rows != rows_expected:
            what = f"{size}x{size}x{size}" if dims == 3 else f"a 1D table of {size}"
            raise self.bad(f"it has {rows:,} {'row' if rows == 1 else 'rows'} of numbers where {what} needs {rows_expected:,}")
        lo = tuple(self.dmin or (0.0, 0.0, 0.0))
        hi = tuple(self.dmax or (1.0, 1.0, 1.0))
        self._check_values(values, lo, hi)
        return Lut(dims, size, values, self.title, lo, hi, tuple(self.comments))  # type: ignore[arg-type]

    def _header(self, chunks: Iterator[list[str]]) -> list[str]:
        """Keywords and comments up to the first row of numbers; returns the lines of the chunk
        from that row on (empty at the end of the file)."""
        for chunk in chunks:
            for i, line in enumerate(chunk):
                self.line_no += 1
                stripped = line.strip()
                if not stripped:
                    continue
                if stripped[0] == "#":
                    if len(self.comments) < 200:
                        self.comments.append(stripped[1:].strip()[:500])
                    continue
                if stripped[0] in _NUMBER_START or stripped.split(None, 1)[0].upper() in ("NAN", "INF", "INFINITY"):
                    self.line_no -= 1
                    return chunk[i:]
                self._keyword(stripped)
        return []

    def _keyword(self, line: str) -> None:
        parts = line.split()
        key = parts[0].upper()
        if key == "TITLE":
            rest = line[len(parts[0]):].strip()
            if rest.startswith('"'):
                end = rest.find('"', 1)
                rest = rest[1:end] if end > 0 else rest[1:]
            self.title = " ".join(rest.split())[:200]
        elif key in ("LUT_3D_SIZE", "LUT_1D_SIZE"):
            if self.size3 is not None or self.size1 is not None:
                raise self.bad("it holds more than one table (a 1D and a 3D, or two sizes)", "export just one 3D or 1D table")
            lo, hi = CUBE_3D_SIZES if key == "LUT_3D_SIZE" else CUBE_1D_SIZES
            try:
                size = int(parts[1])
            except (IndexError, ValueError):
                raise self.bad(f"its {key} line is not a whole number") from None
            if not lo <= size <= hi:
                raise self.bad(f"its {key} is outside {lo}..{hi:,}")
            if key == "LUT_3D_SIZE":
                self.size3 = size
            else:
                self.size1 = size
        elif key in ("DOMAIN_MIN", "DOMAIN_MAX"):
            triple = self._numbers(parts[1:], key, 3)
            if key == "DOMAIN_MIN":
                self.dmin = triple
            else:
                self.dmax = triple
            self._check_domain()
        elif key in ("LUT_3D_INPUT_RANGE", "LUT_1D_INPUT_RANGE"):
            lo_hi = self._numbers(parts[1:], key, 2)
            self.dmin, self.dmax = [lo_hi[0]] * 3, [lo_hi[1]] * 3
            self._check_domain()
        elif not re.fullmatch(r"[A-Z][A-Z0-9_]*", key):
            raise self.bad(f"line {self.line_no:,} is neither a keyword nor three numbers")
        # other keywords (LUT_IN_VIDEO_RANGE, ...) say nothing about the table: ignored

    def _numbers(self, parts: list[str], key: str, count: int) -> list[float]:
        try:
            values = [float(p) for p in parts]
        except ValueError:
            values = []
        if len(values) != count or not all(math.isfinite(v) for v in values):
            raise self.bad(f"its {key} line is not {count} numbers")
        return values

    def _check_domain(self) -> None:
        for bound in (self.dmin, self.dmax):
            if bound is not None and any(abs(v) > MAX_DOMAIN for v in bound):
                raise self.bad(
                    f"its domain (DOMAIN_MIN, DOMAIN_MAX) reaches beyond -{MAX_DOMAIN:,.0f}..{MAX_DOMAIN:,.0f}, which no colour LUT uses",
                    "export it again with its domain (0 to 1 for most LUTs)",
                )
        if self.dmin is not None and self.dmax is not None and any(a >= b for a, b in zip(self.dmin, self.dmax, strict=True)):
            raise self.bad("its DOMAIN_MIN is not below its DOMAIN_MAX")

    def _check_domain_range(self) -> None:
        """Once the header is read: every channel's domain is wide enough and meets 0..1
        (else every photo colour would be clamped to one end of the table)."""
        lo = self.dmin or [0.0, 0.0, 0.0]
        hi = self.dmax or [1.0, 1.0, 1.0]
        for a, b in zip(lo, hi, strict=True):
            if b - a < MIN_DOMAIN_WIDTH:
                raise self.bad(
                    f"its domain (DOMAIN_MIN to DOMAIN_MAX) is narrower than {MIN_DOMAIN_WIDTH:g}, so every photo colour would fall outside it",
                    "export it again with its domain (0 to 1 for most LUTs)",
                )
            if a >= 1.0 or b <= 0.0:
                raise self.bad(
                    "its domain (DOMAIN_MIN to DOMAIN_MAX) does not meet the 0 to 1 range of photo colours, so every photo would turn one flat colour",
                    "export it again with its domain (0 to 1 for most LUTs)",
                )

    def _rows(self, lines: list[str], values: array, expected: int) -> int:
        """Append the rows of ``lines`` to ``values``; returns how many rows there were. The
        fast path splits the whole chunk at once; a chunk with comments or a problem goes
        line by line (to name the line)."""
        start = self.line_no
        self.line_no += len(lines)
        joined = "\n".join(lines)
        rows = len(lines) - lines.count("")
        tokens = joined.split()
        mark = len(values)
        if len(tokens) == 3 * rows and "#" not in joined:
            try:
                values.extend(map(float, tokens))
            except ValueError:
                del values[mark:]
            else:
                if len(values) > 3 * expected:
                    raise self._too_many(expected)
                return rows
        return self._slow_rows(lines, values, expected, start)

    def _slow_rows(self, lines: list[str], values: array, expected: int, start: int) -> int:
        rows = 0
        for i, line in enumerate(lines, start + 1):
            stripped = line.strip()
            if not stripped or stripped[0] == "#":
                continue
            parts = stripped.split("#", 1)[0].split()
            if parts and parts[0][0].isalpha() and parts[0].upper() not in ("NAN", "INF", "INFINITY"):
                raise self.bad(f"line {i:,} is a keyword after the table has begun", "keywords belong before the rows of numbers")
            try:
                r, g, b = (float(p) for p in parts)
            except ValueError:
                raise self.bad(f"line {i:,} is not three numbers") from None
            values.extend((r, g, b))
            rows += 1
            if len(values) > 3 * expected:
                raise self._too_many(expected)
        return rows

    def _too_many(self, expected: int) -> CubeError:
        return self.bad(f"it has more rows of numbers than the {expected:,} its size needs")

    def _check_values(self, values: array, lo: tuple[float, ...], hi: tuple[float, ...]) -> None:
        total = sum(values)
        if not math.isfinite(total):
            for i, v in enumerate(values):
                if not math.isfinite(v):
                    raise self.bad(f"row {i // 3 + 1:,} of its table holds {'NaN' if math.isnan(v) else 'infinity'}, not a finite number")
            raise self.bad("its values are too large to be colours")
        for c in range(3):
            channel = values[c::3]
            width = hi[c] - lo[c]
            low, high = min(channel), max(channel)
            if low < lo[c] - width or high > hi[c] + width:
                raise self.bad(
                    "it holds values far outside its domain",
                    "it is probably not a colour LUT, or it was saved with the wrong domain",
                )


# --- writing ----------------------------------------------------------------------------------


def ascii_text(text: str) -> str:
    """.cube files are ASCII: accents are dropped ("é" -> "e"), other symbols become '?'."""
    text = str(text).replace("\u2026", "...")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).encode("ascii", "replace").decode("ascii")


def cube_text(lut: Lut, title: str, *, size: int | None = None, notes: Iterable[str] = ()) -> Iterator[str]:
    """The lines of a .cube file for ``lut`` (resampled to ``size`` when given)."""
    unit = lut.to_unit(size)
    clean = " ".join(ascii_text(title).replace('"', "'").split()) or "Style Studio grade"
    yield "# Created by Style Studio"
    yield f'TITLE "{clean[:200]}"'
    yield f"LUT_3D_SIZE {unit.size}"
    yield "DOMAIN_MIN 0.0 0.0 0.0"
    yield "DOMAIN_MAX 1.0 1.0 1.0"
    for note in notes:
        yield "# " + " ".join(ascii_text(note).split())[:500]
    t = unit.table
    fmt = "{:.6f} {:.6f} {:.6f}".format
    for i in range(0, len(t), 3):
        yield fmt(t[i], t[i + 1], t[i + 2])


def write_cube(
    path: str | os.PathLike[str],
    lut: Lut,
    title: str,
    *,
    size: int | None = None,
    notes: Iterable[str] = (),
    overwrite: bool = False,
    mode: int = 0o600,
) -> Path:
    """Write ``lut`` as a 3D .cube (0..1 domain) at ``size`` points a side through
    ``desktop.files.OutputFile``: whole or not at all (a random temporary name, never a planted
    link, checked on disk before it gets its name), never over an existing file unless
    ``overwrite``. ``mode``: 0o600 for the library's own file, 0o666 for an export."""
    def write(fh: IO[bytes]) -> None:
        batch: list[str] = []
        for line in cube_text(lut, title, size=size, notes=notes):
            batch.append(line)
            if len(batch) >= 4096:
                fh.write(("\n".join(batch) + "\n").encode("ascii"))
                batch.clear()
        if batch:
            fh.write(("\n".join(batch) + "\n").encode("ascii"))

    return write_output(Path(path), write, overwrite=overwrite, mode=mode)


# --- the style's own file ---------------------------------------------------------------------


def provenance(
    *,
    description: str,
    generator: str,
    strength: float,
    reference: bytes | None = None,
    in_cube: Iterable[str] = (),
    effects: Iterable[str] = (),
    when: datetime | None = None,
) -> list[str]:
    """The ``#`` comment lines that say where a .cube came from and what it holds.

    ``strength`` is 0..1; ``reference`` is the reference file's bytes (only its SHA-256 is
    written)."""
    when = when or datetime.now(UTC)
    effects = list(effects)
    lines = [
        f"Description: {description}",
        f"Generator: {generator}",
        f"Strength: {round(100 * min(1.0, max(0.0, strength)))}%",
        f"App: Style Studio {__version__}",
        f"Date: {when.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        "Reference SHA-256: "
        + (hashlib.sha256(reference).hexdigest() if reference is not None else "none"),
        "In the .cube: " + (", ".join(in_cube) or "nothing (identity)"),
    ]
    if effects:
        lines.append(
            "Effects (Style Studio only, not in this file): " + ", ".join(effects)
        )
    return lines


def write_pillow_lut(
    path: str | os.PathLike[str],
    lut: ImageFilter.Color3DLUT,
    title: str,
    *,
    notes: Iterable[str] = (),
) -> None:
    """Write ``lut`` as a standard .cube file (Resolve/Adobe format, red varying fastest), whole
    or not at all; ``notes`` become ``#`` comment lines (see ``write_cube``).
    The library's own file (private, 0o600): it replaces what is at ``path`` (never through a
    link), as it always did."""
    write_cube(path, Lut.from_pillow(lut), title, notes=notes, overwrite=True)


def read_pillow_lut(path: str | os.PathLike[str]) -> ImageFilter.Color3DLUT:
    """A .cube file from anywhere (any size, 1D or 3D, any domain) as the table Pillow applies;
    raises CubeError with one sentence (see ``read_cube``)."""
    return read_cube(path).to_pillow()
