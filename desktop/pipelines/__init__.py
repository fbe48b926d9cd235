"""Job handlers: the slow work behind the front doors.

Each module registers its job types with ``desktop.jobs.registry`` as it is imported. The
engine never imports this package: a front door calls ``register_all()`` before it enqueues or
runs jobs (``desktop.runtime.open_runtime`` does, for the window, the command line and the
worker).
"""

from desktop.jobs import registry
from desktop.pipelines import exchange, style_apply, style_generate  # noqa: F401  (registers their types)


def register_all() -> list[str]:
    """Register every job type the app has (the pipelines' and the engine's diagnostics);
    idempotent. Returns the names of the registered types."""
    from desktop.pipelines.strength import handler as _strength  # noqa: F401  (registers style.strength)
    registry.load_builtin()
    return registry.names()
