"""What the app's session tells every job (no PyTorch: the GUI thread writes it).

Both are read by the worker's handlers, when a job runs.
"""

from __future__ import annotations

# Contents the user said "Yes, trust this file" to, by sha256, for this session: every
# later job that loads the same bytes (sampling, breeding, scans) loads them trusted too.
# The digest is of the bytes the loader itself read (never of the path at another
# moment), so a file renamed onto a trusted path is not trusted.
TRUSTED_SHA256: set[str] = set()

# The held-out data the library remembers for folders of checkpoints that record no
# corpus (folder -> corpus spec or text file); the window keeps it current. Every figure
# of such an artist uses that data (``handlers.heldout_data``).
FOLDER_DATA: dict[str, str] = {}


def remember_trust(sha256: str) -> None:
    TRUSTED_SHA256.add(sha256)
