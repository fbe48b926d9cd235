"""Style Studio: turn a description and a reference image into a reusable visual style."""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("style-studio")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"
