"""The breeding bay: drop two artists on the slots, choose a recipe, scan, breed, evolve."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.app import palette
from studio.app.palette import ROLE_COLORS
from studio.app.tree_view import checkpoint_from_mime
from studio.breed import METHODS, BreedRecipe
from studio.breed.recipe import Option, all_options
from studio.errors import StudioError

pg.setConfigOptions(antialias=True, background=palette.SURFACE, foreground=palette.TEXT_DIM)


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
            self.label.setText(
                f"<b>{self.letter}</b><br><span style='color:{palette.TEXT_HINT}'>drop an artist here</span>"
            )
        else:
            color = ROLE_COLORS.get(record.role, palette.ACCENT)
            self.label.setText(
                f"<b>{self.letter}</b> · <span style='color:{color}'>{record.name}</span><br>"
                f"<span style='color:{palette.TEXT_HINT}'>{record.qualified_name}</span>"
            )
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


class FittedScrollArea(QScrollArea):
    """A scroll area as tall as its word-wrapped widget needs at its width: it scrolls only
    when the layout cannot give it that much."""

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        widget = self.widget()
        if widget is None:
            return hint
        width = self.viewport().width() if self.viewport().width() > 0 else hint.width()
        return QSize(hint.width(), widget.heightForWidth(width) + 2 * self.frameWidth())

    def viewportEvent(self, event) -> bool:
        if event.type() == QEvent.LayoutRequest:  # the widget's text changed: ask for new room
            self.updateGeometry()
        return super().viewportEvent(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():  # a new width wraps to new lines
            self.updateGeometry()


class OptionField:
    """The widget for one option of a merge method, built from its declaration.

    A str option with choices is a combo box; a number in [0, 1] a slider; another
    number a spin box; an option that may be unset gets a check box that sets it; a
    per-layer option a comma-separated line edit (empty: unset).
    """

    def __init__(self, option: Option):
        self.option = option
        self.enable: QCheckBox | None = None
        self.widget = QWidget()
        layout = QHBoxLayout(self.widget)
        layout.setContentsMargins(0, 0, 0, 0)
        if option.default is None and not option.per_layer:
            self.enable = QCheckBox("set")
            layout.addWidget(self.enable)
        start = option.default if option.default is not None else (option.low if option.low is not None else 0)
        if option.per_layer:
            self.editor = QLineEdit(placeholderText="one value per block, e.g. 0.2,0.4,0.6,0.8")
            self._read = lambda: option.parse(self.editor.text()) if self.editor.text().strip() else None
        elif option.choices is not None:
            self.editor = QComboBox()
            self.editor.addItems(list(option.choices))
            self.editor.setCurrentText(str(option.default))
            self._read = self.editor.currentText
        elif option.type is float and (option.low, option.high) == (0.0, 1.0):
            self.editor = QSlider(Qt.Horizontal, minimum=0, maximum=100, value=round(start * 100))
            shown = QLabel(f"{start:.2f}")
            self.editor.valueChanged.connect(lambda v: shown.setText(f"{v / 100:.2f}"))
            layout.addWidget(self.editor, 1)
            self.editor_label = shown
            self._read = lambda: self.editor.value() / 100
        elif option.type is float:
            self.editor = QDoubleSpinBox(decimals=3, singleStep=0.05)
            self.editor.setRange(
                option.low if option.low is not None else -1e9, option.high if option.high is not None else 1e9
            )
            self.editor.setValue(start)
            self._read = self.editor.value
        else:
            self.editor = QSpinBox()
            self.editor.setRange(
                int(option.low) if option.low is not None else -(2**31),
                int(min(option.high, 2**31 - 1)) if option.high is not None else 2**31 - 1,
            )
            self.editor.setValue(int(start))
            self._read = self.editor.value
        layout.addWidget(self.editor if not isinstance(self.editor, QSlider) else self.editor_label)
        if self.enable is not None:
            self.editor.setEnabled(False)
            self.enable.toggled.connect(self.editor.setEnabled)
        self.widget.setToolTip(option.help)

    def set_value(self, value) -> None:
        """Show ``value`` (None: unset), e.g. a restored recipe; a value out of range is clamped
        by the widget, one of the wrong type is ignored."""
        if self.enable is not None:
            self.enable.setChecked(value is not None)
        if value is None:
            if self.option.per_layer:
                self.editor.setText("")
            return
        try:
            if self.option.per_layer:
                self.editor.setText(",".join(f"{float(v):g}" for v in value))
            elif isinstance(self.editor, QComboBox):
                if self.editor.findText(str(value)) >= 0:
                    self.editor.setCurrentText(str(value))
            elif isinstance(self.editor, QSlider):
                self.editor.setValue(round(float(value) * 100))
            elif isinstance(self.editor, QDoubleSpinBox):
                self.editor.setValue(float(value))
            else:
                self.editor.setValue(int(value))
        except (TypeError, ValueError):
            pass

    def value(self):
        """The option's value, None when unset (StudioError for a line that does not parse)."""
        if self.enable is not None and not self.enable.isChecked():
            return None
        return self._read()


class BreedingBay(QWidget):
    scanRequested = Signal(int, int)
    breedRequested = Signal(int, int, object)  # a, b, BreedRecipe
    evolveRequested = Signal(int, int, int, int, int)  # a, b, population, generations, seed
    vigorTableRequested = Signal()  # the user clicked the vigor in the summary
    cancelRequested = Signal(int)  # job id of the bay's running job
    nurseryRequested = Signal(int, int)  # a, b: a litter around the bay's recipe

    HINT_EMPTY = "Drag two artists from the tree onto A and B."
    PLOT_MIN_HEIGHT = 140  # its data area stays ~80 px under the axis and the title

    def __init__(self, parent=None):
        super().__init__(parent)
        self.slot_a = ParentSlot("A")
        self.slot_b = ParentSlot("B")
        self.method = QComboBox()
        for name, method in METHODS.items():
            self.method.addItem(name, name)
            self.method.setItemData(self.method.count() - 1, method.summary, Qt.ToolTipRole)
        # One row per option of the registered methods; a method shows the rows it takes.
        self.fields: dict[str, OptionField] = {}
        self._labels: dict[str, QLabel] = {}
        self._takers: dict[str, int] = {}  # how many methods take each option
        for option, methods in all_options().values():
            self.fields[option.name] = OptionField(option)
            self._takers[option.name] = len(methods)
            self._labels[option.name] = QLabel(option.label)
            self._labels[option.name].setToolTip(f"{', '.join(methods)}: {option.help}")
        self.align_b = QCheckBox("align B to A")
        self.align_b.setToolTip(
            "Re-order B's heads, feed-forward units and residual stream to match A before breeding "
            "(B computes the same function). Every action of the bay honours it: Breed, Evolve and "
            "Litter… breed from B aligned (the child's lineage says so); Scan path shows the raw "
            "and the aligned path."
        )
        self.scan_button = QPushButton("Scan path")
        self.scan_button.setToolTip("bpc of slerp children along A → B: one basin or two?")
        self.breed_button = QPushButton("Breed")
        self.breed_button.setObjectName("primary")
        self.nursery_button = QPushButton("Litter…")
        self.nursery_button.setToolTip(
            "Breed a litter of children around this recipe in the Nursery tab, and choose by eye"
        )
        self.nursery_button.clicked.connect(
            lambda: self.nurseryRequested.emit(self.slot_a.checkpoint_id, self.slot_b.checkpoint_id)
        )
        self.population = QSpinBox(minimum=2, maximum=256, value=8)
        self.generations = QSpinBox(minimum=1, maximum=100, value=3)
        self.darwin_seed = QSpinBox(minimum=0, maximum=2**31 - 1)
        self.darwin_seed.setToolTip("seed of the evolution")
        self.evolve_button = QPushButton("Evolve (Darwin)")
        self.result = QLabel(self.HINT_EMPTY)
        self.result.setObjectName("result")
        self.result.setWordWrap(True)
        self.result.setTextFormat(Qt.RichText)
        self.result.setTextInteractionFlags(Qt.LinksAccessibleByMouse)
        self.result.linkActivated.connect(lambda _link: self.vigorTableRequested.emit())

        # The bay's own job (scan, breed, Darwin): progress and cancel where the user looks.
        self.job_id: int | None = None
        self.job_bar = QProgressBar()
        self.job_bar.setRange(0, 1000)
        self.job_bar.setTextVisible(False)
        self.job_bar.setFixedHeight(6)
        self.job_status = QLabel()
        self.job_status.setObjectName("jobStatus")
        self.job_cancel = QPushButton("Cancel")
        self.job_cancel.setToolTip("Stop this job")
        self.job_cancel.clicked.connect(lambda: self.job_id is not None and self.cancelRequested.emit(self.job_id))
        self.job_row = QWidget()
        job_layout = QGridLayout(self.job_row)
        job_layout.setContentsMargins(0, 0, 0, 0)
        job_layout.addWidget(self.job_status, 0, 0)
        job_layout.addWidget(self.job_cancel, 0, 1, 2, 1)
        job_layout.addWidget(self.job_bar, 1, 0)
        self.job_row.hide()

        self.plot = pg.PlotWidget()
        self.plot.setMinimumSize(220, 100)
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.plot.setLabel("left", "bpc")
        self.plot.getAxis("left").enableAutoSIPrefix(False)  # plain bpc, never "bpc (x0.001)"
        self.plot.setLabel("bottom", "t (scan) / generation (Darwin)")
        # the chord between the parents' losses: the barrier is the path's height above it
        self.chord = self.plot.plot([], [], pen=pg.mkPen(palette.TEXT_DIM, width=1, style=Qt.DashLine))
        self.curve = self.plot.plot(
            [], [], pen=pg.mkPen(palette.ACCENT, width=2), symbol="o", symbolSize=6, symbolBrush=palette.ACCENT
        )
        self.reference_lines: list = []  # Darwin's parents and gen-0 child, for scale
        # the same path with B aligned to A (when "align B to A" is on)
        self.aligned_curve = self.plot.plot(
            [], [], pen=pg.mkPen(palette.WARN, width=2), symbol="t", symbolSize=6, symbolBrush=palette.WARN
        )

        # The method's option rows scroll on a short screen; the buttons below them stay in view.
        options = self._options = QGridLayout()
        options.setContentsMargins(0, 0, 6, 0)
        options.addWidget(QLabel("Method"), 0, 0)
        options.addWidget(self.method, 0, 1)
        options.setRowStretch(len(self.fields) + 1, 1)  # rows are placed by _method_changed
        options_box = QWidget()
        options_box.setLayout(options)
        options_scroll = QScrollArea()
        options_scroll.setWidget(options_box)
        options_scroll.setWidgetResizable(True)
        options_scroll.setFrameShape(QFrame.NoFrame)
        options_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        options_scroll.setMinimumHeight(60)
        options_scroll.setMinimumWidth(min(options_box.sizeHint().width() + 12, 330))
        buttons = QHBoxLayout()
        buttons.addWidget(self.align_b)
        buttons.addWidget(self.scan_button)
        buttons.addWidget(self.breed_button)
        buttons.addWidget(self.nursery_button)
        darwin = QHBoxLayout()
        darwin.addWidget(QLabel("population"))
        darwin.addWidget(self.population)
        darwin.addWidget(QLabel("generations"))
        darwin.addWidget(self.generations)
        darwin.addWidget(QLabel("seed"))
        darwin.addWidget(self.darwin_seed)
        darwin.addWidget(self.evolve_button)
        controls = QVBoxLayout()
        controls.addWidget(options_scroll, 1)
        controls.addLayout(buttons)
        controls.addLayout(darwin)

        slots = QVBoxLayout()
        slots.addWidget(self.slot_a)
        slots.addWidget(QLabel("×", alignment=Qt.AlignCenter))
        slots.addWidget(self.slot_b)
        slots.addStretch(1)

        # The plot keeps a readable height: the result takes the lines it needs below it and
        # scrolls when the bay is too short for all of them, never cut off or squeezing the plot.
        self.result_scroll = FittedScrollArea()
        self.result_scroll.setWidget(self.result)
        self.result_scroll.setWidgetResizable(True)
        self.result_scroll.setFrameShape(QFrame.NoFrame)
        self.result_scroll.setObjectName("plainScroll")  # no box around the text (studio.qss)
        self.result_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.result_scroll.setMinimumHeight(self.result.fontMetrics().lineSpacing() * 2 + 12)
        self.plot.setMinimumHeight(self.PLOT_MIN_HEIGHT)
        plot_column = QVBoxLayout()
        plot_column.addWidget(self.plot, 1)
        plot_column.addWidget(self.job_row)
        right = QVBoxLayout()
        right.addLayout(plot_column, 1)
        right.addWidget(self.result_scroll)

        layout = QHBoxLayout(self)
        layout.addLayout(slots)
        layout.addLayout(controls)
        layout.addLayout(right, 1)

        self.method.currentTextChanged.connect(self._method_changed)
        self.slot_a.changed.connect(self._update_buttons)
        self.slot_b.changed.connect(self._update_buttons)
        self.scan_button.clicked.connect(
            lambda: self.scanRequested.emit(self.slot_a.checkpoint_id, self.slot_b.checkpoint_id)
        )
        self.breed_button.clicked.connect(self._breed_clicked)
        self.evolve_button.clicked.connect(
            lambda: self.evolveRequested.emit(
                self.slot_a.checkpoint_id,
                self.slot_b.checkpoint_id,
                self.population.value(),
                self.generations.value(),
                self.darwin_seed.value(),
            )
        )
        self._method_changed(self.method.currentText())
        self._update_buttons()

    def _method_changed(self, name: str) -> None:
        """Show the option rows of the chosen method, hide the others. The options only
        this method (or few) takes come first, right under Method: frozen-attn's attention
        source is in view at once, not below the amounts every slerp-like method shares."""
        takes = [option.name for option in METHODS[name].options] if name in METHODS else []
        order = sorted(takes, key=lambda option_name: self._takers[option_name])  # stable: registry order
        order += [option_name for option_name in self.fields if option_name not in takes]
        for row, option_name in enumerate(order, start=1):
            shown = option_name in takes
            self._options.addWidget(self._labels[option_name], row, 0)
            self._options.addWidget(self.fields[option_name].widget, row, 1)
            self.fields[option_name].widget.setVisible(shown)
            self._labels[option_name].setVisible(shown)

    def _enable_buttons(self) -> None:
        """Every action of the bay (Litter… too) is enabled when both slots hold a parent and
        the bay runs no job of its own; a disabled button's tooltip says why."""
        ready = self.slot_a.checkpoint_id is not None and self.slot_b.checkpoint_id is not None
        busy = self.job_id is not None
        for button in (self.scan_button, self.breed_button, self.evolve_button, self.nursery_button):
            button.setEnabled(ready and not busy)
            # the button's own tooltip, or why it is disabled
            own = button.property("ownTip") or button.toolTip()
            button.setProperty("ownTip", own)
            if not ready:
                button.setToolTip("Drop an artist on A and another on B first")
            elif busy:
                button.setToolTip(f"{own}\n(the bay's job runs: wait for it or Cancel it)")
            else:
                button.setToolTip(own)

    def _update_buttons(self) -> None:
        ready = self.slot_a.checkpoint_id is not None and self.slot_b.checkpoint_id is not None
        busy = self.job_id is not None
        self._enable_buttons()
        # The hint follows the slots; a result for another pair is stale once they change.
        if busy:
            return
        if ready:
            self.show_result("Ready: <b>Scan path</b>, <b>Breed</b> or <b>Evolve</b> these two.")
        elif self.slot_a.checkpoint_id is None and self.slot_b.checkpoint_id is None:
            self.show_result(self.HINT_EMPTY)
        else:
            self.show_result(f"Now drop a second artist on {'B' if self.slot_b.checkpoint_id is None else 'A'}.")
        self.show_curve([], [], "")

    # -- the bay's running job ------------------------------------------------------------

    def job_started(self, job_id: int, title: str, waiting_for: str = "") -> None:
        """The bay's job was queued: its row, saying what it waits for (the job that runs)."""
        self.job_id = job_id
        self.job_bar.setValue(0)
        self.job_status.setText(f"{title}: waiting for {waiting_for}…" if waiting_for else f"{title}: starting…")
        self._job_title = title
        self.job_row.show()
        self.show_result("")
        self._update_buttons()

    def job_progress(self, job_id: int, fraction: float, message: str) -> None:
        if job_id == self.job_id:
            self.job_bar.setValue(int(fraction * 1000))
            self.job_status.setText(f"{self._job_title}: {message}")

    def job_ended(self, job_id: int, text: str = "") -> None:
        """Hide the progress row; ``text`` (e.g. "cancelled") becomes the result line."""
        if job_id != self.job_id:
            return
        self.job_id = None
        self.job_row.hide()
        self._enable_buttons()  # all of them: Litter… was once left disabled here
        if text:
            self.show_result(text)

    def _breed_clicked(self) -> None:
        try:
            recipe = self.recipe()
            recipe.validate()
        except StudioError as exc:
            self.show_result(f"<span style='color:{palette.BAD}'>{exc}</span>")
            return
        self.breedRequested.emit(self.slot_a.checkpoint_id, self.slot_b.checkpoint_id, recipe)

    # -- what survives a restart ----------------------------------------------------------

    def state(self) -> dict:
        """The bay's settings as plain data (the parents are the session's: saved beside this)."""
        options = {}
        for name, field in self.fields.items():
            try:
                value = field.value()
            except StudioError:
                value = None
            options[name] = list(value) if isinstance(value, tuple) else value
        return {
            "method": self.method.currentData(),
            "options": options,
            "align_b": self.align_b.isChecked(),
            "population": self.population.value(),
            "generations": self.generations.value(),
            "darwin_seed": self.darwin_seed.value(),
        }

    def restore(self, state: dict) -> None:
        """Show a saved ``state()``; anything missing or unknown keeps its default."""
        if not isinstance(state, dict):
            return
        index = self.method.findData(state.get("method"))
        if index >= 0:
            self.method.setCurrentIndex(index)
        options = state.get("options")
        if isinstance(options, dict):
            for name, value in options.items():
                if name in self.fields:
                    self.fields[name].set_value(value)
        self.align_b.setChecked(bool(state.get("align_b", False)))
        for key, box in (
            ("population", self.population),
            ("generations", self.generations),
            ("darwin_seed", self.darwin_seed),
        ):
            if isinstance(state.get(key), int):
                box.setValue(state[key])

    def recipe(self) -> BreedRecipe:
        """The recipe the widgets show: the chosen method and the options it takes."""
        method = self.method.currentData()
        return BreedRecipe(
            method, **{option.name: self.fields[option.name].value() for option in METHODS[method].options}
        )

    def show_result(self, html: str, tooltip: str = "") -> None:
        self.result.setText(html)
        self.result.setToolTip(tooltip)

    def show_curve(
        self, xs, ys, title: str, chord=None, generations: bool = False, aligned=None, references=None
    ) -> None:
        """A scan (t from 0 to 1) or Darwin's best bpc per generation (integer ticks).
        ``references``: (name, bpc) lines drawn across for scale (Darwin: the parents and the
        gen-0 child), so a 0.001 bpc step does not look like a big drop; the y range holds them."""
        axis = self.plot.getAxis("bottom")
        if generations:
            axis.setTickSpacing(1, 1)
            self.plot.setLabel("bottom", "generation")
        else:
            axis.setTickSpacing()
            self.plot.setLabel("bottom", "t (scan) / generation (Darwin)" if not xs else "t (A → B)")
        self.curve.setData(list(xs), list(ys))
        if aligned is None:
            self.aligned_curve.setData([], [])
        else:
            self.aligned_curve.setData(list(xs), list(aligned))
        self.chord.setData(list(xs) if chord is not None else [], list(chord) if chord is not None else [])
        self.plot.setTitle(title, color=palette.TEXT_DIM, size="9pt")
        self.show_references(references or [], list(ys))

    def show_references(self, references, ys=()) -> None:
        for line in self.reference_lines:
            self.plot.removeItem(line)
        self.reference_lines = []
        # labels above their lines, spread along them so that close lines do not stack them
        spots = [0.2, 0.5, 0.8, 0.35, 0.65]
        for (name, value), spot in zip(references, spots + [0.5] * len(references)):
            gen0 = name.startswith("gen-0")
            pen = pg.mkPen(
                palette.GEN0 if gen0 else palette.TEXT_DIM, width=1, style=Qt.DotLine if gen0 else Qt.DashLine
            )
            line = pg.InfiniteLine(
                pos=value,
                angle=0,
                pen=pen,
                label=f"{name} {value:.3f}",
                labelOpts={
                    "position": spot,
                    "color": palette.GEN0 if gen0 else palette.TEXT_DIM,
                    "anchors": [(0.5, 1), (0.5, 1)],
                },
            )
            self.plot.addItem(line)
            self.reference_lines.append(line)
        values = [v for _name, v in references] + [y for y in ys if y is not None]
        if references and values:
            low, high = min(values), max(values)
            span = max(high - low, 1e-3)
            self.plot.setYRange(low - 0.1 * span, high + 0.3 * span, padding=0)  # room for the top line's label
        else:
            self.plot.enableAutoRange(axis="y")
