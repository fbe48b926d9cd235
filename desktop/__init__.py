"""Style Studio: turn a description and a reference image into a reusable visual style."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """``desktop.__version__``, read from the installed package when first asked for: reading it
    imports ``importlib.metadata`` (tens of milliseconds), which a command that does not print
    the version, and every worker process, need not pay."""
    if name != "__version__":
        raise AttributeError(f"module 'desktop' has no attribute {name!r}")
    from importlib import metadata

    try:
        version = metadata.version("style-studio")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        version = "0.1.0"
    globals()["__version__"] = version
    return version
