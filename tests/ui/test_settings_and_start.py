"""Settings (the fal key only ever in the keyring) and start-up refusals."""

from __future__ import annotations

import json

from PySide6.QtWidgets import QDialogButtonBox, QLabel, QLineEdit, QSpinBox

from desktop import app as desktop_app
from desktop import config
from desktop.ui.settings_dialog import SettingsDialog
from tests.ui.conftest import shown, wait_until


def open_settings(qtbot, window) -> SettingsDialog:
    window.settings_action.trigger()
    dialog = window.findChild(SettingsDialog, "settingsDialog")
    assert dialog is not None and dialog.isVisible()
    key = dialog.findChild(QLineEdit, "falKeyEdit")
    wait_until(lambda: dialog.findChild(QLabel, "falKeyNoteLabel").text() != "")
    assert key is not None
    return dialog


def test_settings_save_to_the_file_and_the_key_to_the_keyring(qtbot, window, home, memory_keyring):
    dialog = open_settings(qtbot, window)
    assert dialog.findChild(QLabel, "dataFolderLabel").text() == str(home)
    key = dialog.findChild(QLineEdit, "falKeyEdit")
    assert key.isEnabled()
    qtbot.keyClicks(key, "fal-secret-123")
    dialog.findChild(QSpinBox, "maxParallelSpin").setValue(3)
    dialog.findChild(QLineEdit, "falModelTextEdit").setText("fal-ai/other-model")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    wait_until(lambda: not shown(dialog))

    saved = json.loads((home / "settings.json").read_text())
    assert saved["max_parallel"] == 3
    assert saved["fal_model_text"] == "fal-ai/other-model"
    assert memory_keyring.get_password(config.KEYRING_SERVICE, config.FAL_KEY_NAME) == "fal-secret-123"
    for path in home.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".ini", ".txt", ""):
            assert "fal-secret-123" not in path.read_text(errors="replace"), path
    assert window.runtime.settings.max_parallel == 3
    wait_until(lambda: window.pool_thread.pool.max_parallel == 3)  # applied on the pool's loop


def test_without_a_keyring_the_dialog_says_so_and_points_to_fal_key(qtbot, window, monkeypatch):
    monkeypatch.setattr(config, "usable_keyring", lambda: None)
    dialog = open_settings(qtbot, window)
    key = dialog.findChild(QLineEdit, "falKeyEdit")
    note = dialog.findChild(QLabel, "falKeyNoteLabel").text()
    assert not key.isEnabled()
    assert "No system keyring" in note and "FAL_KEY" in note
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()  # the rest still saves
    wait_until(lambda: not shown(dialog))


def test_main_shows_the_sentence_and_returns_2_when_the_library_cannot_open(qapp, tmp_path, monkeypatch):
    not_a_db = tmp_path / "home"
    not_a_db.mkdir()
    (not_a_db / "library.sqlite3").write_text("this is not a database")
    shown_text: list[str] = []

    async def fake_box(text: str) -> None:
        shown_text.append(text)

    from desktop.ui import application

    monkeypatch.setattr(application, "show_startup_error", fake_box)
    assert desktop_app.main(home=str(not_a_db)) == 2
    assert len(shown_text) == 1 and "library.sqlite3" in shown_text[0]
    assert "Traceback" not in shown_text[0]


def test_many_qt_calls_do_not_exhaust_none_true_false():
    """PySide6 6.12.0 on CPython 3.11 drops a reference to None/True/False per void call and
    emit, and the process aborts; pyproject.toml keeps 3.11 installs below 6.12. This fails if
    an installed Qt binding brings the bug back."""
    import subprocess
    import sys

    code = (
        "import os; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from PySide6.QtCore import QObject, Signal\n"
        "from PySide6.QtWidgets import QApplication, QLabel\n"
        "app = QApplication([])\n"
        "class O(QObject):\n"
        "    s = Signal(object)\n"
        "o = O(); o.s.connect(lambda v: None); label = QLabel()\n"
        "for i in range(100_000):\n"
        "    label.setText('x'); o.s.emit(i)\n"
        "import gc; gc.collect(); print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_stylestudio_opens_the_window_and_ctrl_c_closes_it_cleanly(tmp_path):
    """The real `stylestudio` process: it runs a job enqueued from outside, and Ctrl+C while
    the job runs stops it in bounded time with no row left running: the job, which the window
    did not start, is handed back to the queue (not canceled, no attempt spent)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from desktop.runtime import open_runtime
    from tests.helpers import REPO, wait_until

    home = tmp_path / "app-home"
    env = dict(os.environ, STYLESTUDIO_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen([sys.executable, "-m", "desktop.cli"], env=env, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        log_file = home / "logs" / "stylestudio.log"
        wait_until(lambda: log_file.exists() and "Window ready" in log_file.read_text(), timeout=30)
        rt = open_runtime(home, watch_external=False)
        try:
            job_id = rt.engine.enqueue("diagnostics.sleep", {"seconds": 60, "steps": 600})
            wait_until(lambda: rt.engine.get(job_id).status == "running", timeout=10)
            t0 = time.monotonic()
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
            assert time.monotonic() - t0 < 15
            assert proc.returncode == 0, err
            assert "Traceback" not in err
            row = rt.engine.get(job_id)
            assert (row.status, row.attempts) == ("queued", 0), row
        finally:
            rt.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
