"""The limits every pack and LUT from elsewhere is read with (documented in docs/user-guide.md).

A style pack is a zip: its central directory is checked *before* anything is extracted, and
each entry is read counting its bytes (a header that lies about its size changes nothing).

* a pack file of at most ``MAX_PACK_BYTES``, with at most ``MAX_ENTRIES`` entries (refused
  from the count its end record declares, before the directory is read) listed in a central
  directory of at most ``MAX_DIRECTORY_BYTES``, and at most ``MAX_STYLES`` styles;
* per style at most ``MAX_PREVIEWS`` previews of at most ``MAX_PREVIEW_EDGE`` pixels a side and
  thumbnails of at most ``MAX_THUMB_EDGE`` (what Style Studio makes), checked from each
  picture's header before it is decoded;
* at most ``MAX_TOTAL_BYTES`` once uncompressed, at most ``MAX_ENTRY_BYTES`` for one entry;
* a compression ratio of at most ``MAX_RATIO`` : 1, for the whole pack and for any entry over
  ``RATIO_FLOOR`` bytes (a .cube compresses about 4 : 1, a JPEG about 1 : 1; zip bombs are
  1,000 : 1 and more);
* a ``manifest.json`` of at most ``MAX_MANIFEST_BYTES``, and per style a ``params`` object of
  at most ``MAX_PARAMS_BYTES`` once encoded.

A ``.cube`` file is at most ``MAX_CUBE_BYTES`` (a 256^3 table is about 450 MB of text); its
3D size is 2..256 and its 1D size 2..65536. A HaldCLUT PNG is any level from 2 to 12 (8x8 to
1728x1728 pixels) and goes through image intake like every other picture.
"""

from __future__ import annotations

MAX_PACK_BYTES = 4 * 1024**3
MAX_ENTRIES = 20_000
MAX_DIRECTORY_BYTES = 16 * 1024**2  # 20,000 entries of a real pack take about 2 MB
MAX_STYLES = 2_000
MAX_TOTAL_BYTES = 4 * 1024**3
MAX_ENTRY_BYTES = 256 * 1024**2
MAX_RATIO = 100
RATIO_FLOOR = 1024**2
MAX_MANIFEST_BYTES = 16 * 1024**2
MAX_PARAMS_BYTES = 64 * 1024
MAX_TEXT = 20_000  # a name, description or prompt, in characters
MAX_PREVIEWS = 8  # per style, as many as a new style may have (style.generate)
MAX_PREVIEW_EDGE = 4096  # pixels, the largest preview size in Settings
MAX_THUMB_EDGE = 256  # pixels, desktop.imaging.thumbnails.THUMBNAIL_EDGE

from desktop.exchange.cube import (  # noqa: E402,F401 - the .cube limits live with the reader
    CUBE_1D_SIZES,
    CUBE_3D_SIZES,
    MAX_CUBE_BYTES,
)

HALD_LEVELS = (2, 12)  # read; 13..16 are recognised and refused (see desktop.exchange.hald)
