"""The gallery: monospace cards of what the selected model draws, streamed as drawn.

Cards are rows of ``GalleryModel`` painted by ``CardDelegate`` (the one card painter,
``studio.app.card_painter``) inside ``CardView``, which packs them in rows that fill
its width: each card sized to its art (up to 100 columns and 60 lines), as many
columns as the width holds, sideways scrolling for a piece wider than the view, and
the art's font size on demand (Ctrl+wheel, Ctrl+minus/plus, Ctrl+0). No widget per
card, no widget per char, so a gallery of hundreds of pieces scrolls smoothly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QRegion
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QLabel,
    QLayout,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from studio.app import palette
from studio.app.card_painter import (  # noqa: F401 (art_font, visible_text: the nursery's cards import them from here)
    ART_POINT_SIZE,
    CardFace,
    CardPainter,
    art_font,
    pack_cards,
    visible_text,
)
from studio.model.art import SampleSettings

ART_POINT_SIZES = (6.0, 7.0, 8.0, 9.5, 11.0, 13.0)  # the gallery's zoom steps (Ctrl+wheel)


class FlowLayout(QLayout):
    """Lays its items out left to right and wraps to a new line when the width runs
    out, so a toolbar never squeezes its buttons into unreadable slivers."""

    def __init__(self, parent=None, spacing: int = 8):
        super().__init__(parent)
        self._items = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int):
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int):
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self):
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect) -> None:
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        return size

    def _place(self, rect, move: bool) -> int:
        x, y, line = rect.x(), rect.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > rect.right() + 1 and line > 0:
                x, y, line = rect.x(), y + line + self._spacing, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            line = max(line, hint.height())
        return y + line - rect.y()


@dataclass
class Card:
    index: int
    label: str | None
    seed: int
    text: str = ""
    complete: bool | None = None  # None while drawing
    pinned: bool = False
    piece_id: int | None = None
    cancelled: bool = False
    nearest: Any = None  # studio.train.originality.NearestPiece, once compared with the training pieces


class GalleryModel(QAbstractListModel):
    CardRole = Qt.UserRole + 1

    def __init__(self, parent=None):
        super().__init__(parent)
        self.cards: list[Card] = []
        # what the cards' nearest training drawings were found in, or why they were not
        self.comparison = ""
        self.reproduce = ""  # the command that repeats the comparison for one card ({seed})

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.cards)

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        card = self.cards[index.row()]
        if role == self.CardRole:
            return card
        if role == Qt.DisplayRole:
            return card.text
        if role == Qt.ToolTipRole:
            return card_tooltip(card, self.comparison, self.reproduce)
        return None

    def set_cards(self, cards: list[Card]) -> None:
        self.beginResetModel()
        self.cards = cards
        self.comparison = self.reproduce = ""
        self.endResetModel()

    def set_nearest(self, nearest: dict[int, Any], comparison: str, reproduce: str = "") -> None:
        """Each card's nearest training drawing (by card index), and what they were found in."""
        self.comparison, self.reproduce = comparison, reproduce
        for card in self.cards:
            card.nearest = nearest.get(card.index)
        if self.cards:
            self.dataChanged.emit(self.index(0), self.index(len(self.cards) - 1))

    def row_of(self, index: int) -> int | None:
        for row, card in enumerate(self.cards):
            if card.index == index:
                return row
        return None

    def append_text(self, chunks: dict[int, str]) -> None:
        """Streamed chars: one dataChanged for the span of touched cards."""
        rows = []
        for index, text in chunks.items():
            row = self.row_of(index)
            if row is not None:
                self.cards[row].text += text
                rows.append(row)
        if rows:
            self.dataChanged.emit(self.index(min(rows)), self.index(max(rows)))

    def mark_cancelled(self) -> None:
        """Cards still drawing when their job was cancelled say so (and keep what they drew)."""
        for card in self.cards:
            if card.complete is None:
                card.cancelled = True
        if self.cards:
            self.dataChanged.emit(self.index(0), self.index(len(self.cards) - 1))

    def update_card(self, row: int, **changes) -> None:
        if "text" in changes:
            changes.setdefault("nearest", None)  # a redrawn card is compared again
        for key, value in changes.items():
            setattr(self.cards[row], key, value)
        self.dataChanged.emit(self.index(row), self.index(row))


def card_tooltip(card: Card, comparison: str = "", reproduce: str = "") -> str:
    """The card's number, seed and label; and its nearest training drawing, with what it
    was found in and the command that finds it again."""
    lines = [f"#{card.index} seed {card.seed}" + (f" · {card.label}" if card.label else "")]
    near = card.nearest
    if near is not None and near.where is not None:
        verdict = "a near-copy (the same drawing)" if near.near_copy else "not a copy"
        lines.append(f"Nearest training drawing: {near.where}")
        lines.append(f"distance {near.distance:.2f}: {verdict}")
        lines.append(f"Found in {comparison};")
        lines.append("normalised edit distance of the ink (margin removed, runs of spaces folded);")
        lines.append("under 0.2 is the same drawing.")
        if reproduce:
            lines.append(reproduce.format(seed=card.seed))
    elif comparison and near is None and card.complete is not None:
        lines.append(comparison)  # why there is no comparison
    return "\n".join(lines)


def card_face(card: Card) -> CardFace:
    """What a gallery card shows: its number, seed and label, how its drawing went, its art."""
    if card.cancelled:
        status, colour = "cancelled", palette.TEXT_FAINT
    elif card.complete is None:
        status, colour = "drawing…", palette.WARN
    elif card.complete:
        status, colour = "✓ complete", palette.GOOD
    else:
        status, colour = "… cut at max chars", palette.BAD
    if card.nearest is not None and card.nearest.near_copy:
        status, colour = status + "  ·  ⚠ near-copy", palette.WARN
    if card.pinned:
        status = "★  " + status
    title = f"#{card.index}  seed {card.seed}" + (f"  ·  {card.label}" if card.label else "")
    return CardFace(title, card.text, status, colour)


class CardDelegate(QStyledItemDelegate):
    """Paints a gallery card with the one card painter (whose font is the gallery's zoom)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.card_painter = CardPainter()

    @property
    def card_painter(self) -> CardPainter:
        return self._card_painter

    @card_painter.setter
    def card_painter(self, painter: CardPainter) -> None:
        self._card_painter = painter
        self._sizes: dict[CardFace, QSize] = {}

    def sizeHint(self, option, index) -> QSize:
        # Streaming re-lays the gallery out many times a second; measuring every card's
        # text each time cost ~30 ms for 256 cards, so a face's size is measured once.
        face = card_face(index.data(GalleryModel.CardRole))
        size = self._sizes.get(face)
        if size is None:
            if len(self._sizes) > 4096:
                self._sizes.clear()
            size = self._sizes[face] = self.card_painter.size(face)
        return size

    def paint(self, painter: QPainter, option, index) -> None:
        selected = bool(option.state & QStyle.State_Selected)
        self.card_painter.paint(painter, option.rect, card_face(index.data(GalleryModel.CardRole)), selected)


class CardView(QAbstractItemView):
    """The cards, packed in rows that fill the view's width (``pack_cards``); a card
    wider than the view scrolls sideways. When it is empty it says how to fill it."""

    NO_ARTIST = "Click an artist in the family tree to see its art."
    NO_GALLERY = "No gallery yet: press Sample (Ctrl+R) to draw one."
    placeholder = NO_ARTIST

    zoomChanged = Signal(float)  # the art's point size

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rects: list[QRect] = []  # per model row, in content coordinates
        self._content = QSize()
        self.setItemDelegate(CardDelegate(self))
        self.setSelectionMode(QAbstractItemView.SingleSelection)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollPerPixel)
        self.setVerticalScrollMode(QAbstractItemView.ScrollPerPixel)
        # Streamed chars change card sizes many times a second: one re-layout per event-loop turn.
        self._layout_timer = QTimer(self, singleShot=True, interval=0)
        self._layout_timer.timeout.connect(self.relayout)

    def set_placeholder(self, text: str) -> None:
        self.placeholder = text
        self.viewport().update()

    # -- the art's size ------------------------------------------------------------------

    def art_size(self) -> float:
        return self.itemDelegate().card_painter.point_size

    def set_art_size(self, point_size: float) -> None:
        if point_size != self.art_size():
            self.itemDelegate().card_painter = CardPainter(point_size)
            self.relayout()
            self.zoomChanged.emit(point_size)

    def reset_art_size(self) -> None:
        self.set_art_size(ART_POINT_SIZE)

    def zoom(self, step: int) -> None:
        """One zoom step smaller (-1) or larger (+1) than now."""
        sizes = ART_POINT_SIZES
        now = self.art_size()
        if step < 0:
            smaller = [s for s in sizes if s < now]
            self.set_art_size(smaller[-1] if smaller else sizes[0])
        else:
            larger = [s for s in sizes if s > now]
            self.set_art_size(larger[0] if larger else sizes[-1])

    def wheelEvent(self, event) -> None:
        if event.modifiers() & Qt.ControlModifier and event.angleDelta().y():
            self.zoom(1 if event.angleDelta().y() > 0 else -1)
            event.accept()
            return
        super().wheelEvent(event)

    # -- layout ----------------------------------------------------------------------------

    def setModel(self, model) -> None:
        super().setModel(model)
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved, model.dataChanged, model.layoutChanged):
            signal.connect(self._layout_timer.start)
        self.relayout()

    def relayout(self) -> None:
        self._layout_timer.stop()
        model, delegate = self.model(), self.itemDelegate()
        if model is None:
            return
        option = QStyleOptionViewItem()
        sizes = [delegate.sizeHint(option, model.index(row, 0)) for row in range(model.rowCount())]
        self.rects = pack_cards(sizes, self.viewport().width())
        right = max((rect.right() for rect in self.rects), default=0)
        bottom = max((rect.bottom() for rect in self.rects), default=0)
        self._content = QSize(right + 1, bottom + 1)
        self.updateGeometries()
        self.viewport().update()

    def updateGeometries(self) -> None:
        viewport = self.viewport().size()
        self.horizontalScrollBar().setRange(0, max(0, self._content.width() - viewport.width()))
        self.horizontalScrollBar().setPageStep(viewport.width())
        self.horizontalScrollBar().setSingleStep(20)
        self.verticalScrollBar().setRange(0, max(0, self._content.height() + 8 - viewport.height()))
        self.verticalScrollBar().setPageStep(viewport.height())
        self.verticalScrollBar().setSingleStep(24)
        super().updateGeometries()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.relayout()
        else:
            self.updateGeometries()

    # -- QAbstractItemView's geometry --------------------------------------------------------

    def _offset(self) -> QPoint:
        return QPoint(self.horizontalScrollBar().value(), self.verticalScrollBar().value())

    def visualRect(self, index) -> QRect:
        if not index.isValid() or index.row() >= len(self.rects):
            return QRect()
        return self.rects[index.row()].translated(-self._offset())

    def indexAt(self, point) -> QModelIndex:
        content = point + self._offset()
        for row, rect in enumerate(self.rects):
            if rect.contains(content):
                return self.model().index(row, 0)
        return QModelIndex()

    def scrollTo(self, index, hint=QAbstractItemView.EnsureVisible) -> None:
        rect = self.visualRect(index)
        if rect.isNull():
            return
        viewport = self.viewport().rect()
        bars = self.horizontalScrollBar(), self.verticalScrollBar()
        if hint == QAbstractItemView.PositionAtCenter:
            centre = rect.center() - viewport.center()
            bars[0].setValue(bars[0].value() + centre.x())
            bars[1].setValue(bars[1].value() + centre.y())
            return
        for bar, low, high, size in (
            (bars[0], rect.left(), rect.right(), viewport.width()),
            (bars[1], rect.top(), rect.bottom(), viewport.height()),
        ):
            if low < 0 or high - low >= size:
                bar.setValue(bar.value() + low)
            elif high > size:
                bar.setValue(bar.value() + high - size + 1)

    def moveCursor(self, action, modifiers) -> QModelIndex:
        current, model = self.currentIndex(), self.model()
        count = model.rowCount() if model is not None else 0
        if count == 0:
            return QModelIndex()
        row = current.row() if current.isValid() else -1
        if action in (QAbstractItemView.MoveHome, QAbstractItemView.MovePageUp):
            return model.index(0, 0)
        if action in (QAbstractItemView.MoveEnd, QAbstractItemView.MovePageDown):
            return model.index(count - 1, 0)
        if action in (QAbstractItemView.MoveLeft, QAbstractItemView.MovePrevious):
            return model.index(max(0, row - 1), 0)
        if action in (QAbstractItemView.MoveRight, QAbstractItemView.MoveNext):
            return model.index(min(count - 1, row + 1), 0)
        if action in (QAbstractItemView.MoveUp, QAbstractItemView.MoveDown) and row >= 0:
            # the card in the row above or below whose centre is nearest this one's
            here = self.rects[row]
            below = action == QAbstractItemView.MoveDown
            others = [
                r
                for r, rect in enumerate(self.rects)
                if (rect.top() > here.bottom() if below else rect.bottom() < here.top())
            ]
            if others:
                edge = (min if below else max)(self.rects[r].top() for r in others)
                row_cards = [r for r in others if self.rects[r].top() == edge]
                return model.index(min(row_cards, key=lambda r: abs(self.rects[r].center().x() - here.center().x())), 0)
            return current
        return model.index(max(0, row), 0)

    def horizontalOffset(self) -> int:
        return self.horizontalScrollBar().value()

    def verticalOffset(self) -> int:
        return self.verticalScrollBar().value()

    def isIndexHidden(self, index) -> bool:
        return False

    def setSelection(self, rect, flags) -> None:
        content = rect.normalized().translated(self._offset())
        for row, card in enumerate(self.rects):
            if card.intersects(content):
                self.selectionModel().select(self.model().index(row, 0), flags)
                return
        self.selectionModel().select(QModelIndex(), QItemSelectionModel.Clear)

    def visualRegionForSelection(self, selection) -> QRegion:
        region = QRegion()
        for index in selection.indexes():
            region += self.visualRect(index)
        return region

    # -- painting ------------------------------------------------------------------------------

    def paintEvent(self, event) -> None:
        painter = QPainter(self.viewport())
        model = self.model()
        if model is None or model.rowCount() == 0:
            if self.placeholder:
                painter.setPen(QColor(palette.TEXT_FAINT))
                painter.drawText(
                    self.viewport().rect().adjusted(20, 20, -20, -20),
                    Qt.AlignCenter | Qt.TextWordWrap,
                    self.placeholder,
                )
            return
        delegate = self.itemDelegate()
        exposed = event.rect()
        selection = self.selectionModel()
        for row in range(min(model.rowCount(), len(self.rects))):
            rect = self.rects[row].translated(-self._offset())
            if not rect.intersects(exposed):
                continue
            option = QStyleOptionViewItem()
            self.initViewItemOption(option)
            option.rect = rect
            index = model.index(row, 0)
            if selection is not None and selection.isSelected(index):
                option.state |= QStyle.State_Selected
            delegate.paint(painter, option, index)


class SpacesChoice(QComboBox):
    """How T, top-k and top-p treat spaces: at the model's odds (the studio's rule) or
    like every other char (the card's sampler; a low T or a top-p then draws blank lines)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.addItem("model's odds", False)
        self.addItem("tempered", True)
        self.setToolTip(
            "model's odds: a space keeps the probability the model gives it, and T, top-k "
            "and top-p only shape which mark is drawn (art is mostly spaces; tempered, a low "
            "T or a top-p draws lines of blanks)\ntempered: every char tempered and filtered, "
            "as the card's own sampler does (CLI: --temper-spaces)"
        )

    def tempered(self) -> bool:
        return bool(self.currentData())

    def set_tempered(self, tempered: bool) -> None:
        self.setCurrentIndex(1 if tempered else 0)


class GalleryPanel(QWidget):
    """Sampling controls above the card view; emits requests, the window runs jobs."""

    sampleRequested = Signal(object)  # SampleSettings
    cancelRequested = Signal()
    rerollRequested = Signal(int)  # card index
    pinToggled = Signal(int)  # row
    exportPieceRequested = Signal(int)  # row
    exportGalleryRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = QLabel("No checkpoint selected")
        self.title.setObjectName("panelTitle")
        self.subtitle = QLabel("Open a folder of checkpoints (File → Open folder…) or pick one in the family tree.")
        self.subtitle.setObjectName("panelSubtitle")
        self.subtitle.setWordWrap(True)
        self.subtitle.setTextFormat(Qt.RichText)  # the vigor badge is a link to its full table
        self.subtitle.setTextInteractionFlags(Qt.LinksAccessibleByMouse)

        self.label = QComboBox()
        self.label.setEditable(True)
        self.label.setInsertPolicy(QComboBox.NoInsert)
        self.label.setMinimumWidth(140)
        self.label.lineEdit().setPlaceholderText("label, e.g. Cats")
        self.temperature = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=3.0, singleStep=0.05, value=0.6)
        self.top_k = QSpinBox(minimum=0, maximum=512, value=20)
        self.top_k.setSpecialValueText("all")
        self.top_p = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=1.0, singleStep=0.05, value=0.0)
        self.top_p.setSpecialValueText("off")
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=0)
        self.count = QSpinBox(minimum=1, maximum=256, value=8)
        self.max_chars = QSpinBox(minimum=10, maximum=20000, singleStep=100, value=800)
        self.spaces = SpacesChoice()
        self.sample_button = QPushButton("Sample")
        self.sample_button.setObjectName("primary")
        self.sample_button.setShortcut("Ctrl+R")
        self.sample_button.setToolTip("Draw a gallery (Ctrl+R)")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.export_button = QPushButton("Export…")

        self.cancel_button.setToolTip("Stop drawing (the cards keep what they drew)")
        self.export_button.setToolTip("Export the gallery as text or PNG (Ctrl+E)")
        # One flow of captioned fields and buttons: it wraps onto a second line on a
        # narrow window instead of squeezing the buttons into slivers.
        self.toolbar = QWidget()
        form = FlowLayout(self.toolbar)
        for text, widget in (
            ("Label", self.label),
            ("T", self.temperature),
            ("top-k", self.top_k),
            ("top-p", self.top_p),
            ("seed", self.seed),
            ("count", self.count),
            ("max chars", self.max_chars),
            ("spaces", self.spaces),
        ):
            caption = QLabel(text)
            caption.setObjectName("caption")
            field = QWidget()
            column = QVBoxLayout(field)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(2)
            column.addWidget(caption)
            column.addWidget(widget)
            form.addWidget(field)
        for button in (self.sample_button, self.cancel_button, self.export_button):
            button.setMinimumWidth(button.sizeHint().width())
            holder = QWidget()  # bottom-aligned with the fields beside it
            column = QVBoxLayout(holder)
            column.setContentsMargins(0, 0, 0, 0)
            column.addStretch(1)
            column.addWidget(button)
            holder.setMinimumHeight(self.max_chars.sizeHint().height() + caption.sizeHint().height() + 2)
            form.addWidget(holder)
        policy = QSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)
        policy.setHeightForWidth(True)
        self.toolbar.setSizePolicy(policy)

        self.model = GalleryModel(self)
        self.view = CardView()
        self.view.setModel(self.model)
        self.view.setContextMenuPolicy(Qt.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._card_menu)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.view, 1)
        self.view.setMinimumHeight(160)

        self.sample_button.clicked.connect(lambda: self.sampleRequested.emit(self.settings()))
        self.cancel_button.clicked.connect(self.cancelRequested.emit)
        self.export_button.clicked.connect(self.exportGalleryRequested.emit)
        self.set_enabled(False)

    def set_enabled(self, enabled: bool) -> None:
        for widget in (self.sample_button, self.label, self.export_button):
            widget.setEnabled(enabled)

    def apply_settings(self, settings: dict) -> None:
        """Show the settings a gallery was drawn with, so the controls match the cards."""
        widgets = {
            "temperature": self.temperature,
            "top_k": self.top_k,
            "top_p": self.top_p,
            "seed": self.seed,
            "count": self.count,
            "max_chars": self.max_chars,
        }
        for key, widget in widgets.items():
            value = settings.get(key)
            widget.setValue(value if value is not None else widget.minimum())
        # A gallery stored without the key was drawn before spaces kept their odds.
        self.spaces.set_tempered(SampleSettings.from_record(settings).temper_spaces)
        if self.label.isEnabled() and settings.get("label"):
            self.label.setEditText(settings["label"])

    def set_busy(self, busy: bool) -> None:
        self.sample_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)

    def set_labels(self, labels: list[str], conditional: bool) -> None:
        current = self.label.currentText()
        self.label.clear()
        self.label.addItems(labels)
        self.label.setEnabled(conditional)
        if not conditional:
            self.label.setEditText("")
        elif current in labels:
            self.label.setCurrentText(current)

    def settings(self) -> SampleSettings:
        label = self.label.currentText().strip() if self.label.isEnabled() else ""
        return SampleSettings(
            label=label or None,
            count=self.count.value(),
            temperature=self.temperature.value(),
            top_k=self.top_k.value() or None,
            top_p=self.top_p.value() or None,
            seed=self.seed.value(),
            max_chars=self.max_chars.value(),
            temper_spaces=self.spaces.tempered(),
        )

    def start_gallery(self, settings: SampleSettings) -> None:
        self.model.set_cards([Card(i, settings.label, settings.seed + i) for i in range(settings.count)])

    def show_pieces(self, pieces) -> None:
        self.model.set_cards([Card(p.index, p.label, p.seed, p.text, p.complete, p.pinned, p.id) for p in pieces])

    def _card_menu(self, position) -> None:
        index = self.view.indexAt(position)
        if not index.isValid():
            return
        card: Card = index.data(GalleryModel.CardRole)
        menu = QMenu(self)
        menu.addAction("Re-roll this card", lambda: self.rerollRequested.emit(card.index))
        menu.addAction("Copy art", lambda: QGuiApplication.clipboard().setText(card.text))
        menu.addAction("Unpin" if card.pinned else "Pin as favourite", lambda: self.pinToggled.emit(index.row()))
        menu.addAction("Export piece…", lambda: self.exportPieceRequested.emit(index.row()))
        menu.addSeparator()
        menu.addAction("Smaller art (Ctrl+−)", lambda: self.view.zoom(-1))
        menu.addAction("Larger art (Ctrl++)", lambda: self.view.zoom(1))
        menu.addAction("Art at its usual size (Ctrl+0)", self.view.reset_art_size)
        menu.exec(self.view.viewport().mapToGlobal(position))
