"""One card, painted one way: the gallery's cards and the PNG exports of galleries and litters.

A card is a title line (with a status at its right) above a piece of art in a
monospace font, whitespace kept. A card is sized to its art: as many columns as its
widest line and as many lines as it has, up to ``ART_MAX_COLUMNS`` × ``ART_MAX_LINES``
(the widest and tallest piece a card shows whole; longer pieces say how much is cut).
``pack_cards`` lays cards out in rows that fill a width, for the gallery's view and the
exported image alike.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontMetrics, QImage, QPainter, QPen

from studio.app import palette

ART_POINT_SIZE = 9.5  # the art's font size unless the user zooms the gallery
ART_MAX_COLUMNS, ART_MAX_LINES = 100, 60  # shown whole; beyond, the card says what is cut
CARD_MIN_COLUMNS, CARD_MIN_LINES = 24, 4  # a tiny piece still gets a card its title fits on
PADDING = 10  # inside a card, around the title and the art
TITLE_HEIGHT = 22
GAP = 8  # between cards


def art_font(point_size: float = ART_POINT_SIZE) -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.FixedFont)
    font.setPointSizeF(point_size)
    font.setStyleHint(QFont.Monospace)
    return font


def visible_text(text: str) -> str:
    """The art as it should show: framing and other control chars (which a font draws
    as empty boxes) removed; newlines and spaces kept, since whitespace is the art."""
    return "".join(c for c in text if c == "\n" or unicodedata.category(c) not in ("Cc", "Cf", "Co", "Cn"))


@dataclass(frozen=True)
class CardFace:
    """What one card shows: its title, a status at the title's right, its art."""

    title: str
    text: str
    status: str = ""
    status_colour: str = palette.TEXT_DIM


def art_extent(text: str) -> tuple[int, int]:
    """(columns, lines) of a piece as shown: its widest line and its line count."""
    lines = visible_text(text).split("\n")
    return max(len(line) for line in lines), len(lines)


class CardPainter:
    """Sizes and paints cards with one art font (its size is the gallery's zoom)."""

    def __init__(self, point_size: float = ART_POINT_SIZE):
        self.point_size = point_size
        self.font = art_font(point_size)
        self.metrics = QFontMetrics(self.font)
        self.title_font = QFont()
        self.title_font.setPointSizeF(9)
        self.title_metrics = QFontMetrics(self.title_font)
        self.char_width = self.metrics.horizontalAdvance("M")

    def size(self, face: CardFace) -> QSize:
        """The card's size: its art whole (up to the limits), and room for its title and status."""
        columns, lines = art_extent(face.text)
        shown_columns = max(CARD_MIN_COLUMNS, min(ART_MAX_COLUMNS, columns))
        shown_lines = max(CARD_MIN_LINES, min(ART_MAX_LINES, lines))
        header = self.title_metrics.horizontalAdvance(face.title) + self.title_metrics.horizontalAdvance(face.status)
        width = max(self.char_width * shown_columns, header + 3 * PADDING) + 2 * PADDING
        height = TITLE_HEIGHT + PADDING + self.metrics.lineSpacing() * shown_lines + PADDING
        if columns > ART_MAX_COLUMNS or lines > ART_MAX_LINES:
            height += self.title_metrics.height()  # the line that says what is not shown
        return QSize(width, height)

    def paint(self, painter: QPainter, rect: QRect, face: CardFace, selected: bool = False) -> None:
        painter.save()
        painter.setRenderHint(QPainter.Antialiasing)
        card = rect.adjusted(0, 0, -1, -1)
        painter.setPen(QPen(QColor(palette.FOCUS if selected else palette.BORDER), 1.5 if selected else 1))
        painter.setBrush(QColor(palette.SURFACE))
        painter.drawRoundedRect(card, 6, 6)
        header = QRect(rect.left() + PADDING, rect.top() + 4, rect.width() - 2 * PADDING, TITLE_HEIGHT)
        painter.setFont(self.title_font)
        painter.setPen(QColor(palette.TEXT_DIM))
        status_width = self.title_metrics.horizontalAdvance(face.status) + (2 * PADDING if face.status else 0)
        title = self.title_metrics.elidedText(face.title, Qt.ElideRight, max(0, header.width() - status_width))
        painter.drawText(header, Qt.AlignLeft | Qt.AlignVCenter, title)
        if face.status:
            # right after the title, not at the card's right edge: a card wider than the
            # gallery (it scrolls sideways) still shows how its drawing went
            painter.setPen(QColor(face.status_colour))
            status = header.adjusted(self.title_metrics.horizontalAdvance(title) + 2 * PADDING, 0, 0, 0)
            painter.drawText(status, Qt.AlignLeft | Qt.AlignVCenter, face.status)
        lines = visible_text(face.text).split("\n")
        shown = lines[:ART_MAX_LINES]
        cut_lines = len(lines) - len(shown)
        cut_columns = max(len(line) for line in lines) > ART_MAX_COLUMNS
        footer = self.title_metrics.height() if cut_lines or cut_columns else 0
        art = QRect(
            rect.left() + PADDING,
            rect.top() + TITLE_HEIGHT + PADDING // 2,
            rect.width() - 2 * PADDING,
            rect.height() - TITLE_HEIGHT - PADDING - footer,
        )
        painter.setClipRect(art)
        painter.setFont(self.font)
        painter.setPen(QColor(palette.TEXT))
        y = art.top() + self.metrics.ascent()
        for line in shown:
            painter.drawText(art.left(), y, line[:ART_MAX_COLUMNS])  # drawn as is: whitespace is the art
            y += self.metrics.lineSpacing()
        painter.setClipping(False)
        if footer:
            more = [f"{cut_lines} more lines"] if cut_lines else []
            more += [f"lines past {ART_MAX_COLUMNS} columns"] if cut_columns else []
            painter.setFont(self.title_font)
            painter.setPen(QColor(palette.TEXT_FAINT))
            note = QRect(art.left(), art.bottom() + 1, art.width(), footer)
            painter.drawText(note, Qt.AlignRight | Qt.AlignVCenter, "⋯ " + ", ".join(more) + " not shown")
        painter.restore()


def pack_cards(sizes: list[QSize], width: int, gap: int = GAP) -> list[QRect]:
    """Card rectangles in rows that fill ``width``: each row takes the cards that fit at
    their own width, then shares the room left among them, so a wide gallery has more
    columns, not an empty margin. The last row grows no more than the row above did; a
    card wider than ``width`` sits alone in its row (the view scrolls sideways)."""
    rects: list[QRect] = []
    rows: list[list[int]] = []
    row: list[int] = []
    used = gap
    for i, size in enumerate(sizes):
        if row and used + size.width() + gap > width:
            rows.append(row)
            row, used = [], gap
        row.append(i)
        used += size.width() + gap
    if row:
        rows.append(row)
    y = gap
    last_growth = None
    for number, row in enumerate(rows):
        room = width - gap - sum(sizes[i].width() + gap for i in row)
        growth = max(0, room) // len(row)
        if number == len(rows) - 1 and len(rows) > 1:
            growth = min(growth, last_growth)
        elif len(rows) == 1:  # one row: grow no more than half a card, a lone card stays a card
            growth = min(growth, min(sizes[i].width() for i in row) // 2)
        last_growth = growth
        x = gap
        for i in row:
            rects.append(QRect(x, y, sizes[i].width() + growth, sizes[i].height()))
            x += sizes[i].width() + growth + gap
        y += max(sizes[i].height() for i in row) + gap
    return rects


def render_cards(title: str, faces: list[CardFace], painter_: CardPainter | None = None) -> QImage:
    """Cards as an image (a gallery or a litter): a title line, then the cards packed
    in rows about four of the usual card wide, each sized to its art as in the gallery."""
    cards = painter_ or CardPainter()
    sizes = [cards.size(face) for face in faces]
    widths = sorted(size.width() for size in sizes) or [0]
    typical = widths[len(widths) // 2]
    width = max(widths[-1] + 2 * GAP, min(4, len(faces)) * (typical + GAP) + GAP, 480)
    rects = pack_cards(sizes, width)
    top = 40
    height = top + max((rect.bottom() for rect in rects), default=0) + GAP + 1
    image = QImage(width, height, QImage.Format_ARGB32)
    image.fill(QColor(palette.WINDOW))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setPen(QColor(palette.TEXT))
    painter.setFont(cards.title_font)
    painter.drawText(QRect(GAP, 8, width - 2 * GAP, top - 12), Qt.AlignLeft | Qt.AlignVCenter, title)
    for face, rect in zip(faces, rects):
        cards.paint(painter, rect.translated(0, top), face)
    painter.end()
    return image
