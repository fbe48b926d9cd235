"""The detail pane's strength editor: a slider (``styleStrengthSlider``, 0–100 %), a live
before/after (``styleStrengthPreview``) on a sample photo (the style's own, or one picked from the
*On a sample* button's menu: another sample, or one of the person's photos) or on the style's
reference, and
"Save strength" (``styleStrengthSaveButton``), which asks for a strength job. Beside the
strength, the style's grain and vignette (``desktop.ui.effect_levels``): the preview follows
them, and the same job saves them.

The preview renders the style's whole look (its grade at the slider's strength, then its
effects) over a small copy of the photo in a worker process
(``desktop.pipelines.preview.request.render_style_preview``).
Moves of the slider are coalesced: while one render runs, only the latest value waits, so the
preview follows the slider without a queue of stale renders.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.errors import UserError
from desktop.library.reading import StyleInfo
from desktop.pipelines.preview.request import render_style_preview, sample_photo_for
from desktop.pipelines.strength.request import params_with_levels, style_levels
from desktop.ui.async_utils import run_blocking, spawn
from desktop.ui.before_after import BeforeAfterView, decode_pair
from desktop.ui.effect_levels import EffectLevels
from desktop.ui.strength_slider import strength_slider
from desktop.ui.tones import Tone, ToneLabel

log = logging.getLogger(__name__)

PROXY_EDGE = 360  # long edge of the photo the live preview renders
SAMPLE, REFERENCE = "sample", "reference"


@dataclass(frozen=True)
class _Want:
    style_id: int
    source: str
    strength: int
    levels: tuple[tuple[str, Any], ...] = ()  # grain, grain_size, vignette


class StrengthEditor(QWidget):
    saveRequested = Signal(int)  # the strength (0..100) to save
    rendered = Signal(int)  # the strength the before/after now shows

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("styleStrengthEditor")
        self.style: StyleInfo | None = None
        self.saved = 0  # the style's stored strength
        self.saved_levels: dict[str, Any] = {}  # its grain and vignette as they render
        self.saving = False
        self._want: _Want | None = None
        self._shown: _Want | None = None
        self._rendering = False
        self._photos: dict[tuple[int, str], str | None] = {}  # (style, source) -> its photo; None: unreadable

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(6)

        row = QHBoxLayout()
        row.setSpacing(8)
        self.slider = strength_slider(
            "styleStrengthSlider",
            "How strongly the style grades, from 0 % (the photo as it is) to 100 % (the whole grade)",
        )
        self.value_label = QLabel("0 %")
        self.value_label.setObjectName("styleStrengthValue")
        self.value_label.setMinimumWidth(self.value_label.fontMetrics().horizontalAdvance("100 %") + 4)
        self.value_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        row.addWidget(self.slider, 1)
        row.addWidget(self.value_label)
        lay.addLayout(row)
        self.effects = EffectLevels()
        lay.addWidget(self.effects)

        toggle = QHBoxLayout()
        toggle.setSpacing(0)
        self.sample_button = QToolButton()
        self.sample_button.setObjectName("styleStrengthSampleButton")
        self.sample_button.setText("On a sample")
        self.sample_button.setToolTip("Preview the strength on a sample photo; the arrow picks which, or one of your photos")
        self.sample_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.photo_menu = QMenu(self.sample_button)
        self.photo_menu.setObjectName("styleStrengthPhotoMenu")
        self.photo_menu.aboutToShow.connect(self.fill_photo_menu)
        self.sample_button.setMenu(self.photo_menu)
        self.chosen_photo: str | None = None  # the photo picked for "On a sample" (None: the style's own choice)
        self.reference_button = QToolButton()
        self.reference_button.setObjectName("styleStrengthReferenceButton")
        self.reference_button.setText("On the reference")
        self.reference_button.setToolTip("Preview the strength on the style's reference photo")
        self.sources = QButtonGroup(self)
        for i, button in enumerate((self.sample_button, self.reference_button)):
            button.setCheckable(True)
            button.setAccessibleName(button.text())
            button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            self.sources.addButton(button, i)
            toggle.addWidget(button)
        self.sample_button.setChecked(True)
        toggle.addStretch(1)
        lay.addLayout(toggle)

        self.preview = BeforeAfterView()
        self.preview.setObjectName("styleStrengthPreview")
        self.preview.setAccessibleName("Strength preview, before and after")
        self.preview.setMinimumSize(200, 150)
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.preview.setFixedHeight(200)
        lay.addWidget(self.preview)

        bottom = QHBoxLayout()
        self.note = ToneLabel(tone=Tone.DIM)
        self.note.setObjectName("styleStrengthNote")
        self.note.setWordWrap(True)
        self.save_button = QPushButton("Save strength")
        self.save_button.setObjectName("styleStrengthSaveButton")
        self.save_button.setToolTip("Re-write the style's .cube and previews at this strength")
        self.save_button.setAccessibleName("Save strength")
        bottom.addWidget(self.note, 1)
        bottom.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignTop)
        lay.addLayout(bottom)

        self.slider.valueChanged.connect(self._moved)
        self.effects.changed.connect(lambda: self._moved(0))
        self.sources.idClicked.connect(lambda _id: self._schedule())
        self.save_button.clicked.connect(lambda: self.saveRequested.emit(self.slider.value()))

    # --- the style ------------------------------------------------------------------------
    def set_style(self, style: StyleInfo, reason: str | None) -> None:
        """Show ``style``'s stored strength; ``reason`` says why it cannot be changed (or None)."""
        new_style = self.style is None or self.style.id != style.id
        if new_style:
            self._photos.clear()
            self.preview.clear()
            self._shown = None
        self.style = style
        self.saving = False
        self.saved = int(style.strength)
        self.saved_levels = style_levels(style.params)
        adjustable = reason is None
        for widget in (self.slider, self.value_label, self.effects, self.preview, self.save_button, self.sample_button, self.reference_button):
            widget.setVisible(adjustable)
        has_reference = style.reference_path is not None
        self.reference_button.setEnabled(has_reference)
        if new_style:  # a new style starts on its reference, the photo its look came from
            (self.reference_button if has_reference else self.sample_button).setChecked(True)
        elif not has_reference:
            self.sample_button.setChecked(True)
        self.reference_button.setToolTip(
            "Preview the strength on the style's reference photo" if has_reference else "This style has no reference photo"
        )
        self.slider.blockSignals(True)
        self.slider.setValue(self.saved)
        self.slider.blockSignals(False)
        self.effects.set_levels(self.saved_levels)
        self._update_labels()
        if adjustable:
            self.note.set_tone(Tone.DIM)
            self._schedule()
        else:
            self.note.set_tone(Tone.DIM)
            self.note.setText(reason or "")

    def set_saving(self, saving: bool, note: str | None = None, *, error: bool = False) -> None:
        self.saving = saving
        self._update_labels()
        if note is not None:
            self.note.set_tone(Tone.ERROR if error else Tone.DIM)
            self.note.setText(note)

    def source(self) -> str:
        """REFERENCE, SAMPLE (the style's own sample), or the path of the photo picked."""
        if self.reference_button.isChecked():
            return REFERENCE
        return self.chosen_photo or SAMPLE

    def choose_photo(self, path: str | None) -> None:
        """Preview on ``path`` (a sample photo, or one of the person's; None: the style's own
        sample) from now on, for every style, until another is picked."""
        self.chosen_photo = path
        name = Path(path).stem.replace("_", " ") if path else ""
        self.sample_button.setText(f"On {name[:24] + '…' if len(name) > 25 else name}" if path else "On a sample")
        self.sample_button.setAccessibleName(self.sample_button.text())
        self.sample_button.setChecked(True)
        self._schedule()

    def fill_photo_menu(self) -> None:
        """The sample photos (the dark ones last), and one of the person's photos."""
        from desktop.resources import DARK_SAMPLES, sample_photos

        menu = self.photo_menu
        menu.clear()
        own = menu.addAction("The style's own sample")
        own.setCheckable(True)
        own.setChecked(self.chosen_photo is None)
        own.triggered.connect(lambda: self.choose_photo(None))
        menu.addSeparator()
        for photo in sorted(sample_photos(), key=lambda p: (p.name in DARK_SAMPLES, p.name)):
            label = photo.stem.replace("_", " ").capitalize() + (" (nearly black)" if photo.name in DARK_SAMPLES else "")
            action = menu.addAction(label)
            action.setCheckable(True)
            action.setChecked(self.chosen_photo == str(photo))
            action.triggered.connect(lambda _on=False, p=str(photo): self.choose_photo(p))
        menu.addSeparator()
        mine = menu.addAction("One of your photos…")
        mine.setObjectName("styleStrengthYourPhotoAction")
        mine.triggered.connect(self._pick_own_photo)

    def _pick_own_photo(self) -> None:
        dialog = QFileDialog(self, "Preview the strength on a photo")
        dialog.setObjectName("styleStrengthPhotoDialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter("Photos (*.jpg *.jpeg *.png *.tif *.tiff *.webp *.bmp *.gif);;All files (*)")
        dialog.fileSelected.connect(lambda path: self.choose_photo(path) if path else None)
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        dialog.open()

    def _moved(self, _value: int) -> None:
        self._update_labels()
        self._schedule()

    def changed_levels(self) -> dict[str, Any]:
        """The effect levels the controls changed from the style's own (what a save sends)."""
        return {k: v for k, v in self.effects.levels().items() if v != self.saved_levels.get(k)}

    def _update_labels(self) -> None:
        value = self.slider.value()
        self.value_label.setText(f"{value} %")
        self.slider.setAccessibleDescription(f"{value} per cent")
        effects = bool(self.changed_levels())
        enabled = self.style is not None and not self.saving and (value != self.saved or effects)
        if not enabled and self.save_button.hasFocus():  # the focus stays here, not on the next widget
            self.slider.setFocus(Qt.FocusReason.OtherFocusReason)  # down the page (the pane would scroll to it)
        self.save_button.setEnabled(enabled)
        if not self.saving and self.style is not None:
            self.note.set_tone(Tone.DIM)
            if value == self.saved and not effects:
                self.note.setText(f"Saved at {self.saved} %.")
            elif value == self.saved:
                self.note.setText(f"Saved at {self.saved} %; save to re-render the previews with this grain and vignette.")
            else:
                self.note.setText(f"Saved at {self.saved} %; save to re-write the .cube and previews at {value} %.")

    # --- the live preview -----------------------------------------------------------------
    def shown(self) -> _Want | None:
        """What the before/after shows now (style, photo, strength), or None."""
        return self._shown

    def _schedule(self) -> None:
        if self.style is None:
            return
        self._want = _Want(self.style.id, self.source(), self.slider.value(), tuple(self.effects.levels().items()))
        if not self._rendering:
            self._rendering = True
            spawn(self._render_latest(), name="strength-preview")

    async def _render_latest(self) -> None:
        try:
            while self._want is not None and self._want != self._shown:
                want = self._want
                style = self.style
                if style is None or style.id != want.style_id:
                    return
                path = await self._photo(style, want.source)
                if path is None:
                    self.preview.clear()
                    self.preview.set_message("The photo for this preview could not be read.")
                    self._shown = want
                    return
                try:
                    future = await run_blocking(_render, style, path, want.strength, dict(want.levels))
                    before, after = await run_blocking(decode_pair, await asyncio.wrap_future(future))
                except UserError as exc:  # an unreadable photo: the preview says so
                    log.warning("Could not read %s for the strength preview: %s", path, exc)
                    self._photos[(style.id, want.source)] = None
                    continue
                if self.style is None or self.style.id != want.style_id:
                    return
                self.preview.set_images(before, after)
                self._shown = want
                self.rendered.emit(want.strength)
        except RuntimeError:  # the widget is gone (the window closed meanwhile)
            return
        finally:
            self._rendering = False

    async def _photo(self, style: StyleInfo, source: str) -> str | None:
        """The photo the preview shows for ``source`` (None: none, or it could not be read)."""
        key = (style.id, source)
        if key not in self._photos:
            if source not in (SAMPLE, REFERENCE):  # a photo picked from the menu
                self._photos[key] = source
            elif source == REFERENCE and style.reference_path is not None:
                self._photos[key] = str(style.reference_path)
            else:
                self._photos[key] = await run_blocking(sample_photo_for, style)
        return self._photos[key]


def _render(style: StyleInfo, path: str, strength: int, levels: dict[str, Any]) -> Any:
    """Blocking: start rendering ``style`` with its grain and vignette at ``levels``."""
    return render_style_preview(replace(style, params=params_with_levels(style.params, **levels)), path, strength, PROXY_EDGE)
