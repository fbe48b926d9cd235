"""Style previews for the window: a style's look on one photo, rendered in the worker
processes (``request`` is what a front door imports; ``work`` runs in the workers)."""
