"""Guard against a Qt binding that corrupts reference counts (PySide6 6.12.0 on 3.11)."""

import sys

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter


def test_painting_does_not_release_none(qapp):
    image = QImage(64, 64, QImage.Format_ARGB32)
    painter = QPainter(image)
    color = QColor("#4f9cf7")
    before = sys.getrefcount(None)
    for _ in range(200):
        painter.setPen(color)
        painter.setBrush(color)
        painter.setPen(Qt.NoPen)
        painter.drawRoundedRect(QRectF(1, 1, 10, 10), 4, 4)
    after = sys.getrefcount(None)
    painter.end()
    # A correct binding leaves None's count unchanged (give or take cached objects);
    # the broken one drops it by one per call: hundreds here, and a crash in the app.
    assert after - before > -50
