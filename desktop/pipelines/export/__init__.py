"""``style.export``: styles written as a pack, a ``.cube`` or a HaldCLUT PNG where a person asked
(``request`` for the front doors, ``handler`` the job)."""
