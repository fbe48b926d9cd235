"""A style imported from a LUT file says true things about itself (issue 21 §4): no words, its
look from the LUT file, its strength chosen when applying, no prompt to copy."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel, QPushButton

from tests.helpers import cli
from tests.ui.conftest import wait_until
from tests.ui.test_menus_and_keys import gallery_ready


@pytest.fixture
def imported_home(home, tmp_path):
    lines = ["LUT_3D_SIZE 2"] + [f"{1 - r} {1 - g} {1 - b}" for b in (0, 1) for g in (0, 1) for r in (0, 1)]
    cube = tmp_path / "negative.cube"
    cube.write_text('TITLE "Negative"\n' + "\n".join(lines) + "\n")
    result = cli("import", str(cube), home=home, timeout=120)
    assert result.returncode == 0, result.stderr
    return home


def test_an_imported_lut_says_where_its_look_comes_from(qtbot, imported_home, window):
    gallery = gallery_ready(window, 1)
    gallery.setCurrentIndex(gallery.model().index(0, 0))
    wait_until(lambda: window.detail.style is not None)
    detail = window.detail
    words = detail.findChild(QLabel, "styleWordsLabel").text()
    assert words == "No words: the look comes from the LUT file it was imported from."
    wait_until(lambda: "was imported from a LUT file and keeps that LUT whole" in _texts(detail.strength))
    assert "make it again" not in _texts(detail) and "comes from the reference" not in _texts(detail)
    assert not detail.findChild(QPushButton, "copyPromptButton").isEnabled(), "no prompt to copy"


def _texts(widget) -> str:
    return "\n".join(label.text() for label in widget.findChildren(QLabel) if label.isVisible())
