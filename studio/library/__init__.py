"""The user's library (pure Python, no Qt): an SQLite index of checkpoints, their
genealogy and galleries (``store``), the rules that read a snapshot's family tree
(``genealogy``), and exports of art and checkpoints (``export``)."""

from studio.library.paths import bred_dir, bundled_checkpoints_dir, data_dir, default_library_path
from studio.library.records import ROLES, CheckpointRecord, Edge, GalleryRecord, ImportReport, PieceRecord
from studio.library.store import EVENTS, Library

__all__ = [
    "EVENTS",
    "ROLES",
    "CheckpointRecord",
    "Edge",
    "GalleryRecord",
    "ImportReport",
    "Library",
    "PieceRecord",
    "bred_dir",
    "bundled_checkpoints_dir",
    "data_dir",
    "default_library_path",
]
