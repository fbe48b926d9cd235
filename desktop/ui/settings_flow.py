"""The settings flow: Settings… opens the one settings dialog (``settingsDialog``); what it
saves takes effect at once, in place (the engine's handlers hold the same ``Settings``), on the
engine's attempts and retention and on the work pool's parallelism."""

from __future__ import annotations

import dataclasses
from typing import Any

from desktop.ui.dialog_flow import DialogFlow
from desktop.ui.settings_dialog import SettingsDialog


class SettingsFlow(DialogFlow[SettingsDialog]):
    """Opens the one settings dialog and applies what it saves."""

    def open(self) -> SettingsDialog | None:
        runtime = self.window.runtime
        if runtime is None:
            return None
        if self.dialog is None:
            dialog = SettingsDialog(runtime.paths, runtime.settings, self.window)
            dialog.saved.connect(self._saved)
            self.adopt(dialog)
        self.dialog.open()
        return self.dialog

    def _saved(self, settings: Any) -> None:
        window = self.window
        if window.runtime is None:
            return
        # update in place: the engine's handlers hold the same Settings object
        current = window.runtime.settings
        for f in dataclasses.fields(current):
            setattr(current, f.name, getattr(settings, f.name))
        window.runtime.engine.configure(
            max_attempts=current.max_attempts, retention_days=current.retention_days
        )
        if window.pool_thread is not None:  # thread-safe: applied on the pool's own loop
            window.pool_thread.pool.set_max_parallel(max(1, current.max_parallel))
        window.show_status("Settings saved")
