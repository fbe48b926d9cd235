"""``style.apply``: a style applied to a batch of photos (``request`` for the front doors,
``handler`` the job, ``recipe`` what each photo is graded with, ``photos`` streaming photos to
the worker processes, ``names`` output and temporary names, ``grant`` the signed batch,
``resume`` finding the unfinished batch that is this one)."""
