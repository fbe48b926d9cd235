"""``style.strength``: change how strongly a saved style grades, after it was made (``request``
for the front doors, ``handler`` the job, ``work`` what runs in worker processes, ``sources``
which photos its previews were rendered over)."""
