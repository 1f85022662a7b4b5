"""Exports: a piece or a gallery as text, a gallery as PNG, a checkpoint in the card's format.

The save dialogs start in the folder the user last exported to (kept in the settings);
the gallery's Export offers text and PNG.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QObject
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog

from studio.app.card_painter import CardFace, render_cards
from studio.app.gallery import card_face
from studio.fsutil import atomic_write
from studio.library.export import default_export_name, export_gallery_txt, export_piece_txt
from studio.work import requests

TEXT, PNG = "Text (*.txt)", "PNG image (*.png)"


class Exports(QObject):
    def __init__(self, library, worker, session, gallery, settings, notice, say, parent_widget):
        super().__init__()
        self.library, self.worker, self.session, self.gallery = library, worker, session, gallery
        self.settings, self.notice, self.say, self.parent_widget = settings, notice, say, parent_widget
        gallery.exportPieceRequested.connect(self.export_piece)
        gallery.exportGalleryRequested.connect(self.export_gallery_any)

    def _save_path(self, title: str, name: str, filters: str) -> tuple[str | None, str]:
        folder = self.settings.value("export/folder") or str(Path.home())
        path, chosen = QFileDialog.getSaveFileName(self.parent_widget, title, str(Path(folder) / name), filters)
        if path:
            self.settings.setValue("export/folder", str(Path(path).parent))
        return path or None, chosen

    def _wrote(self, path) -> None:
        self.say(f"Wrote {path}")

    def _current(self):
        return self.library.get(self.session.current) if self.session.current is not None else None

    def export_gallery_any(self) -> str | None:
        """The gallery's Export button: text or PNG, as the user picks in the dialog."""
        record = self._current()
        gallery = self.library.latest_gallery(record.id) if record is not None else None
        if gallery is None:
            self.notice("Sample a gallery first, then export it.")
            return None
        name = default_export_name(record, "gallery", gallery.settings.get("label"))
        path, chosen = self._save_path("Export gallery", name, f"{TEXT};;{PNG}")
        if not path:
            return None
        if chosen == PNG or path.lower().endswith(".png"):
            return self.export_gallery_png(path if path.lower().endswith(".png") else path + ".png")
        return self.export_gallery(path)

    def export_gallery(self, path: str | None = None) -> str | None:
        record = self._current()
        gallery = self.library.latest_gallery(record.id) if record is not None else None
        if gallery is None:
            self.notice("Sample a gallery first, then export it.")
            return None
        if path is None:
            path, _ = self._save_path(
                "Export gallery", default_export_name(record, "gallery", gallery.settings.get("label")), TEXT
            )
        if path:
            export_gallery_txt(path, record.name, gallery.settings, gallery.pieces)
            self._wrote(path)
        return path

    def export_piece(self, row: int, path: str | None = None) -> str | None:
        card = self.gallery.model.cards[row]
        record = self._current()
        if path is None:
            path, _ = self._save_path("Export piece", default_export_name(record, "piece", index=card.index), TEXT)
        if path:
            export_piece_txt(path, card)
            self._wrote(path)
        return path

    def export_gallery_png(self, path: str | None = None) -> str | None:
        record = self._current()
        if record is None or not self.gallery.model.cards:
            self.notice("Sample a gallery first, then export it.")
            return None
        if path is None:
            path, _ = self._save_path("Export gallery as PNG", default_export_name(record, "png"), PNG)
        if not path:
            return None
        image = render_gallery_png(record.qualified_name, self.gallery.model.cards)
        buffer = QBuffer()
        buffer.open(QIODevice.WriteOnly)
        image.save(buffer, "PNG")
        data = bytes(buffer.data())
        atomic_write(path, lambda handle: handle.write(data))
        self._wrote(path)
        return path

    def export_checkpoint(self, checkpoint_id: int, path: str | None = None) -> int | None:
        """Write the checkpoint in the card's format; a job, since it may load and re-save
        the model (model code stays off the GUI thread). Returns the job id."""
        record = self.library.get(checkpoint_id)
        if path is None:
            path, _ = self._save_path(
                "Export checkpoint", default_export_name(record, "checkpoint"), "Checkpoint (*.pt)"
            )
        if not path:
            return None
        path = str(path)
        if Path(path).suffix.lower() != ".pt":
            # A checkpoint is a .pt file: "child.png" becomes "child.pt", never a .png holding a pickle.
            stem = Path(path).with_suffix("") if Path(path).suffix.lower() in (".png", ".txt", ".jpg") else Path(path)
            repaired = f"{stem}.pt"
            if Path(repaired).exists():
                self.notice(f"{path}: a checkpoint must end in .pt, and {repaired} already exists; choose another name")
                return None
            self.say(f"A checkpoint is a .pt file: writing {repaired}")
            path = repaired
        return self.worker.submit(f"Export {record.name}", requests.ExportCheckpoint(record, path), on_done=self._wrote)


def render_gallery_png(title: str, cards, header=None) -> QImage:
    """Gallery cards (or a litter's) as an image, painted as the gallery paints them
    (``header(card)``: each card's title line instead of its number, seed and label)."""
    faces = [card_face(card) for card in cards]
    if header is not None:
        faces = [CardFace(header(card), card.text) for card in cards]
    return render_cards(title, faces)
