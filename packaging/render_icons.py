"""Render resources/icon.svg to the PNG sizes desktops ask for (``make icons``).

The PNGs are committed: a frozen app or a desktop without Qt's SVG plugin still has an
icon, and ``make install-desktop`` copies them into the user's hicolor theme. They land
in the hicolor layout, resources/icons/hicolor/NxN/apps/APP_ID.png, so that copy is a
plain tree copy. Run it again after editing the SVG.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from studio.identity import APP_ID

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ROOT = Path(__file__).resolve().parent.parent


def render(svg: Path, out_root: Path) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # fonts for the SVG's text
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not a valid SVG")
    written = []
    for size in SIZES:
        image = QImage(size, size, QImage.Format_ARGB32)
        image.fill(Qt.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setRenderHint(QPainter.TextAntialiasing)
        renderer.render(painter)
        painter.end()
        out = out_root / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(out), "PNG"):
            raise SystemExit(f"{out}: could not write the PNG")
        written.append(out)
    del app
    return written


if __name__ == "__main__":
    for path in render(ROOT / "resources" / "icon.svg", ROOT / "resources" / "icons" / "hicolor"):
        print(path.relative_to(ROOT), path.stat().st_size, "bytes")
