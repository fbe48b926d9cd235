"""``style.generate``: a new style from a description (and a reference photo): ``request`` for
the front doors, ``handler`` the job, ``work`` what runs in worker processes, ``workers`` how
the job waits for them, ``previews`` which photos its previews are rendered over."""
