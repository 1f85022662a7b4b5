"""The nursery view: a litter of children as a grid of cards, starred by eye.

Widgets only: what a litter is and how the next one is bred live in
``studio.breed.nursery``; ``nursery_actions`` runs them in the worker. Each card
shows one piece (every child draws with the litter's settings, shown in the bar and
the heading; a child that had to draw with another seed says which), sized to the
piece, the judge's bpc with its interval and vigor against the parents; the header says
what the figures were measured on. A child whose drawing is the same as an earlier
child's (``studio.model.variety``) is folded: its card says "same drawing as #3".

Keys: 1–9 star a child, arrows move between cards, Space stars the focused card,
K keeps it, Enter breeds the next litter, Ctrl+Z undoes the last litter.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.app import figures, palette
from studio.model.vigor import VigorReport
from studio.app.gallery import FlowLayout, SpacesChoice, art_font, visible_text
from studio.breed.litters import LITTER_SIZE, SPREAD, NurseryPlan
from studio.model.art import SampleSettings

STAR, NO_STAR = "★", "☆"
# A card is as big as its piece, within these bounds (the export has every line).
ART_COLUMNS = (24, 64)
ART_LINES = (3, 30)
MODE_TEXT = {"pairs": "pairs among the starred", "parents": "each starred × a parent"}


def recipe_text(recipe: dict) -> str:
    """'slerp t-layers 0.31, 0.27 · t-embed 0.35': the options a child was drawn with."""
    parts = []
    for name, value in recipe.items():
        if name == "method" or value is None or (name == "t" and recipe.get("t_layers") is not None):
            continue  # t is unused beside per-layer amounts
        if isinstance(value, list):
            value = ", ".join(f"{v:.2f}" for v in value)
        elif isinstance(value, float):
            value = f"{value:.2f}"
        parts.append(f"{name.replace('_', '-')} {value}")
    return f"{recipe.get('method', '?')} " + " · ".join(parts)


def settings_text(litter) -> str:
    """'Cats, seed 0, T 0.60, top-k 20, up to 800 chars': what every child drew with."""
    settings = litter.settings or {}
    parts = [litter.label or "without a label", f"seed {litter.seed}"]
    if settings.get("temperature") is not None:
        parts.append(f"T {settings['temperature']:.2f}")
    if "top_k" in settings:
        parts.append(f"top-k {settings['top_k'] or 'all'}")
    if settings.get("top_p"):
        parts.append(f"top-p {settings['top_p']:.2f}")
    if settings.get("max_chars") is not None:
        parts.append(f"up to {settings['max_chars']} chars")
    if settings and SampleSettings.from_record(settings).temper_spaces:
        parts.append("spaces tempered")
    return ", ".join(parts)


class KidCard(QFrame):
    """One child: its piece, its star, its figure; focusable, clickable."""

    starToggled = Signal(int)
    keepRequested = Signal(int)
    focused = Signal(int)

    def __init__(self, index: int, parent=None):
        super().__init__(parent)
        self.index = index
        self.setObjectName("kidCard")
        self.setFocusPolicy(Qt.StrongFocus)
        self.setFrameShape(QFrame.StyledPanel)
        self.title = QLabel(f"#{index + 1}")
        self.star = QPushButton(NO_STAR)
        self.star.setFlat(True)
        self.star.setFocusPolicy(Qt.NoFocus)
        self.star.setToolTip(f"Star this child (key {index + 1}, or Space when it has focus)")
        self.star.clicked.connect(lambda: self.starToggled.emit(self.index))
        self.keep = QPushButton("Keep")
        self.keep.setFocusPolicy(Qt.NoFocus)
        self.keep.setToolTip("Save this child to the library and the family tree (K)")
        self.keep.clicked.connect(lambda: self.keepRequested.emit(self.index))
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.star)
        header.addWidget(self.title, 1)
        header.addWidget(self.keep)
        self.art = QLabel()
        self.art.setFont(art_font())
        self.art.setTextFormat(Qt.PlainText)
        self.art.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        self.art.setStyleSheet("background: transparent;")
        self._fit_art("")
        # a child that drew the same as an earlier one: this line instead of the art
        self.folded = QLabel()
        self.folded.setObjectName("kidFolded")
        self.folded.hide()
        self.same_as: int | None = None
        self.badge = QLabel("…")
        self.badge.setTextFormat(Qt.RichText)
        self.badge.setWordWrap(True)  # the figure, its vigor and the strongest control wrap under the art's width
        self.recipe = QLabel()
        self.recipe.setObjectName("kidRecipe")
        self.recipe.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 6)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.badge)  # above the art: on a short window the figure stays in view
        layout.addWidget(self.art)
        layout.addWidget(self.folded)
        layout.addWidget(self.recipe)
        self.starred = False
        self.kept = False
        self.judged = False
        self.text = ""
        self._paint_state()

    def show_kid(self, kid, parents_text: str) -> None:
        self.starred, self.kept = kid.starred, bool(kid.kept)
        self.set_text(kid.piece)
        self.show_recipe(kid, parents_text)
        self.show_figure(kid.measurement, kid.vigor)
        self._paint_state()

    def show_recipe(self, kid, parents_text: str) -> None:
        """Its recipe and, when it drew with a seed of its own, that seed."""
        seed = f" · seed {kid.seed}" if kid.seed is not None else ""
        self.title.setText(f"#{self.index + 1}{seed}")
        self.title.setToolTip(
            "Its drawing with the litter's seed repeated an earlier child's, so it drew with this seed" if seed else ""
        )
        self.recipe.setText(f"{parents_text} · {recipe_text(kid.genome['recipe'])}")
        self.setToolTip(f"child #{self.index + 1} of {parents_text}, bred by {recipe_text(kid.genome['recipe'])}")

    def set_text(self, text: str) -> None:
        self.text = text
        lines = visible_text(text).split("\n")[: ART_LINES[1]]
        self.art.setText("\n".join(lines))
        self._fit_art("\n".join(lines))

    def _fit_art(self, text: str) -> None:
        """The art's box: as wide and tall as the piece, within ART_COLUMNS and ART_LINES."""
        metrics = self.art.fontMetrics()
        lines = text.split("\n")
        columns = min(ART_COLUMNS[1], max(ART_COLUMNS[0], max(len(line) for line in lines)))
        rows = min(ART_LINES[1], max(ART_LINES[0], len(lines)))
        self.art.setFixedSize(metrics.horizontalAdvance("M") * columns + 4, metrics.lineSpacing() * rows + 4)

    def set_same_as(self, other: int | None) -> None:
        """Fold the card when its drawing is the same as child ``other``'s (None: unfold)."""
        self.same_as = other
        self.art.setVisible(other is None)
        self.folded.setVisible(other is not None)
        if other is not None:
            self.folded.setText(f"same drawing as #{other + 1}")
            self.folded.setToolTip(
                "Its piece differs from #%d's by less than 20%% of its characters once the margin is "
                "removed (studio.model.variety): the same drawing, folded. Export .txt has it." % (other + 1)
            )

    def append_text(self, chunk: str) -> None:
        self.set_text(self.text + chunk)

    def show_figure(self, measurement: dict | None, vigor: VigorReport | None) -> None:
        self.judged = measurement is not None
        if measurement is None:
            self.badge.setText(f"<span style='color:{palette.TEXT_FAINT}'>bpc: judging…</span>")
            return
        text = f"<b>{measurement['bpc']:.3f}</b> bpc"
        interval = measurement.get("interval")
        if interval:
            text += f" [{interval['low']:.3f}, {interval['high']:.3f}]"
        tip = figures.describe(measurement)
        if vigor is not None:
            text += f" · {figures.headline_html(vigor, compact=True)}"
            tip += "\n\n" + "\n".join(figures.vigor_lines(vigor))
        self.badge.setText(text)
        self.badge.setToolTip(tip)

    def set_starred(self, starred: bool) -> None:
        self.starred = starred
        self._paint_state()

    def set_kept(self) -> None:
        self.kept = True
        self._paint_state()

    def _paint_state(self) -> None:
        self.star.setText(STAR if self.starred else NO_STAR)
        self.star.setStyleSheet(f"font-size: 16pt; color: {palette.STAR if self.starred else palette.TEXT_FAINT};")
        self.keep.setText("Kept ✓" if self.kept else "Keep")
        self.keep.setEnabled(not self.kept)
        border = palette.STAR if self.starred else palette.BORDER
        self.setStyleSheet(
            f"#kidCard {{ background: {palette.SURFACE}; border: 2px solid {border}; border-radius: 6px; }}"
            f"#kidCard:focus {{ border-color: {palette.FOCUS}; }} #kidRecipe {{ color: {palette.TEXT_FAINT}; }}"
            f"#kidFolded {{ color: {palette.TEXT_FAINT}; font-style: italic; padding: 6px 0; }}"
        )

    def mousePressEvent(self, event) -> None:
        self.setFocus(Qt.MouseFocusReason)
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        self.starToggled.emit(self.index)

    def focusInEvent(self, event) -> None:
        self.focused.emit(self.index)
        super().focusInEvent(event)


class NurseryView(QWidget):
    newLitterRequested = Signal()
    nextLitterRequested = Signal(object)  # NurseryPlan
    undoRequested = Signal()
    starToggled = Signal(int)  # child index
    keepRequested = Signal(int)
    exportRequested = Signal(str)  # "txt" | "png"
    cancelRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.cards: list[KidCard] = []
        self._drawn = False
        self._wanted_label: str | None = None
        self.heading = QLabel("The nursery breeds litters of the parents in the breeding bay.")
        self.heading.setTextFormat(Qt.RichText)
        self.heading.setWordWrap(True)
        self.caption = QLabel()
        self.caption.setTextFormat(Qt.RichText)
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet(f"color: {palette.TEXT_DIM};")

        self.label = QComboBox()  # not editable: typing digits there would not star children
        self.label.setMinimumWidth(110)
        self.label.setToolTip("What every child draws (the same label and seed for all)")
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1)
        self.seed.setToolTip(
            "The seed every child draws with; New litter also draws its recipes from it "
            "(the same seed gives the same litter). A child whose drawing repeats an earlier "
            "child's is bred again, then drawn with the next seeds: its card says which."
        )
        # What every child draws with: shown here, kept in the session's log, given to a kept child.
        defaults = SampleSettings(max_chars=800)
        self.temperature = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=3.0, singleStep=0.05)
        self.temperature.setValue(defaults.temperature)
        self.temperature.setToolTip("Sampling temperature every child draws with")
        self.top_k = QSpinBox(minimum=0, maximum=512, value=defaults.top_k or 0)
        self.top_k.setSpecialValueText("all")
        self.top_k.setToolTip("Each char is drawn from the k likeliest (all: no limit)")
        self.top_p = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=1.0, singleStep=0.05, value=0.0)
        self.top_p.setSpecialValueText("off")
        self.top_p.setToolTip("Nucleus sampling: the likeliest chars that together hold this probability (off: all)")
        self.max_chars = QSpinBox(minimum=10, maximum=20000, singleStep=100, value=defaults.max_chars)
        self.max_chars.setToolTip("A child's piece stops here if it has not ended by itself")
        self.spaces = SpacesChoice()
        self.size = QSpinBox(minimum=1, maximum=64, value=LITTER_SIZE)
        self.size.setToolTip("Children per litter")
        self.spread = QDoubleSpinBox(minimum=0.0, maximum=0.5, singleStep=0.05, value=SPREAD, decimals=2)
        self.spread.setToolTip("How far each child's amounts stray from the centre recipe")
        self.mode = QComboBox()
        for key, text in MODE_TEXT.items():
            self.mode.addItem(text, key)
        self.mode.setToolTip("How the next litter is bred from the starred children")
        self.blend = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.25, value=0.0, decimals=2)
        self.blend.setToolTip(
            "0: only your stars choose the next litter's parents; 1: only the bpc ranking "
            "(the best of this litter); in between, each pick is a coin with this weight"
        )
        self.new_button = QPushButton(
            "New litter", toolTip="A first litter of the bay's parents, drawn around the bay's recipe"
        )
        self.next_button = QPushButton(
            "Next litter ⏎", toolTip="Breed the next litter from the starred children (Enter)"
        )
        self.undo_button = QPushButton("Undo litter", toolTip="Back to the previous litter (Ctrl+Z)")
        self.export_txt = QPushButton("Export .txt")
        self.export_png = QPushButton("Export PNG")
        for button, signal in (
            (self.new_button, self.newLitterRequested),
            (self.undo_button, self.undoRequested),
            (self.export_txt, lambda: self.exportRequested.emit("txt")),
            (self.export_png, lambda: self.exportRequested.emit("png")),
        ):
            button.clicked.connect(signal.emit if hasattr(signal, "emit") else signal)
        self.next_button.clicked.connect(self.request_next)

        # One flow of captioned fields: it wraps onto a second line on a narrow window.
        self.bar = QWidget()
        bar = FlowLayout(self.bar)
        for text, widget in (
            ("Label", self.label),
            ("Seed", self.seed),
            ("T", self.temperature),
            ("top-k", self.top_k),
            ("top-p", self.top_p),
            ("max chars", self.max_chars),
            ("spaces", self.spaces),
            ("Children", self.size),
            ("Spread", self.spread),
            ("Next from", self.mode),
            ("Blend with bpc", self.blend),
        ):
            field = QWidget()
            row = QHBoxLayout(field)
            row.setContentsMargins(0, 0, 0, 0)
            row.setSpacing(4)
            row.addWidget(QLabel(text))
            row.addWidget(widget)
            bar.addWidget(field)
        buttons = QHBoxLayout()
        for button in (self.new_button, self.next_button, self.undo_button, self.export_txt, self.export_png):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.progress = QProgressBar(maximum=1000, textVisible=True)
        self.progress.setMinimumWidth(280)
        self.cancel = QPushButton("Cancel")
        self.cancel.clicked.connect(self.cancelRequested.emit)
        buttons.addWidget(self.progress)
        buttons.addWidget(self.cancel)

        self.grid_host = QWidget()
        # Cards as big as their pieces, packed left to right and wrapped: a litter of small
        # drawings fills the width instead of a grid of boxes sized for the biggest one.
        self.grid = FlowLayout(self.grid_host, spacing=10)
        self.grid.setContentsMargins(6, 6, 6, 6)
        self.scroll = QScrollArea(widgetResizable=True)
        self.scroll.setWidget(self.grid_host)
        self.empty = QLabel(
            "Put two parents in the breeding bay, choose a method, then press New litter: "
            "children drawn around that recipe appear here. Star the ones you like "
            "(1–9 or click ☆), then Next litter breeds from them."
        )
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignCenter)
        self.empty.setStyleSheet(f"color: {palette.TEXT_FAINT}; padding: 40px;")
        self.empty.setMinimumWidth(520)  # the grid packs to the left: keep the hint readable
        self.grid.addWidget(self.empty)

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.bar)
        layout.addLayout(buttons)
        layout.addWidget(self.caption)
        layout.addWidget(self.scroll, 1)
        for key in "123456789":
            QShortcut(
                QKeySequence(key),
                self,
                activated=lambda k=int(key): self.starToggled.emit(k - 1),
                context=Qt.WidgetWithChildrenShortcut,
            )
        QShortcut(QKeySequence(Qt.Key_Return), self, activated=self.request_next, context=Qt.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence(Qt.Key_Enter), self, activated=self.request_next, context=Qt.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence.Undo, self, activated=self.undoRequested.emit, context=Qt.WidgetWithChildrenShortcut)
        self.set_busy(False, has_litter=False)
        self.setFocusPolicy(Qt.ClickFocus)  # a click beside the cards takes the keys back from a spin box
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)

    # -- state ---------------------------------------------------------------------------

    def plan(self) -> NurseryPlan:
        return NurseryPlan(
            mode=self.mode.currentData(), blend=self.blend.value(), size=self.size.value(), spread=self.spread.value()
        )

    def state(self) -> dict:
        """The bar's settings as plain data, to come back after a restart."""
        return {
            "label": self.label.currentText(),
            "seed": self.seed.value(),
            "temperature": self.temperature.value(),
            "top_k": self.top_k.value(),
            "top_p": self.top_p.value(),
            "max_chars": self.max_chars.value(),
            "temper_spaces": self.spaces.tempered(),
            "size": self.size.value(),
            "spread": self.spread.value(),
            "mode": self.mode.currentData(),
            "blend": self.blend.value(),
        }

    def restore(self, state: dict) -> None:
        if not isinstance(state, dict):
            return
        for key, box in (
            ("seed", self.seed),
            ("top_k", self.top_k),
            ("max_chars", self.max_chars),
            ("size", self.size),
        ):
            if isinstance(state.get(key), int):
                box.setValue(state[key])
        for key, box in (
            ("temperature", self.temperature),
            ("top_p", self.top_p),
            ("spread", self.spread),
            ("blend", self.blend),
        ):
            if isinstance(state.get(key), (int, float)):
                box.setValue(float(state[key]))
        index = self.mode.findData(state.get("mode"))
        if index >= 0:
            self.mode.setCurrentIndex(index)
        if isinstance(state.get("temper_spaces"), bool):
            self.spaces.set_tempered(state["temper_spaces"])
        self._wanted_label = state.get("label") if isinstance(state.get("label"), str) else None
        if self._wanted_label and self.label.findText(self._wanted_label) >= 0:
            self.label.setCurrentText(self._wanted_label)

    def request_next(self) -> None:
        if self.next_button.isEnabled():
            self.nextLitterRequested.emit(self.plan())

    def set_busy(self, busy: bool, has_litter: bool | None = None) -> None:
        if has_litter is not None:
            self._has_litter = has_litter
        self.new_button.setEnabled(not busy)
        for button in (self.next_button, self.undo_button, self.export_txt, self.export_png):
            button.setEnabled(not busy and self._has_litter)
        self.progress.setVisible(busy)
        self.cancel.setVisible(busy)
        for card in self.cards:
            card.keep.setEnabled(not busy and not card.kept)
        if not busy:
            self.progress.setValue(0)

    def job_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.progress.setFormat(message or "%p%")

    def set_labels(self, labels: list[str]) -> None:
        current = self.label.currentText()
        self.label.clear()
        self.label.addItems(labels or ["(no label)"])
        self.label.setEnabled(bool(labels))
        if current in labels:
            self.label.setCurrentText(current)
        elif self._wanted_label in labels:  # the label a restored session last drew
            self.label.setCurrentText(self._wanted_label)

    def show_settings(self, label: str | None, seed: int, settings: dict | None = None) -> None:
        """The bar shows what a litter drew with (its log's settings, when it has them)."""
        if label is not None and self.label.findText(label) >= 0:
            self.label.setCurrentText(label)
        self.seed.setValue(seed)
        settings = settings or {}
        if settings.get("temperature") is not None:
            self.temperature.setValue(float(settings["temperature"]))
        if "top_k" in settings:
            self.top_k.setValue(int(settings["top_k"] or 0))
        if "top_p" in settings:
            self.top_p.setValue(float(settings["top_p"] or 0.0))
        if settings.get("max_chars") is not None:
            self.max_chars.setValue(int(settings["max_chars"]))
        if settings:  # logged without the key: drawn before spaces kept their odds
            self.spaces.set_tempered(SampleSettings.from_record(settings).temper_spaces)

    def settings_label(self) -> str | None:
        return (self.label.currentText().strip() or None) if self.label.isEnabled() else None

    def sample_settings(self) -> SampleSettings:
        """What every child of the next litter draws with: one piece each."""
        return SampleSettings(
            label=self.settings_label(),
            count=1,
            seed=self.seed.value(),
            temperature=self.temperature.value(),
            top_k=self.top_k.value() or None,
            top_p=self.top_p.value() or None,
            max_chars=self.max_chars.value(),
            temper_spaces=self.spaces.tempered(),
        )

    def show_litter(self, nursery, litter, drawn: bool = True) -> None:
        """Lay out the litter's cards (what each child has drawn and scored so far);
        ``drawn``: every child has drawn (False while a new litter is being drawn)."""
        self._drawn = drawn
        for card in self.cards:
            self.grid.removeWidget(card)
            card.deleteLater()
        self.cards = []
        self.empty.setVisible(litter is None)
        if litter is None:
            self.heading.setText("No litter: press New litter to breed one.")
            self.caption.clear()
            self._has_litter = False
            return
        self._has_litter = True
        a, b = nursery.names
        aligned = " (B aligned to A)" if getattr(nursery, "alignment", None) is not None else ""
        self.heading.setText(
            f"<b>Litter {litter.generation}</b> of <b>{escape(a)}</b> × <b>{escape(b)}</b>{aligned}: "
            f"{escape(litter.how)} · each draws {escape(settings_text(litter))}"
        )
        for kid in litter.kids:
            card = KidCard(kid.index)
            card.show_kid(kid, kid.parents_text(nursery.names, nursery.litter_of))
            card.starToggled.connect(self.starToggled.emit)
            card.keepRequested.connect(self.keepRequested.emit)
            card.installEventFilter(self)
            self.cards.append(card)
        self.fold(litter)
        for card in self.cards:
            card.show()  # now, not when the layout's queued show runs: a hidden card cannot take the focus
        self.show_caption(litter)
        # the old cards held the focus: give it to the first child, not to a spin box that
        # would take the digits and Ctrl+Z
        focus = self.focusWidget()
        if self.isVisible() and (focus is None or focus is self or isinstance(focus, KidCard) or not focus.isVisible()):
            first = self.cards[0]
            first.setFocus(Qt.OtherFocusReason)
            # The new cards are shown on the next turn of the event loop; a hidden widget's
            # setFocus does not take, and deleting the old focused card then left no focus at all
            # (Ctrl+Z and the digit keys went nowhere about one litter in two). Ask again then.
            QTimer.singleShot(0, first, lambda: first.setFocus(Qt.OtherFocusReason))

    def mark_cancelled(self) -> None:
        """A cancelled litter: children it never judged say so (what they drew stays)."""
        for card in self.cards:
            if not card.judged:
                card.badge.setText(
                    f"<span style='color:{palette.TEXT_FAINT}'>bpc: not judged (litter cancelled)</span>"
                )
        if not any(card.judged for card in self.cards):
            self.caption.setText(
                "Cancelled before every child was judged: Undo litter drops it, New litter starts again."
            )

    def litter_drawn(self, nursery, litter) -> None:
        """Every child has drawn: the cards show their final pieces, recipes and seeds, folded."""
        self._drawn = True
        for kid in litter.kids:
            card = self.card(kid.index)
            if card is not None:
                card.set_text(kid.piece)
                card.show_recipe(kid, kid.parents_text(nursery.names, nursery.litter_of))
        self.fold(litter)
        self.show_caption(litter)

    def fold(self, litter) -> None:
        """Fold the cards of children that drew the same as an earlier child, and lay the grid out."""
        same = litter.same_as() if self._drawn else {}
        for card in self.cards:
            card.set_same_as(same.get(card.index))
        self._place_cards()

    def variety_text(self, litter) -> str:
        same = litter.same_as()
        drawn = [k for k in litter.kids if k.piece.strip()]
        if not drawn:
            return ""
        return f"{len(drawn) - len(same)} different drawings among {len(drawn)} children. "

    def show_caption(self, litter) -> None:
        judged = next((k.measurement for k in litter.kids if k.measurement), None)
        variety = self.variety_text(litter) if self._drawn else ""
        if judged is None:
            self.caption.setText(f"{variety}bpc: judging when every child has drawn.")
            return
        self.caption.setText(
            f"{variety}bpc on {escape(figures.caption(judged))}, the pair's held-out pieces (the breeding bay's "
            "data), 95% interval; vigor = bpc of the better parent minus the child's, on the same pieces. "
            f"{len(litter.starred)} starred."
        )
        self.caption.setToolTip(figures.describe(judged))

    def _place_cards(self) -> None:
        """The flow holds the empty hint, then the litter's cards in order."""
        for card in self.cards:
            if self.grid.indexOf(card) < 0:
                self.grid.addWidget(card)
        self.grid.invalidate()

    def eventFilter(self, watched, event) -> bool:
        if isinstance(watched, KidCard) and event.type() == QEvent.KeyPress:
            return self._card_key(watched, event)
        return super().eventFilter(watched, event)

    def _card_key(self, card: KidCard, event) -> bool:
        key = event.key()
        if key == Qt.Key_Space:
            self.starToggled.emit(card.index)
            return True
        if key == Qt.Key_K:
            self.keepRequested.emit(card.index)
            return True
        if key in (Qt.Key_Left, Qt.Key_Right):
            target = self.card(card.index + (1 if key == Qt.Key_Right else -1))
        elif key in (Qt.Key_Up, Qt.Key_Down):
            target = self._card_below(card, down=key == Qt.Key_Down)
        else:
            return False
        if target is not None:
            target.setFocus(Qt.TabFocusReason)
            self.scroll.ensureWidgetVisible(target)
        return True

    def _card_below(self, card: KidCard, down: bool) -> KidCard | None:
        """The card on the next (or previous) line of the flow nearest below (above) this one."""
        here = card.geometry()
        if down:
            others = [c for c in self.cards if c.geometry().top() > here.top()]
            line = min((c.geometry().top() for c in others), default=None)
        else:
            others = [c for c in self.cards if c.geometry().top() < here.top()]
            line = max((c.geometry().top() for c in others), default=None)
        on_line = [c for c in others if c.geometry().top() == line]
        return min(on_line, key=lambda c: abs(c.geometry().center().x() - here.center().x()), default=None)

    def card(self, index: int) -> KidCard | None:
        return self.cards[index] if 0 <= index < len(self.cards) else None
