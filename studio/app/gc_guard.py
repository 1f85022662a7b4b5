"""Python's cyclic garbage collector, run on the GUI thread only.

Automatic collection runs in whichever thread happens to allocate when a threshold is
crossed. When that is the worker and the garbage holds Qt objects (a closed window
caught in a reference cycle), Qt destroys GUI objects off the GUI thread and the app
crashes: seen as a segfault "Garbage-collecting" inside the worker's corpus job. So
automatic collection is switched off and a timer on the GUI thread collects instead,
generation by generation, as the thresholds would. (pyqtgraph ships the same idea;
importing it here would put all of pyqtgraph on the start-up path.)
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 1000


class GuiThreadCollector(QObject):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.check)

    def start(self) -> None:
        gc.disable()
        self.timer.start()

    def stop(self) -> None:
        """Collect everything now, here, and give collection back to Python."""
        self.timer.stop()
        gc.collect()
        gc.enable()

    def check(self) -> None:
        counts = gc.get_count()
        for generation in range(3):
            if counts[generation] <= self.thresholds[generation]:
                break
            gc.collect(generation)


_collector: GuiThreadCollector | None = None


def collect_on_gui_thread(app) -> GuiThreadCollector:
    """Start (once per application) the GUI-thread collector; returns it."""
    global _collector
    if _collector is None:
        _collector = GuiThreadCollector(app)
    _collector.start()
    return _collector


def stop_collecting() -> None:
    """Collect now on this (the GUI) thread and give automatic collection back to Python."""
    if _collector is not None:
        _collector.stop()
