"""The breeding bay: drop two artists on the slots, choose a recipe, scan, breed, evolve."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSlider,
    QSpinBox, QStackedWidget, QVBoxLayout, QWidget,
)

from studio.breed import METHODS, BreedRecipe
from studio.app.tree_view import ROLE_COLORS, checkpoint_from_mime

pg.setConfigOptions(antialias=True, background="#10141b", foreground="#9aa4b6")


class ParentSlot(QFrame):
    """A drop target holding one checkpoint id."""

    changed = Signal()

    def __init__(self, letter: str, parent=None):
        super().__init__(parent)
        self.letter = letter
        self.checkpoint_id: int | None = None
        self.setAcceptDrops(True)
        self.setObjectName("slot")
        self.setMinimumSize(170, 56)
        self.label = QLabel()
        self.label.setAlignment(Qt.AlignCenter)
        self.label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        self.set_record(None)

    def set_record(self, record) -> None:
        self.checkpoint_id = record.id if record is not None else None
        if record is None:
            self.label.setText(f"<b>{self.letter}</b><br><span style='color:#6b7280'>drop an artist here</span>")
        else:
            color = ROLE_COLORS.get(record.role, "#4f9cf7")
            self.label.setText(f"<b>{self.letter}</b> · <span style='color:{color}'>{record.name}</span><br>"
                               f"<span style='color:#6b7280'>{record.qualified_name}</span>")
        self.changed.emit()

    def dragEnterEvent(self, event):
        event.setAccepted(checkpoint_from_mime(event.mimeData()) is not None)

    def dropEvent(self, event):
        checkpoint_id = checkpoint_from_mime(event.mimeData())
        if checkpoint_id is not None:
            self.dropped(checkpoint_id)
            event.acceptProposedAction()

    dropped_signal = Signal(int)

    def dropped(self, checkpoint_id: int) -> None:
        self.dropped_signal.emit(checkpoint_id)


class BreedingBay(QWidget):
    scanRequested = Signal(int, int)
    breedRequested = Signal(int, int, object)  # a, b, BreedRecipe
    evolveRequested = Signal(int, int, int, int, int)  # a, b, population, generations, seed
    vigorTableRequested = Signal()  # the user clicked the vigor in the summary

    def __init__(self, parent=None):
        super().__init__(parent)
        self.slot_a = ParentSlot("A")
        self.slot_b = ParentSlot("B")
        self.method = QComboBox()
        for name, method in METHODS.items():
            self.method.addItem(name, name)
            self.method.setItemData(self.method.count() - 1, method.summary, Qt.ToolTipRole)
        self.t_slider = QSlider(Qt.Horizontal, minimum=0, maximum=100, value=50)
        self.t_value = QLabel("t = 0.50")
        self.per_part = QCheckBox("t per part")
        self.t_attn = QDoubleSpinBox(decimals=2, minimum=0, maximum=1, singleStep=0.05, value=0.5)
        self.t_ff = QDoubleSpinBox(decimals=2, minimum=0, maximum=1, singleStep=0.05, value=0.5)
        self.t_embed = QDoubleSpinBox(decimals=2, minimum=0, maximum=1, singleStep=0.05, value=0.5)
        self.attn_from = QComboBox()
        self.attn_from.addItems(["a", "b"])
        self.granularity = QComboBox()
        self.granularity.addItems(["neuron", "head", "layer"])
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1)
        self.scan_button = QPushButton("Scan path")
        self.scan_button.setToolTip("bpc of slerp children along A → B: one basin or two?")
        self.breed_button = QPushButton("Breed")
        self.breed_button.setObjectName("primary")
        self.population = QSpinBox(minimum=2, maximum=256, value=8)
        self.generations = QSpinBox(minimum=1, maximum=100, value=3)
        self.evolve_button = QPushButton("Evolve (Darwin)")
        self.result = QLabel("Drag two artists from the tree onto A and B.")
        self.result.setObjectName("result")
        self.result.setWordWrap(True)
        self.result.setTextFormat(Qt.RichText)
        self.result.setTextInteractionFlags(Qt.LinksAccessibleByMouse)
        self.result.linkActivated.connect(lambda _link: self.vigorTableRequested.emit())

        self.plot = pg.PlotWidget()
        self.plot.setMinimumHeight(130)
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.plot.setLabel("left", "bpc")
        self.plot.setLabel("bottom", "t (scan) / generation (Darwin)")
        # the chord between the parents' losses: the barrier is the path's height above it
        self.chord = self.plot.plot([], [], pen=pg.mkPen("#9aa4b6", width=1, style=Qt.DashLine))
        self.curve = self.plot.plot([], [], pen=pg.mkPen("#4f9cf7", width=2), symbol="o", symbolSize=6, symbolBrush="#4f9cf7")

        options = QGridLayout()
        options.addWidget(QLabel("Method"), 0, 0)
        options.addWidget(self.method, 0, 1)
        options.addWidget(self.t_value, 1, 0)
        options.addWidget(self.t_slider, 1, 1)
        self.part_row = QWidget()
        parts = QHBoxLayout(self.part_row)
        parts.setContentsMargins(0, 0, 0, 0)
        for text, box in (("attn", self.t_attn), ("ff", self.t_ff), ("embed", self.t_embed)):
            parts.addWidget(QLabel(text))
            parts.addWidget(box)
        options.addWidget(self.per_part, 2, 0)
        options.addWidget(self.part_row, 2, 1)
        self.extra = QStackedWidget()
        empty = QWidget()
        attn = QWidget()
        al = QHBoxLayout(attn)
        al.setContentsMargins(0, 0, 0, 0)
        al.addWidget(QLabel("attention from"))
        al.addWidget(self.attn_from)
        al.addStretch(1)
        disc = QWidget()
        dl = QHBoxLayout(disc)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.addWidget(QLabel("granularity"))
        dl.addWidget(self.granularity)
        dl.addWidget(QLabel("seed"))
        dl.addWidget(self.seed)
        dl.addStretch(1)
        for w in (empty, attn, disc):
            self.extra.addWidget(w)
        options.addWidget(self.extra, 3, 0, 1, 2)
        buttons = QHBoxLayout()
        buttons.addWidget(self.scan_button)
        buttons.addWidget(self.breed_button)
        options.addLayout(buttons, 4, 0, 1, 2)
        darwin = QHBoxLayout()
        darwin.addWidget(QLabel("population"))
        darwin.addWidget(self.population)
        darwin.addWidget(QLabel("generations"))
        darwin.addWidget(self.generations)
        darwin.addWidget(self.evolve_button)
        options.addLayout(darwin, 5, 0, 1, 2)

        slots = QVBoxLayout()
        slots.addWidget(self.slot_a)
        slots.addWidget(QLabel("×", alignment=Qt.AlignCenter))
        slots.addWidget(self.slot_b)
        slots.addStretch(1)

        right = QVBoxLayout()
        right.addWidget(self.plot, 1)
        right.addWidget(self.result)

        layout = QHBoxLayout(self)
        layout.addLayout(slots)
        layout.addLayout(options)
        layout.addLayout(right, 1)

        self.t_slider.valueChanged.connect(lambda v: self.t_value.setText(f"t = {v / 100:.2f}"))
        self.method.currentTextChanged.connect(self._method_changed)
        self.per_part.toggled.connect(self.part_row.setEnabled)
        self.part_row.setEnabled(False)
        self.slot_a.changed.connect(self._update_buttons)
        self.slot_b.changed.connect(self._update_buttons)
        self.scan_button.clicked.connect(lambda: self.scanRequested.emit(self.slot_a.checkpoint_id, self.slot_b.checkpoint_id))
        self.breed_button.clicked.connect(lambda: self.breedRequested.emit(self.slot_a.checkpoint_id, self.slot_b.checkpoint_id, self.recipe()))
        self.evolve_button.clicked.connect(lambda: self.evolveRequested.emit(
            self.slot_a.checkpoint_id, self.slot_b.checkpoint_id, self.population.value(), self.generations.value(), self.seed.value()))
        self._method_changed(self.method.currentText())
        self._update_buttons()

    def _method_changed(self, name: str) -> None:
        self.extra.setCurrentIndex({"frozen-attn": 1, "discrete": 2}.get(name, 0))
        uses_t = name != "discrete"
        self.t_slider.setEnabled(uses_t)
        self.per_part.setEnabled(uses_t)

    def _update_buttons(self) -> None:
        ready = self.slot_a.checkpoint_id is not None and self.slot_b.checkpoint_id is not None
        for button in (self.scan_button, self.breed_button, self.evolve_button):
            button.setEnabled(ready)

    def recipe(self) -> BreedRecipe:
        parts = self.per_part.isChecked()
        return BreedRecipe(
            method=self.method.currentData(),
            t=self.t_slider.value() / 100,
            t_attn=self.t_attn.value() if parts else None,
            t_ff=self.t_ff.value() if parts else None,
            t_embed=self.t_embed.value() if parts else None,
            attn_from=self.attn_from.currentText(),
            granularity=self.granularity.currentText(),
            seed=self.seed.value(),
        )

    def show_result(self, html: str, tooltip: str = "") -> None:
        self.result.setText(html)
        self.result.setToolTip(tooltip)

    def show_curve(self, xs, ys, title: str, chord=None) -> None:
        self.curve.setData(list(xs), list(ys))
        self.chord.setData(list(xs) if chord is not None else [], list(chord) if chord is not None else [])
        self.plot.setTitle(title, color="#9aa4b6", size="9pt")
