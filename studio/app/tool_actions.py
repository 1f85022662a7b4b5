"""Opening checkpoints, training and evaluating: jobs started from the menus.

Training opens a live loss window (closed with the app) and registers the artist
under the name the user typed (with " (2)" only when another checkpoint has it, and
the status bar says so); a cancelled run saved the step it reached, and the user is
asked whether to keep it (the default is No: its files are removed). An evaluation is
kept as a library measurement, so the header shows it.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox

from studio.app.dialogs import EvaluateDialog, LossPlot, TrainDialog
from studio.library import bred_dir
from studio.work import requests


def ask_keep_cancelled(parent, name: str, message: str) -> bool:
    """After a cancelled training run: keep the step it reached as an artist? Default No."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Question)
    box.setWindowTitle("Keep the cancelled run?")
    box.setText(f"Training {name} was cancelled ({message}).")
    box.setInformativeText(
        "Keep what it learned so far as an artist in the family tree? A run stopped early draws mostly noise."
    )
    box.setStandardButtons(QMessageBox.Yes | QMessageBox.No)
    box.setDefaultButton(QMessageBox.No)
    box.button(QMessageBox.Yes).setText("Keep it")
    box.button(QMessageBox.No).setText("Discard")
    return box.exec() == QMessageBox.Yes


def ask_trust(parent, path: str) -> bool:
    """Explicit consent before full unpickling; the default answer is No."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Warning)
    box.setWindowTitle("Trust this checkpoint?")
    box.setText(f"{path}\n\nneeds full unpickling to load. A pickle can run any code hidden in it.")
    box.setInformativeText("Load it only if you trust where it came from.")
    box.setStandardButtons(QMessageBox.Yes | QMessageBox.No)
    box.setDefaultButton(QMessageBox.No)
    return box.exec() == QMessageBox.Yes


def _remove_empty(folder: Path) -> None:
    try:
        folder.rmdir()  # only when nothing was written there
    except OSError:
        pass


class ToolActions(QObject):
    def __init__(self, library, worker, session, notice, say, select, parent_widget):
        super().__init__()
        self.library, self.worker, self.session = library, worker, session
        self.notice, self.say, self.select, self.parent_widget = notice, say, select, parent_widget
        self.loss_plots: list[LossPlot] = []
        # Asked before full unpickling; --screenshot replaces it with "No" (nobody to ask).
        self.ask_trust = ask_trust
        self.ask_keep_cancelled = ask_keep_cancelled

    # -- opening ---------------------------------------------------------------------------

    def open_paths(self, paths, read_only: bool = False, on_done=None) -> int:
        """Import folders/files in the worker; asks about untrusted files afterwards."""

        def done(reports):
            added = sum(len(r.added) for r in reports)
            failed = [f for r in reports for f in r.failed]
            self.say(
                f"Imported {added} checkpoint{'s' if added != 1 else ''}"
                + (f"; {len(failed)} could not be read" if failed else "")
            )
            for _path, reason in failed[:3]:
                self.notice(reason)
            for report in reports:
                for path in report.needs_trust:
                    sha = report.trust_sha256.get(path)
                    # the answer is about the bytes that were refused, whatever is at the path later
                    if sha and self.ask_trust(self.parent_widget, path):
                        self.import_file(path, trust=sha, read_only=read_only)
            if on_done is not None:
                on_done(reports)

        title = f"Open {', '.join(Path(p).name for p in paths)}"
        self.say(f"{title}…")  # the first run's import starts as the window shows
        return self.worker.submit(title, requests.OpenPaths(self.library, list(paths), read_only), on_done=done)

    def import_file(
        self, path, trust: str | None = None, read_only: bool = False, then=None, display_name: str | None = None
    ) -> int:
        """One checkpoint into the library, read in the worker (loading is model code).

        ``trust``: the sha256 of the contents the user agreed to fully unpickle; only
        bytes with that hash are, and later jobs load them trusted too. ``display_name``:
        the name the tree shows for it (a trained artist's typed name).
        """

        request = requests.ImportFile(self.library, path, trust, read_only, display_name)
        return self.worker.submit(f"Open {Path(path).name}", request, on_done=then)

    # -- training --------------------------------------------------------------------------

    def train_dialog(self) -> None:
        start = self.library.get(self.session.current) if self.session.current is not None else None
        dialog = TrainDialog(self.parent_widget, start.name if start is not None and start.exists else None)
        if dialog.exec():
            self.train(dialog.options(), start)

    def train(self, options: dict, start=None) -> int:
        name = options["name"]
        out = self._trained_path(name)
        plot = LossPlot()
        plot.setWindowTitle(f"Training loss: {name}")
        plot.resize(520, 320)
        plot.show()
        self.loss_plots.append(plot)

        def opened(record):
            if record.qualified_name != name:  # never silently: the typed name was taken
                self.say(f"Another checkpoint is named {name}: the new artist is {record.qualified_name}.", 15000)
            self.select(record.id)

        def cancelled(message):
            if not out.exists():  # stopped before its first step: nothing was saved
                _remove_empty(out.parent)
                self.say(f"Training {name} cancelled" + (f": {message}" if message else ""))
                return
            if self.ask_keep_cancelled(self.parent_widget, name, message or "cancelled"):
                self.import_file(str(out), then=opened, display_name=name)
                self.say(f"Training {name} cancelled; kept {message.removeprefix('saved ')}")
            else:
                for leftover in (out, Path(str(out) + ".state")):
                    leftover.unlink(missing_ok=True)
                _remove_empty(out.parent)
                self.say(f"Training {name} cancelled and discarded.")
                panel = getattr(self.parent_widget, "jobs", None)  # the Jobs row said "saved step N to …"
                row = panel.rows.get(job_id[0]) if panel is not None and job_id else None
                if row is not None:
                    row.status.setText(f"cancelled ({message}); discarded: nothing kept")

        job = requests.Train(
            options["corpus"],
            out,
            options["framing"],
            options["steps"],
            start.path if options["from_selected"] and start else None,
            options["shape"],
            name=name,
        )
        job_id: list[int] = []
        job_id.append(
            self.worker.submit(
                f"Train {name}",
                job,
                on_done=lambda path: self.import_file(path, then=opened, display_name=name),
                on_partial=lambda p: plot.add(p["step"], p["loss"]),
                on_failed=lambda _message: _remove_empty(out.parent),  # the message shows in the job panel
                on_cancelled=cancelled,
            )
        )
        return job_id[0]

    def _trained_path(self, name: str) -> Path:
        """``trained/<name>/model.pt`` in the user's data folder (``<name>-2`` … when taken)."""
        folder = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "artist"
        root = bred_dir(self.library.path).parent / "trained"
        candidate, n = root / folder, 2
        while candidate.exists():
            candidate, n = root / f"{folder}-{n}", n + 1
        candidate.mkdir(parents=True)  # taken now: a second run with the same name gets the next
        return candidate / "model.pt"

    def close_windows(self) -> None:
        for plot in self.loss_plots:
            plot.close()
        self.loss_plots.clear()

    # -- evaluating ------------------------------------------------------------------------

    def evaluate_dialog(self, checkpoint_id: int) -> None:
        record = self.library.get(checkpoint_id)
        dialog = EvaluateDialog(self.parent_widget, record.name)
        if dialog.exec():
            self.evaluate(checkpoint_id, **dialog.options())

    def evaluate(
        self, checkpoint_id: int, corpus: str | None, split: str, text_file: str | None, skip_unknown: bool = False
    ) -> int:
        """The result is kept as a measurement of the checkpoint: the header shows it
        (library event), and the status bar says it until the next message."""
        record = self.library.get(checkpoint_id)

        def done(result):
            self.library.add_measurement(checkpoint_id, result.to_dict())
            self.say(f"{record.name}: {result.text(4)} ({result.caption()})", 0)

        request = requests.Evaluate(record.path, corpus, split, text_file, skip_unknown)
        return self.worker.submit(f"Evaluate {record.name}", request, on_done=done)
