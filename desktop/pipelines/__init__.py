"""Job handlers: the slow work behind the front doors, one slice per job type
(``desktop/pipelines/<type>/``: ``request`` validates, plans and enqueues and is the only
module the front doors import; ``handler`` is the job; ``work`` runs in worker processes).

Each handler module registers its job type with ``desktop.jobs.registry`` as it is imported.
The engine never imports this package: a front door calls ``register_all()`` before it enqueues
or runs jobs (``desktop.runtime.open_runtime`` does, for the window, the command line and the
worker).
"""

from desktop.jobs import registry


def register_all() -> list[str]:
    """Register every job type the app has (the diagnostics' too: none is the engine's own);
    idempotent. Returns the names of the registered types."""
    from desktop.pipelines.apply import handler as apply_handler  # noqa: F401  (registers style.apply)
    from desktop.pipelines.diagnostics import handler as diagnostics  # noqa: F401  (registers diagnostics.*)
    from desktop.pipelines.export import handler as export_handler  # noqa: F401  (registers style.export)
    from desktop.pipelines.generate import handler as generate_handler  # noqa: F401  (registers style.generate)
    from desktop.pipelines.import_ import handler as import_handler  # noqa: F401  (registers style.import)
    from desktop.pipelines.strength import handler as strength_handler  # noqa: F401  (registers style.strength)
    return registry.names()
