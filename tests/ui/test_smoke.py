from tests.ui.conftest import arun  # noqa: F401


def test_start_stop(qtbot, window):
    assert window.objectName() == "mainWindow"
    qtbot.waitUntil(lambda: window.styles_model.ever_loaded, timeout=5000)
    window.grab().save("/tmp/ui_check/empty.png")
