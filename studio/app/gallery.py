"""The gallery: monospace cards of what the selected model draws, streamed as drawn.

Cards are rows of ``GalleryModel`` painted by ``CardDelegate`` inside one
QListView (icon mode, wrapping), so a gallery of hundreds of pieces scrolls
smoothly: no widget per card, no widget per char.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontMetrics, QGuiApplication, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QLabel, QLayout, QListView, QMenu, QPushButton, QSizePolicy, QSpinBox, QStyle,
    QStyledItemDelegate, QVBoxLayout, QWidget,
)

from studio.model.art import SampleSettings

CARD_COLUMNS = 40  # the built-in art is at most 40 columns wide
CARD_MIN_LINES, CARD_MAX_LINES = 6, 18


def art_font() -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.FixedFont)
    font.setPointSizeF(9.5)
    font.setStyleHint(QFont.Monospace)
    return font


def visible_text(text: str) -> str:
    """The art as it should show: framing and other control chars (which a font draws
    as empty boxes) removed; newlines and spaces kept, since whitespace is the art."""
    return "".join(c for c in text if c == "\n" or unicodedata.category(c) not in ("Cc", "Cf", "Co", "Cn"))


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


class CardView(QListView):
    """The card grid; when it is empty it says how to fill it."""

    NO_ARTIST = "Click an artist in the family tree to see its art."
    NO_GALLERY = "No gallery yet: press Sample (Ctrl+R) to draw one."
    placeholder = NO_ARTIST

    def set_placeholder(self, text: str) -> None:
        self.placeholder = text
        self.viewport().update()

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self.model() is not None and self.model().rowCount() == 0 and self.placeholder:
            painter = QPainter(self.viewport())
            painter.setPen(QColor("#8b95a8"))
            painter.drawText(self.viewport().rect().adjusted(20, 20, -20, -20), Qt.AlignCenter | Qt.TextWordWrap,
                             self.placeholder)


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


class GalleryModel(QAbstractListModel):
    CardRole = Qt.UserRole + 1

    def __init__(self, parent=None):
        super().__init__(parent)
        self.cards: list[Card] = []

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
            return f"#{card.index} seed {card.seed}" + (f" · {card.label}" if card.label else "")
        return None

    def set_cards(self, cards: list[Card]) -> None:
        self.beginResetModel()
        self.cards = cards
        self.endResetModel()

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
        for key, value in changes.items():
            setattr(self.cards[row], key, value)
        self.dataChanged.emit(self.index(row), self.index(row))


class CardDelegate(QStyledItemDelegate):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.font = art_font()
        self.metrics = QFontMetrics(self.font)

    def sizeHint(self, option, index) -> QSize:
        card: Card = index.data(GalleryModel.CardRole)
        lines = max(CARD_MIN_LINES, min(CARD_MAX_LINES, card.text.count("\n") + 1 if card else CARD_MIN_LINES))
        return QSize(self.metrics.horizontalAdvance("M") * CARD_COLUMNS + 24, self.metrics.lineSpacing() * lines + 44)

    def paint(self, painter: QPainter, option, index) -> None:
        card: Card = index.data(GalleryModel.CardRole)
        rect = option.rect.adjusted(4, 4, -4, -4)
        painter.save()
        painter.setRenderHint(QPainter.Antialiasing)
        selected = bool(option.state & QStyle.State_Selected)
        painter.setPen(QPen(QColor("#5b8def") if selected else QColor("#303848"), 1.5 if selected else 1))
        painter.setBrush(QColor("#10141b"))
        painter.drawRoundedRect(rect, 6, 6)
        header = QRect(rect.left() + 10, rect.top() + 6, rect.width() - 20, 18)
        painter.setPen(QColor("#9aa4b6"))
        title = f"#{card.index}  seed {card.seed}" + (f"  ·  {card.label}" if card.label else "")
        painter.drawText(header, Qt.AlignLeft | Qt.AlignVCenter, title)
        if card.cancelled:
            status, color = "cancelled", "#8b95a8"
        elif card.complete is None:
            status, color = "drawing…", "#f59e0b"
        elif card.complete:
            status, color = "✓ complete", "#34d399"
        else:
            status, color = "… cut at max chars", "#f87171"
        if card.pinned:
            status = "★  " + status
        painter.setPen(QColor(color))
        painter.drawText(header, Qt.AlignRight | Qt.AlignVCenter, status)
        painter.setFont(self.font)
        painter.setPen(QColor("#e6e9ef"))
        art_rect = QRect(rect.left() + 10, rect.top() + 28, rect.width() - 20, rect.height() - 34)
        painter.setClipRect(art_rect)
        y = art_rect.top() + self.metrics.ascent()
        for line in visible_text(card.text).split("\n")[:CARD_MAX_LINES]:
            painter.drawText(art_rect.left(), y, line)  # drawn as is: whitespace is the art
            y += self.metrics.lineSpacing()
        painter.restore()


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
        for text, widget in (("Label", self.label), ("T", self.temperature), ("top-k", self.top_k), ("top-p", self.top_p),
                             ("seed", self.seed), ("count", self.count), ("max chars", self.max_chars)):
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
        self.view.setItemDelegate(CardDelegate(self.view))
        self.view.setViewMode(QListView.IconMode)
        self.view.setFlow(QListView.LeftToRight)
        self.view.setWrapping(True)
        self.view.setResizeMode(QListView.Adjust)
        self.view.setMovement(QListView.Static)
        self.view.setSpacing(4)
        self.view.setUniformItemSizes(False)
        self.view.setVerticalScrollMode(QListView.ScrollPerPixel)
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
        widgets = {"temperature": self.temperature, "top_k": self.top_k, "top_p": self.top_p, "seed": self.seed,
                   "count": self.count, "max_chars": self.max_chars}
        for key, widget in widgets.items():
            value = settings.get(key)
            widget.setValue(value if value is not None else widget.minimum())
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
        menu.exec(self.view.viewport().mapToGlobal(position))
