"""Before Qt starts: is there a display to open the window on?

Without one, Qt's xcb plugin aborts with a message about missing libraries (``xcb-cursor0 is
needed``) that sends people installing packages they do not need.
"""

from __future__ import annotations

import os
import sys

from desktop.cli.common import CliError

# Qt platforms that draw on a real X11 or Wayland display; any other one the user chose
# (offscreen, minimal, vnc, linuxfb, eglfs, ...) needs none, and Qt says itself what is missing.
DISPLAY_PLATFORMS = frozenset({"", "xcb", "wayland", "wayland-egl", "wayland-brcm"})


def needs_display_but_has_none(environ: os._Environ[str] | dict[str, str] | None = None, platform: str | None = None) -> bool:
    env = os.environ if environ is None else environ
    if not (platform or sys.platform).startswith("linux"):
        return False
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return False
    runtime_dir = env.get("XDG_RUNTIME_DIR")
    if runtime_dir and os.path.exists(os.path.join(runtime_dir, "wayland-0")):
        return False  # Wayland's default socket: Qt finds it without WAYLAND_DISPLAY
    wanted = [name.split(":", 1)[0].strip().lower() for name in env.get("QT_QPA_PLATFORM", "").split(";")]
    return all(name in DISPLAY_PLATFORMS for name in wanted)


def check_display() -> None:
    if needs_display_but_has_none():
        raise CliError(
            "There is no display to open the Style Studio window on (neither DISPLAY nor WAYLAND_DISPLAY is set); "
            "run it in a desktop session, or use the command-line subcommands ('stylestudio --help'), "
            "or set QT_QPA_PLATFORM=offscreen to test without a screen."
        )
