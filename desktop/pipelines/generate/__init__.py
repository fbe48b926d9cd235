"""``style.generate``: a new style from a description (and a reference photo): ``request`` for
the front doors, ``handler`` the job, ``work`` what runs in worker processes, ``workers`` how
the job waits for them, ``previews`` which photos its previews are rendered over."""

# What its worker processes run (``work`` imports the generator when a task first needs it): a
# front door that runs the job here starts its workers early with these (``processes.warm``).
WORKER_MODULES = ("desktop.pipelines.generate.work", "desktop.generators.local")
