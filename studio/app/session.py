"""What the user is working on: the current checkpoint and the parents A and B.

Plain Python with listeners (no Qt), so it is testable on its own and widgets observe
it: a drop on slot A sets ``session.parent_a`` and the bay shows it; nothing climbs
to the window and back down.
"""

from __future__ import annotations

from typing import Callable

Listener = Callable[[str, "int | None"], None]  # ("current" | "a" | "b", checkpoint id or None)


class Session:
    def __init__(self) -> None:
        self.current: int | None = None
        self.parents: dict[str, int | None] = {"a": None, "b": None}
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Listener:
        self._listeners.append(listener)
        return listener

    def _notify(self, what: str, checkpoint_id: int | None) -> None:
        for listener in list(self._listeners):
            listener(what, checkpoint_id)

    def select(self, checkpoint_id: int | None) -> None:
        self.current = checkpoint_id
        self._notify("current", checkpoint_id)

    def set_parent(self, slot: str, checkpoint_id: int | None) -> None:
        self.parents[slot] = checkpoint_id
        self._notify(slot, checkpoint_id)

    def forget(self, checkpoint_id: int) -> None:
        """A checkpoint left the library: it is no longer current nor a parent."""
        for slot, held in self.parents.items():
            if held == checkpoint_id:
                self.set_parent(slot, None)
        if self.current == checkpoint_id:
            self.select(None)
