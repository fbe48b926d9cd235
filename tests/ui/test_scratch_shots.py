import json
from pathlib import Path

from desktop.runtime import open_runtime
from tests.ui.conftest import arun
from tests.ui.sample_library import add_styles
from desktop import app as desktop_app

OUT = Path("/tmp/ui_check")


def test_shots(qtbot, aloop, home):
    rt = open_runtime(home)
    rt.close()
    add_styles(home, 7)
    win = arun(qtbot, desktop_app.start(home))
    try:
        win.resize(1180, 760)
        qtbot.waitUntil(lambda: win.styles_model.rowCount() == 7, timeout=5000)
        qtbot.waitUntil(lambda: all(win.styles_model.index(r).data(win.styles_model.ThumbnailReadyRole if hasattr(win.styles_model,'x') else 259) for r in range(7)), timeout=5000)
        arun(qtbot, win.reveal_style(5))
        qtbot.wait(300)
        # a job or two in the panel
        eng = win.runtime.engine
        eng.enqueue("diagnostics.sleep", {"seconds": 30, "steps": 30})
        j2 = eng.enqueue("diagnostics.sleep", {"seconds": 0.1, "steps": 1, "fail_at_step": 1})
        qtbot.wait(1500)
        win.grab().save(str(OUT / "main.png"))
        d = win.new_style()
        d.description.setPlainText("warm faded film, soft grain, teal shadows")
        d.set_reference(str(Path("resources/samples/coffee.png").resolve()))
        qtbot.waitUntil(lambda: d.drop_zone.reference is not None, timeout=5000)
        qtbot.wait(100)
        d.grab().save(str(OUT / "new_style.png"))
        d.reject()
        jid = eng.enqueue("diagnostics.sleep", {"seconds": 20, "steps": 10})
        pd = win.follow_job(jid, "diagnostics.sleep")
        qtbot.waitUntil(pd.isVisible, timeout=3000)
        qtbot.wait(4500)
        pd.grab().save(str(OUT / "progress.png"))
        pd.cancel_job()
        qtbot.wait(50)
        fd = win.follow_job(j2)
        qtbot.waitUntil(fd.isVisible, timeout=3000)
        fd.details_button.setChecked(True)
        qtbot.wait(300)
        fd.grab().save(str(OUT / "failed.png"))
        s = win.open_settings()
        qtbot.wait(300)
        s.grab().save(str(OUT / "settings.png"))
        s.reject()
    finally:
        arun(qtbot, desktop_app.stop(win), timeout=30)
