"""One QThread owns the device and runs jobs from a queue; the GUI never runs model code.

A job is a request of ``studio.work.requests`` (plain data, built by the GUI), which
the worker thread hands to ``studio.work.handlers.execute``, or a plain Python callable
``fn(ctx) -> result``. ``ctx`` is a ``JobContext`` offering ``progress(fraction, message)``,
``partial(payload)`` and ``cancelled()``: the same callbacks the core's functions take.
The worker turns them into Qt signals, delivered to the GUI thread by queued connections.

One way to run a job: ``submit(title, request, on_done=…, on_partial=…, on_failed=…,
on_cancelled=…)`` returns a job id; the callbacks run in the GUI thread, then
``ended(job_id, "done" | "failed" | "cancelled")`` is emitted. ``cancel(job_id)``
only sets a ``threading.Event``, so it is safe (and meant) to call from the GUI thread
while the worker's thread is busy: jobs poll it between steps.

Jobs the user asked for go first: ``submit(..., automatic=True)`` marks one the app
started by itself (a new child's first gallery), which waits behind every job the user
asked for, and when one arrives while it runs it is paused for it (cancelled at its next
check, then run again from the start once the user's jobs are done; ``on_restart`` tells
its views to start over). ``waiting_for(job_id)`` says what a queued job waits for.

The worker thread imports PyTorch and picks the device as its first act, while the GUI
thread builds the window; nothing in the GUI thread imports PyTorch.
"""

from __future__ import annotations

import itertools
import sys
import threading
import traceback
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

from studio.errors import Cancelled, StudioError

if TYPE_CHECKING:
    from studio.model.engine import Engine

# Worker threads a shutdown could not stop: never destroyed while they run (Qt would
# abort the process), until the process ends.
_UNSTOPPED: list[QThread] = []


class JobContext:
    """What a running job may use: progress, partial results, cancellation, the device."""

    def __init__(self, worker: "Worker", job_id: int, cancel: threading.Event):
        self._worker = worker
        self.job_id = job_id
        self._cancel = cancel
        self.device = worker.device

    def progress(self, fraction: float, message: str = "") -> None:
        self._worker.progressed.emit(self.job_id, float(fraction), message)

    def partial(self, payload: Any) -> None:
        self._worker.partial.emit(self.job_id, payload)

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def engine(self, ckpt) -> Engine:
        return self._worker.engine_for(ckpt)


class GuiSide(QObject):
    """Lives in the GUI thread and is the one receiver of the worker's signals (queued).

    For each, it re-emits a GUI-thread signal for the views (job panel, status bar,
    bay), then calls the callbacks given to ``submit``, then emits ``ended``: one
    slot does all three, so views always see a job's outcome before ``ended``.
    """

    started = Signal(int)
    progressed = Signal(int, float, str)
    failed = Signal(int, str)
    cancelled = Signal(int, str)
    finished = Signal(int, object)
    ended = Signal(int, str)  # job id, "done" | "failed" | "cancelled"
    paused = Signal(int, str)  # job id, why: an automatic job waits again behind the user's

    def __init__(self):
        super().__init__()
        self.handlers: dict[int, dict[str, Callable | None]] = {}

    def _call(self, job_id: int, kind: str, value, keep: bool = False) -> None:
        handlers = self.handlers.get(job_id, {}) if keep else self.handlers.pop(job_id, {})
        handler = handlers.get(kind)
        if handler is not None:
            handler(value)

    @Slot(int)
    def on_started(self, job_id: int) -> None:
        self.started.emit(job_id)

    @Slot(int, float, str)
    def on_progressed(self, job_id: int, fraction: float, message: str) -> None:
        self.progressed.emit(job_id, fraction, message)

    @Slot(int, object)
    def on_partial(self, job_id: int, payload) -> None:
        self._call(job_id, "partial", payload, keep=True)

    @Slot(int, str)
    def on_paused(self, job_id: int, why: str) -> None:
        self.paused.emit(job_id, why)
        self._call(job_id, "restart", why, keep=True)

    @Slot(int, object)
    def on_finished(self, job_id: int, result) -> None:
        self.finished.emit(job_id, result)
        self._call(job_id, "done", result)
        self.ended.emit(job_id, "done")

    @Slot(int, str)
    def on_failed(self, job_id: int, message: str) -> None:
        self.failed.emit(job_id, message)
        self._call(job_id, "failed", message)
        self.ended.emit(job_id, "failed")

    @Slot(int, str)
    def on_cancelled(self, job_id: int, message: str) -> None:
        self.cancelled.emit(job_id, message)
        self._call(job_id, "cancelled", message)
        self.ended.emit(job_id, "cancelled")


@dataclass
class Job:
    job_id: int
    title: str
    work: Any  # a request of studio.work.requests, or a callable fn(ctx)
    cancel: threading.Event = field(default_factory=threading.Event)
    automatic: bool = False  # started by the app itself: any job the user asks for goes first
    paused_for: str | None = None  # the user's job it was paused for (run again after it)
    cancelled_by_user: bool = False


class Worker(QObject):
    """Lives in its own QThread; runs one job at a time, in submission order."""

    queued = Signal(int, str)  # job id, title
    started = Signal(int)
    progressed = Signal(int, float, str)
    partial = Signal(int, object)
    finished = Signal(int, object)
    failed = Signal(int, str)
    cancelled = Signal(int, str)  # job id, what was kept (e.g. "saved step 40 to …"), or ""
    paused = Signal(int, str)  # an automatic job stopped for the user's job; it runs again after
    deviceChosen = Signal(str, str)  # label for the status bar, the problem with the requested one ("" if none)
    _run_requested = Signal()

    def __init__(self, device: str | None = None):
        super().__init__()
        self.requested_device = device
        self.device = None  # a torch.device once the worker thread has started
        self.device_problem = ""
        self._ids = itertools.count(1)
        self._jobs: dict[int, Job] = {}
        self._queue: list[Job] = []  # waiting jobs: the user's first, each kind in order
        self._lock = threading.Lock()
        self.running: Job | None = None
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        # Views connect to ``worker.gui`` (GUI thread, ordered), never to the raw signals.
        self.gui = GuiSide()  # created here, in the GUI thread
        self.ended = self.gui.ended
        self.started.connect(self.gui.on_started)
        self.progressed.connect(self.gui.on_progressed)
        self.partial.connect(self.gui.on_partial)
        self.finished.connect(self.gui.on_finished)
        self.failed.connect(self.gui.on_failed)
        self.cancelled.connect(self.gui.on_cancelled)
        self.paused.connect(self.gui.on_paused)
        self._thread = QThread()
        self._thread.setObjectName("studio-worker")
        self.moveToThread(self._thread)
        self._thread.started.connect(self._choose_device)  # runs first, in the worker thread
        self._run_requested.connect(self._execute_next)
        self._thread.start()

    @property
    def device_label(self) -> str:
        if self.device is None:
            return "starting…"
        return {"cuda": "CUDA GPU", "mps": "Apple GPU (MPS)", "cpu": "CPU"}.get(self.device.type, str(self.device))

    # -- called from the GUI thread ----------------------------------------------------

    def submit(
        self,
        title: str,
        work: Any,
        on_done: Callable | None = None,
        on_partial: Callable | None = None,
        on_failed: Callable | None = None,
        on_cancelled: Callable | None = None,
        automatic: bool = False,
        on_restart: Callable | None = None,
    ) -> int:
        """Queue ``work`` (a request, or a callable ``fn(ctx)``); the callbacks run in the GUI
        thread (``on_cancelled`` defaults to ``on_failed``, called with the cancellation's
        message). ``automatic``: the app started it, not the user: it waits behind the user's
        jobs and pauses for them
        (``on_restart(why)`` when it was paused and will run again from the start)."""
        job = Job(next(self._ids), title, work, automatic=automatic)
        self._jobs[job.job_id] = job
        self.gui.handlers[job.job_id] = {
            "done": on_done,
            "partial": on_partial,
            "failed": on_failed,
            "cancelled": on_cancelled or on_failed,
            "restart": on_restart,
        }
        self.queued.emit(job.job_id, title)
        with self._lock:
            self._enqueue(job)
            running = self.running
        if not automatic and running is not None and running.automatic and not running.cancel.is_set():
            running.paused_for = title  # it stops at its next check and waits behind this one
            running.cancel.set()
        self._run_requested.emit()
        return job.job_id

    def _enqueue(self, job: Job) -> None:
        """Into the queue (the lock held): a user's job after the user's, before any automatic one."""
        if job.automatic:
            self._queue.append(job)
        else:
            first_automatic = next((i for i, j in enumerate(self._queue) if j.automatic), len(self._queue))
            self._queue.insert(first_automatic, job)

    def waiting_for(self, job_id: int) -> str:
        """What a queued job waits for, in words ("" when it runs or is unknown)."""
        with self._lock:
            running = self.running
            ahead = []
            for job in self._queue:
                if job.job_id == job_id:
                    break
                ahead.append(job)
            else:
                return ""
        parts = []
        if running is not None and running.job_id != job_id:
            if running.automatic and running.paused_for is not None:
                parts.append(f"{running.title} to pause")
            else:
                parts.append(f"{running.title} to finish")
        if ahead:
            parts.append(
                f"{len(ahead)} job{'s' if len(ahead) > 1 else ''} queued before it ({ahead[0].title}"
                + (", …" if len(ahead) > 1 else "")
                + ")"
            )
        return ", then ".join(parts)

    def cancel(self, job_id: int | None) -> None:
        """Thread-safe: sets the job's flag; the job stops at its next check."""
        job = self._jobs.get(job_id) if job_id is not None else None
        if job is not None:
            job.cancelled_by_user = True
            job.cancel.set()

    def shutdown(self, grace_s: float = 5.0, patience_s: float = 120.0) -> bool:
        """Cancel every job and stop the thread. A job stops at its next check; what cannot
        be cancelled (PyTorch's import on a loaded machine, one long step) is waited for,
        up to ``patience_s``, saying so on stderr after ``grace_s``. False: the thread still
        runs. It is then kept referenced, because Qt aborts the process when a running
        QThread is destroyed, and the caller should end the process without Python's
        teardown (``os._exit``) once its files are closed."""
        for job in list(self._jobs.values()):
            job.cancel.set()
        self._thread.quit()
        if self._thread.wait(int(grace_s * 1000)):
            return True
        running = self.running
        what = f"the job {running.title!r}" if running is not None else "the worker's start (importing PyTorch)"
        print(f"darwascii-studio: waiting for {what} to stop…", file=sys.stderr, flush=True)
        if self._thread.wait(int(max(0.0, patience_s - grace_s) * 1000)):
            return True
        _UNSTOPPED.append(self._thread)
        return False

    # -- in the worker thread -------------------------------------------------------------

    @Slot()
    def _choose_device(self) -> None:
        """Import PyTorch here, off the GUI thread; a device that is not there falls back
        to the best one that is, and the window says so."""
        from studio.model.engine import pick_device

        try:
            device = pick_device(self.requested_device)
        except StudioError as exc:
            device = pick_device(None)
            self.device_problem = f"{exc}; using {device.type} instead"
        self.device = device  # set before the signal: a late listener reads it instead
        self.deviceChosen.emit(self.device_label, self.device_problem)

    def engine_for(self, ckpt) -> Engine:
        """Engines are cached per file content (a few at a time), so re-sampling is instant."""
        key = ckpt.sha256 or f"memory:{id(ckpt)}"
        if key in self._engines:
            self._engines.move_to_end(key)
            return self._engines[key]
        from studio.model.engine import Engine

        engine = Engine.from_checkpoint(ckpt, device=self.device)
        self._engines[key] = engine
        while len(self._engines) > 4:
            self._engines.popitem(last=False)
        return engine

    @Slot()
    def _execute_next(self) -> None:
        with self._lock:
            if not self._queue:
                return
            job = self._queue.pop(0)
            self.running = job
        try:
            self._execute(job)
        finally:
            with self._lock:
                self.running = None

    def _execute(self, job: Job) -> None:
        if job.cancel.is_set() and job.cancelled_by_user:
            self._jobs.pop(job.job_id, None)
            self.cancelled.emit(job.job_id, "")
            return
        self.started.emit(job.job_id)
        try:
            result = run_work(job.work, JobContext(self, job.job_id, job.cancel))
        except Cancelled as exc:
            if job.paused_for is not None and not job.cancelled_by_user:
                self._pause(job)
                return
            self.cancelled.emit(job.job_id, str(exc))
        except StudioError as exc:
            self.failed.emit(job.job_id, str(exc))
        except Exception as exc:  # a bug: say so, keep the app alive
            traceback.print_exc()
            self.failed.emit(job.job_id, f"internal error: {type(exc).__name__}: {exc}")
        else:
            self.finished.emit(job.job_id, result)
        self._jobs.pop(job.job_id, None)

    def _pause(self, job: Job) -> None:
        """An automatic job stopped for the user's: back in the queue (behind the user's jobs),
        to run again from the start; its views hear why."""
        why = f"paused for {job.paused_for}; it starts again after"
        job.paused_for = None
        job.cancel = threading.Event()
        with self._lock:
            self._enqueue(job)
        self.paused.emit(job.job_id, why)
        self._run_requested.emit()


def run_work(work: Any, ctx: JobContext) -> Any:
    """Run a job in the worker thread: a callable itself, a request by its handler (the
    handlers, and the model code they import, are loaded here, never on the GUI thread)."""
    if callable(work):
        return work(ctx)
    from studio.work.handlers import execute

    return execute(work, ctx)
