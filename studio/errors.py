"""User-facing errors.

Every error a person can cause (a bad file, a bad option) is a ``StudioError`` whose
message is one sentence naming the file or option and the problem. Front ends show
the message as is: the CLI exits with status 2, the app shows a notice. Anything
else that escapes is a bug (CLI exit status 1).
"""

from __future__ import annotations

import threading
from typing import Callable, Union

CancelCheck = Callable[[], bool]


class StudioError(Exception):
    """A problem caused by the user's input, explained in one sentence."""


class CheckpointError(StudioError):
    """A checkpoint file that cannot be read, or does not match its own config."""


class UntrustedCheckpointError(CheckpointError):
    """A checkpoint that needs full unpickling, which can run arbitrary code.

    ``sha256`` is the digest of the bytes that were refused: trust given after asking
    the user is trust in those bytes (see ``load_checkpoint``), not in the path.
    """

    def __init__(self, message: str, sha256: str | None = None):
        super().__init__(message)
        self.sha256 = sha256


class IncompatibleParentsError(StudioError):
    """Two checkpoints that cannot be bred together."""


class NoHeldOutData(StudioError):
    """No data is known to judge a model on: it records no corpus and none was given.

    The studio then says so rather than score it on data of another kind."""


class Cancelled(Exception):
    """A long job stopped because the user asked it to (not an error)."""


def cancel_check(cancel: Union[threading.Event, CancelCheck, None]) -> CancelCheck:
    """The one way to ask "was I cancelled?": from an Event, a callable or nothing."""
    if cancel is None:
        return lambda: False
    if isinstance(cancel, threading.Event):
        return cancel.is_set
    return cancel
