"""The job panel: one row per job with a progress bar, ETA and cancel; failures stay visible."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QScrollArea, QVBoxLayout, QWidget

MAX_FINISHED_ROWS = 12


def eta_text(row, fraction: float) -> str:
    """One ETA, from the rate measured since the job's first progress report (so model
    loading and queueing do not count), once a second of it has been seen."""
    now = time.monotonic()
    first = getattr(row, "_first", None)
    if first is None or fraction < first[1]:
        row._first = (now, fraction)
        return ""
    elapsed, done = now - first[0], fraction - first[1]
    if elapsed < 1.0 or done <= 0 or fraction >= 1:
        return ""
    return f" · ETA {format_seconds((1 - fraction) * elapsed / done)}"


def format_seconds(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds}s" if seconds < 90 else f"{seconds // 60}m {seconds % 60:02d}s"


class JobRow(QFrame):
    def __init__(self, job_id: int, title: str, on_cancel):
        super().__init__()
        self.job_id = job_id
        self.setObjectName("jobRow")
        self.started = time.monotonic()
        self.title = QLabel(title)
        self.title.setObjectName("jobTitle")
        self.status = QLabel("queued")
        self.status.setObjectName("jobStatus")
        self.status.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(6)
        self.cancel = QPushButton("✕")
        self.cancel.setObjectName("jobCancel")  # its own padding (studio.qss), or the ✕ has no room
        self.cancel.setToolTip("Cancel this job")
        self.cancel.clicked.connect(lambda: on_cancel(job_id))
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.cancel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(top)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        self.done = False

    def start(self) -> None:
        self.started = time.monotonic()
        self._first: tuple[float, float] | None = None  # (time, fraction) of the first progress report
        self.progress(0.0, "running")

    def progress(self, fraction: float, message: str) -> None:
        self.bar.setValue(int(fraction * 1000))
        self.status.setText(f"{message}{eta_text(self, fraction)}")

    def finish(self, text: str, kind: str) -> None:
        self.done = True
        self.cancel.hide()
        self.bar.setValue(1000 if kind == "ok" else self.bar.value())
        self.status.setText(text)
        self.setProperty("state", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)


class JobPanel(QWidget):
    cancelRequested = Signal(int)

    def __init__(self, worker, parent=None):
        super().__init__(parent)
        self.rows: dict[int, JobRow] = {}
        self.container = QWidget()
        self.list = QVBoxLayout(self.container)
        self.list.setContentsMargins(4, 4, 4, 4)
        self.list.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.container)
        self.empty = QLabel("No jobs yet. Sampling, breeding, scans and training show up here.")
        self.empty.setWordWrap(True)
        self.empty.setObjectName("panelSubtitle")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        layout.addWidget(scroll, 1)
        # worker.gui re-emits the worker's signals in the GUI thread, each before the
        # job's own callbacks and ``ended``; ``queued`` is emitted by submit (GUI thread).
        worker.queued.connect(self._queued)
        worker.gui.started.connect(self._started)
        worker.gui.progressed.connect(self._progressed)
        worker.gui.finished.connect(self._finished)
        worker.gui.failed.connect(self._failed)
        worker.gui.cancelled.connect(self._cancelled)
        worker.gui.paused.connect(self._paused)
        # Direct: the worker's thread is busy running the job, so a queued call would
        # wait for the job to end. Worker.cancel only sets a threading.Event.
        self.cancelRequested.connect(worker.cancel, Qt.DirectConnection)

    def _started(self, job_id: int) -> None:
        row = self._row(job_id)
        if row is not None:
            row.start()

    def _progressed(self, job_id: int, fraction: float, message: str) -> None:
        row = self._row(job_id)
        if row is not None:
            row.progress(fraction, message)

    def _finished(self, job_id: int, result) -> None:
        self._finish(job_id, f"done in {self._elapsed(job_id):.1f}s", "ok")

    def _failed(self, job_id: int, message: str) -> None:
        self._finish(job_id, message, "failed")

    def _cancelled(self, job_id: int, message: str) -> None:
        self._finish(job_id, f"cancelled: {message}" if message else "cancelled", "cancelled")

    def _paused(self, job_id: int, why: str) -> None:
        row = self._row(job_id)
        if row is not None:
            row.bar.setValue(0)
            row.status.setText(why)

    def _row(self, job_id: int) -> JobRow | None:
        return self.rows.get(job_id)

    def _elapsed(self, job_id: int) -> float:
        row = self.rows.get(job_id)
        return time.monotonic() - row.started if row else 0.0

    def _queued(self, job_id: int, title: str) -> None:
        self.empty.hide()
        row = JobRow(job_id, title, self.cancelRequested.emit)
        self.rows[job_id] = row
        self.list.insertWidget(0, row)
        finished = [r for r in self.rows.values() if r.done]
        for old in finished[:-MAX_FINISHED_ROWS] if len(finished) > MAX_FINISHED_ROWS else []:
            self.rows.pop(old.job_id)
            old.deleteLater()

    def _finish(self, job_id: int, text: str, kind: str) -> None:
        row = self.rows.get(job_id)
        if row is not None:
            row.finish(text, kind)

    def messages(self) -> list[str]:
        return [row.status.text() for row in self.rows.values()]
