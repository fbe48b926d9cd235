"""Job handlers: the slow work behind the front doors, one slice per job type
(``desktop/pipelines/<type>/``: ``request`` validates, plans and enqueues and is the only
module the front doors import; ``handler`` is the job; ``work`` runs in worker processes).

Each handler module registers its job type with ``desktop.jobs.registry`` as it is imported;
``register_all()`` finds the slices by their folders.
The engine never imports this package: a front door calls ``register_all()`` before it enqueues
or runs jobs (``desktop.runtime.open_runtime`` does, for the window, the command line and the
worker).
"""

import importlib
import importlib.util
import pkgutil


def slices() -> list[str]:
    """The job types' slices: every sub-package of ``desktop.pipelines`` with a ``handler``
    module, by folder name (a new slice needs no line here)."""
    return sorted(
        info.name
        for info in pkgutil.iter_modules(__path__)
        if info.ispkg and importlib.util.find_spec(f"{__name__}.{info.name}.handler") is not None
    )


def register_all() -> list[str]:
    """Register every job type the app has (the diagnostics' too: none is the engine's own) by
    importing each slice's ``handler``, which registers its types; idempotent. Returns the
    names of the registered types."""
    # imported here: a worker process imports this package (its work modules) and needs no registry
    from desktop.jobs import registry

    for name in slices():
        importlib.import_module(f"{__name__}.{name}.handler")
    return registry.names()
