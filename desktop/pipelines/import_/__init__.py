"""``style.import``: a style pack, a ``.cube`` or a HaldCLUT PNG added to the library (``request``
for the front doors, ``handler`` the job, ``lut`` and ``pack`` what it imports, ``present``
which of a pack's styles the library already holds). The trailing underscore: ``import`` is a
keyword (PEP 8)."""
