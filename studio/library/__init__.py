"""The user's library (no Qt): SQLite index of checkpoints, genealogy, galleries; exports."""

from studio.library.paths import bred_dir, bundled_checkpoints_dir, data_dir, default_library_path
from studio.library.store import ROLES, CheckpointRecord, Edge, GalleryRecord, ImportReport, Library, PieceRecord

__all__ = [
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
