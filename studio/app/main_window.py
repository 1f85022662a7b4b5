"""The main window: family tree | gallery, with the breeding bay and job panel docked."""

from __future__ import annotations

import time
from html import escape
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QObject, QSettings, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QColor, QDesktopServices, QImage, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QDockWidget, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QMainWindow, QMessageBox, QPushButton, QSplitter,
    QVBoxLayout, QWidget,
)

from studio import __version__
from studio.app import figures, jobs
from studio.app.breeding_bay import BreedingBay
from studio.app.dialogs import EvaluateDialog, LossPlot, TrainDialog
from studio.app.gallery import CARD_COLUMNS, GalleryPanel, art_font
from studio.app.job_panel import JobPanel
from studio.app.tree_view import FamilyTreeView
from studio.app.worker import Worker
from studio.errors import StudioError
from studio.fsutil import atomic_write
from studio.library import Library, bred_dir
from studio.library.export import default_export_name, export_gallery_txt, export_piece_txt
from studio.model.art import SampleSettings


class LibraryBridge(QObject):
    """Re-emits the library's plain-Python events as a Qt signal (queued across threads)."""

    changed = Signal(str, object)

    def __init__(self, library: Library):
        super().__init__()
        library.subscribe(lambda event, payload: self.changed.emit(event, payload))


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


class MainWindow(QMainWindow):
    gallerySampled = Signal(int)  # checkpoint id whose gallery finished
    jobEnded = Signal(int, str)  # job id, "done" | "failed" | "cancelled" (GUI thread, after handlers)

    def __init__(self, library: Library, worker: Worker, settings: QSettings | None = None):
        super().__init__()
        self.library = library
        self.worker = worker
        self.settings = settings or QSettings()
        self.bridge = LibraryBridge(library)
        self.current_id: int | None = None
        self.sample_job_id: int | None = None
        self.job_handlers: dict[int, dict] = {}
        self.setWindowTitle("darwASCIInGPT Studio")

        self.tree = FamilyTreeView()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter the family (name, role, framing)…")
        self.search.setClearButtonEnabled(True)
        fit = QPushButton("Fit")
        fit.setToolTip("Fit the whole family in view (F)")
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(fit)
        tree_panel = QWidget()
        tree_panel.setMinimumWidth(360)
        tree_layout = QVBoxLayout(tree_panel)
        tree_layout.setContentsMargins(6, 6, 0, 6)
        tree_layout.addLayout(top)
        tree_layout.addWidget(self.tree, 1)

        self.gallery = GalleryPanel()
        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.addWidget(tree_panel)
        self.splitter.addWidget(self.gallery)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.setCentralWidget(self.splitter)

        self.bay = BreedingBay()
        self.bay_dock = QDockWidget("Breeding bay", self)
        self.bay_dock.setObjectName("bayDock")
        self.bay_dock.setWidget(self.bay)
        self.addDockWidget(Qt.BottomDockWidgetArea, self.bay_dock)
        self.jobs = JobPanel(worker)
        self.jobs_dock = QDockWidget("Jobs", self)
        self.jobs_dock.setObjectName("jobsDock")
        self.jobs_dock.setWidget(self.jobs)
        # Jobs share the bottom strip with the bay (tabs), so the tree and gallery get
        # the window's width; failures also show in the status bar.
        self.addDockWidget(Qt.BottomDockWidgetArea, self.jobs_dock)
        self.tabifyDockWidget(self.bay_dock, self.jobs_dock)
        self.bay_dock.raise_()
        self.device_label = QLabel(f"Device: {worker.device_label}")
        self.statusBar().addPermanentWidget(self.device_label)
        worker.deviceChosen.connect(self._show_device)
        if worker.device is not None:  # chosen before the connection was made
            self._show_device(worker.device_label, worker.device_problem)

        self._build_menus()
        self.search.textChanged.connect(self.tree.apply_filter)
        fit.clicked.connect(self.tree.fit)
        self.tree.checkpointSelected.connect(self.select_checkpoint)
        self.tree.breedRequested.connect(self.set_parents)
        self.tree.actionRequested.connect(self._tree_action)
        self.gallery.sampleRequested.connect(self.sample)
        self.gallery.cancelRequested.connect(lambda: self.sample_job_id and self.worker.cancel(self.sample_job_id))
        self.gallery.rerollRequested.connect(self.reroll)
        self.gallery.pinToggled.connect(self.toggle_pin)
        self.gallery.exportPieceRequested.connect(self.export_piece)
        self.gallery.exportGalleryRequested.connect(self.export_gallery)
        self.bay.slot_a.dropped_signal.connect(lambda i: self.bay.slot_a.set_record(self.library.get(i)))
        self.bay.slot_b.dropped_signal.connect(lambda i: self.bay.slot_b.set_record(self.library.get(i)))
        self.bay.scanRequested.connect(self.scan)
        self.bay.vigorTableRequested.connect(self.show_vigor_table)
        self.gallery.subtitle.linkActivated.connect(lambda _link: self.current_id is not None and self.show_vigor_table(self.current_id))
        self.bay.breedRequested.connect(self.breed)
        self.bay.evolveRequested.connect(self.evolve)
        self.bridge.changed.connect(self._library_changed)
        worker.partial.connect(self._partial)
        worker.finished.connect(self._finished)
        worker.failed.connect(self._failed)
        worker.cancelled.connect(self._cancelled)
        # Bursts of library events (an import adds many checkpoints) become one redraw.
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self.refresh_tree)
        self._closing = False
        self.refresh_tree()
        self.restore_state()

    # -- menus ----------------------------------------------------------------------------

    def _build_menus(self) -> None:
        def action(menu, text, slot, shortcut=None):
            act = QAction(text, self)
            if shortcut:
                act.setShortcut(QKeySequence(shortcut))
            act.triggered.connect(slot)
            menu.addAction(act)
            return act

        file = self.menuBar().addMenu("&File")
        action(file, "Open folder…", self.open_folder_dialog, "Ctrl+O")
        action(file, "Open checkpoint…", self.open_file_dialog, "Ctrl+Shift+O")
        file.addSeparator()
        action(file, "Export gallery as text…", self.export_gallery, "Ctrl+E")
        action(file, "Export gallery as PNG…", self.export_gallery_png)
        action(file, "Export checkpoint…", lambda: self.current_id and self.export_checkpoint(self.current_id))
        file.addSeparator()
        action(file, "Quit", self.close, "Ctrl+Q")
        view = self.menuBar().addMenu("&View")
        action(view, "Fit family", self.tree.fit, "F")
        action(view, "Zoom in", lambda: self.tree.zoom_by(1.2), "Ctrl++")
        action(view, "Zoom out", lambda: self.tree.zoom_by(1 / 1.2), "Ctrl+-")
        view.addSeparator()
        view.addAction(self.bay_dock.toggleViewAction())
        view.addAction(self.jobs_dock.toggleViewAction())
        tools = self.menuBar().addMenu("&Tools")
        action(tools, "Train an artist…", self.train_dialog, "Ctrl+T")
        action(tools, "Evaluate selected…", lambda: self.current_id and self.evaluate_dialog(self.current_id))
        help_menu = self.menuBar().addMenu("&Help")
        action(help_menu, "About", lambda: QMessageBox.about(
            self, "darwASCIInGPT Studio",
            f"<b>darwASCIInGPT Studio</b> {__version__}<br>Sample, breed and train small nGPT ASCII artists.<br>"
            f"Library: {self.library.path}"))

    # -- state ----------------------------------------------------------------------------

    def restore_state(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:  # first run: tree and gallery get the room, the docks a sensible strip
            self.resize(1500, 950)
            QTimer.singleShot(0, lambda: self.splitter.setSizes([640, 860]))
            self.resizeDocks([self.bay_dock], [300], Qt.Vertical)
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)
        splitter = self.settings.value("window/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        zoom = self.settings.value("tree/zoom")
        if zoom is not None:
            self.tree.set_zoom(float(zoom))
        last = self.settings.value("tree/selected")
        if last is not None and int(last) in self.tree.nodes:
            self.select_checkpoint(int(last))
            self.tree.select(int(last))

    def save_state(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/splitter", self.splitter.saveState())
        self.settings.setValue("tree/zoom", self.tree.zoom_level())
        if self.current_id is not None:
            self.settings.setValue("tree/selected", self.current_id)
        self.settings.sync()

    def closeEvent(self, event) -> None:
        # Late events (queued from the worker) must not touch a library being closed.
        self._closing = True
        self._refresh_timer.stop()
        self.save_state()
        super().closeEvent(event)

    # -- library ----------------------------------------------------------------------------

    def refresh_tree(self) -> None:
        if self._closing:
            return
        self.tree.set_family(self.library.checkpoints(), self.library.edges())
        if not self.tree.nodes:
            self.statusBar().showMessage("Open a folder of checkpoints to see its family (File → Open folder…).")

    def _library_changed(self, event: str, payload) -> None:
        if event in ("checkpoint_added", "checkpoint_removed", "checkpoint_updated", "edges_changed") and not self._closing:
            self._refresh_timer.start()

    def open_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of checkpoints")
        if folder:
            self.open_paths([folder])

    def open_file_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a checkpoint", filter="Checkpoints (*.pt);;All files (*)")
        if path:
            self.open_paths([path])

    def open_paths(self, paths, read_only: bool = False, on_done=None) -> int:
        """Import folders/files in the worker; asks about untrusted files afterwards."""

        def run(ctx):
            reports = []
            for path in paths:
                if Path(path).is_dir():
                    reports.append(self.library.import_folder(path, read_only=read_only,
                                                              progress=lambda i, n: ctx.progress(i / n, f"reading {i}/{n}")))
                else:
                    from studio.library import ImportReport
                    from studio.errors import UntrustedCheckpointError, CheckpointError

                    report = ImportReport()
                    try:
                        report.added.append(self.library.import_file(path, read_only=read_only))
                    except UntrustedCheckpointError:
                        report.needs_trust.append(str(path))
                    except CheckpointError as exc:
                        report.failed.append((str(path), str(exc)))
                    reports.append(report)
            return reports

        def done(reports):
            added = sum(len(r.added) for r in reports)
            failed = [f for r in reports for f in r.failed]
            untrusted = [p for r in reports for p in r.needs_trust]
            self.refresh_tree()
            self.tree.fit()
            message = f"Imported {added} checkpoints" + (f"; {len(failed)} could not be read" if failed else "")
            self.statusBar().showMessage(message, 8000)
            for _path, reason in failed[:3]:
                self.notice(reason)
            for path in untrusted:
                if ask_trust(self, path):
                    self.import_file(path, trust=True, read_only=read_only)
            if on_done is not None:
                on_done(reports)

        title = f"Open {', '.join(Path(p).name for p in paths)}"
        self.statusBar().showMessage(f"{title}…")  # the first run's import starts as the window shows
        return self.submit(title, run, done=done)

    def import_file(self, path, trust: bool = False, read_only: bool = False, then=None) -> int:
        """One checkpoint into the library, read in the worker (loading is model code)."""

        def done(record):
            self.refresh_tree()
            if then is not None:
                then(record)

        return self.submit(f"Open {Path(path).name}",
                           lambda ctx: self.library.import_file(path, trust=trust, read_only=read_only), done=done)

    # -- jobs -----------------------------------------------------------------------------

    def submit(self, title: str, fn, done=None, partial=None, failed=None) -> int:
        job_id = self.worker.submit(title, fn)
        self.job_handlers[job_id] = {"done": done, "partial": partial, "failed": failed}
        return job_id

    def _partial(self, job_id: int, payload) -> None:
        handler = self.job_handlers.get(job_id, {}).get("partial")
        if handler:
            handler(payload)

    def _finished(self, job_id: int, result) -> None:
        handler = self.job_handlers.pop(job_id, {}).get("done")
        if handler:
            handler(result)
        self.jobEnded.emit(job_id, "done")

    def _failed(self, job_id: int, message: str) -> None:
        handler = self.job_handlers.pop(job_id, {}).get("failed")
        if handler:
            handler(message)
        self.notice(message)
        self.jobEnded.emit(job_id, "failed")

    def _cancelled(self, job_id: int) -> None:
        handler = self.job_handlers.pop(job_id, {}).get("failed")
        if handler:
            handler("cancelled")
        self.statusBar().showMessage("Cancelled.", 4000)
        self.jobEnded.emit(job_id, "cancelled")

    def _show_device(self, label: str, problem: str) -> None:
        self.device_label.setText(f"Device: {label}")
        if problem:
            self.device_label.setToolTip(problem)
            self.notice(problem)

    def notice(self, message: str) -> None:
        """Non-modal: the status bar and the job panel carry the core's sentence."""
        self.statusBar().showMessage(message, 15000)

    # -- selection and sampling ----------------------------------------------------------------

    def select_checkpoint(self, checkpoint_id: int) -> None:
        try:
            record = self.library.get(checkpoint_id)
        except KeyError:
            return
        self.current_id = checkpoint_id
        metric = record.key_metric
        self.gallery.title.setText(record.qualified_name)
        details = [record.role, record.framing, record.variant]
        if record.num_params:
            details.append(f"{record.num_params / 1e6:.2f}M params")
        headline = record.headline
        tooltip = ""
        if headline is not None:
            details.append(f"{figures.bpc_text(headline)} ({figures.caption(headline)})")
            tooltip = figures.describe(headline)
        elif metric:
            details.append(f"{metric[0]} {metric[1]:.3f} (training)")
        vigor = record.metrics.get("vigor")
        if isinstance(vigor, dict) and "best_parent" in vigor:
            text, colour = figures.vigor_badge(vigor)
            details.append(f"<a href='vigor' style='color:{colour}; text-decoration:none'>{text}</a>")
            tooltip += "\n\n" + figures.vigor_verdict(vigor) + " (click for the full table)"
        if not record.exists:
            details.append("file missing" if record.path else "not in this library")
        self.gallery.subtitle.setText("  ·  ".join(details))
        self.gallery.subtitle.setToolTip(tooltip.strip())
        conditional = record.framing == "conditional"
        labels = list(dict.fromkeys(self.library.label_history(checkpoint_id) + record.labels))
        self.gallery.set_labels(labels, conditional)
        self.gallery.set_enabled(record.exists)
        latest = self.library.latest_gallery(checkpoint_id)
        if latest is not None:
            self.gallery.show_pieces(latest.pieces)
        else:
            self.gallery.model.set_cards([])

    def sample(self, settings: SampleSettings, checkpoint_id: int | None = None) -> int | None:
        checkpoint_id = checkpoint_id if checkpoint_id is not None else self.current_id
        if checkpoint_id is None:
            return None
        record = self.library.get(checkpoint_id)
        if not record.exists:
            self.notice(f"{record.path or record.name}: the file is missing; re-open its folder to find it.")
            return None
        if self.sample_job_id is not None:
            self.worker.cancel(self.sample_job_id)
        self.gallery.start_gallery(settings)
        self.gallery.set_busy(True)

        def done(arts):
            self.gallery.set_busy(False)
            self.sample_job_id = None
            gallery = self.library.save_gallery(checkpoint_id, settings.to_dict(), arts)
            if self.current_id == checkpoint_id:
                self.gallery.show_pieces(gallery.pieces)
            self.gallerySampled.emit(checkpoint_id)

        def failed(message):
            self.gallery.set_busy(False)
            self.sample_job_id = None

        partial = lambda chunks: self.current_id == checkpoint_id and self.gallery.model.append_text(chunks)  # noqa: E731
        self.sample_job_id = self.submit(f"Sample {record.name}" + (f" · {settings.label}" if settings.label else ""),
                                         jobs.sample_job(record.path, record.framing, settings), done=done, partial=partial, failed=failed)
        return self.sample_job_id

    def reroll(self, index: int) -> None:
        gallery = self.library.latest_gallery(self.current_id) if self.current_id is not None else None
        if gallery is None:
            return
        piece = next((p for p in gallery.pieces if p.index == index), None)
        if piece is None:
            return
        record = self.library.get(self.current_id)
        base = SampleSettings(**{k: v for k, v in gallery.settings.items() if k in SampleSettings.__dataclass_fields__})
        settings = SampleSettings(**{**base.to_dict(), "seed": base.seed + 7919 * (1 + int(time.time()) % 1000)})
        row = self.gallery.model.row_of(index)
        self.gallery.model.update_card(row, text="", complete=None)

        def done(arts):
            updated = self.library.replace_piece(piece.id, arts[0])
            self.gallery.model.update_card(row, text=updated.text, complete=updated.complete, seed=updated.seed)

        self.submit(f"Re-roll card #{index}", jobs.sample_job(record.path, record.framing, settings, indices=[index]), done=done,
                    partial=lambda chunks: self.gallery.model.append_text(chunks))

    def toggle_pin(self, row: int) -> None:
        card = self.gallery.model.cards[row]
        if card.piece_id is not None:
            piece = self.library.set_pinned(card.piece_id, not card.pinned)
            self.gallery.model.update_card(row, pinned=piece.pinned)

    # -- breeding --------------------------------------------------------------------------------

    def set_parents(self, a_id: int, b_id: int) -> None:
        self.bay.slot_a.set_record(self.library.get(a_id))
        self.bay.slot_b.set_record(self.library.get(b_id))
        self.bay_dock.show()
        self.bay_dock.raise_()

    def show_vigor(self, name: str, measurement: dict, vigor: dict, extra: str = "") -> None:
        """The breeding bay's summary: the child's figure, vigor with its interval, what it was measured on."""
        text, colour = figures.vigor_badge(vigor)
        self._vigor_shown = (name, measurement, vigor)
        self.bay.show_result(
            f"<b>{escape(name)}</b>: {figures.bpc_text(measurement)} · "
            f"<a href='vigor' style='color:{colour}; text-decoration:none'><b>{text}</b></a> "
            f"({figures.vigor_verdict(vigor)}){extra} · <i>{figures.caption(measurement)}</i>",
            tooltip=figures.describe(measurement) + "\n\nclick the vigor for the full table")

    def show_vigor_table(self, record_id: int | None = None) -> None:
        """The full vigor table: every baseline with its interval, and every class."""
        if record_id is not None:
            record = self.library.get(record_id)
            vigor = record.metrics.get("vigor")
            headline = record.headline or {}
            name = record.name
        elif getattr(self, "_vigor_shown", None):
            name, headline, vigor = self._vigor_shown
        else:
            return
        if not isinstance(vigor, dict):
            return
        box = QMessageBox(self)
        box.setWindowTitle(f"Vigor of {name}")
        box.setTextFormat(Qt.RichText)
        box.setText(figures.vigor_table_html(vigor, figures.describe(headline).split("\n", 2)[1] if headline else ""))
        box.exec()

    def _parents(self, a_id, b_id):
        a, b = self.library.get(a_id), self.library.get(b_id)
        for record in (a, b):
            if not record.exists:
                raise StudioError(f"{record.qualified_name}: its file is missing")
        return a, b

    def scan(self, a_id: int, b_id: int) -> int | None:
        try:
            a, b = self._parents(a_id, b_id)
        except StudioError as exc:
            self.notice(str(exc))
            return None

        def done(result):
            xs = [t for t, _ in result.points]
            ys = [bpc for _, bpc in result.points]
            line = [(1 - t) * ys[0] + t * ys[-1] for t in xs]  # the chord the barrier is measured against
            self.bay.show_curve(xs, ys, f"slerp path {a.name} → {b.name} ({result.caption()})", chord=line)
            self.bay.show_result(figures.barrier_text(result.to_dict()) + f" <i>({result.caption()})</i>",
                                 tooltip=f"measured on {result.data.describe()}\ncontext {result.context} "
                                 f"({result.context_note}), stride {result.stride}\n"
                                 "barrier = max over t of bpc(t) − ((1−t)·bpc(A) + t·bpc(B))")

        return self.submit(f"Scan {a.name} → {b.name}", jobs.scan_job(a.path, b.path), done=done)

    def breed(self, a_id: int, b_id: int, recipe) -> int | None:
        try:
            a, b = self._parents(a_id, b_id)
        except StudioError as exc:
            self.notice(str(exc))
            return None
        out_dir = bred_dir(self.library.path)

        def done(outcome):
            record = self.library.add_bred_child(outcome.child, outcome.path)
            judged = outcome.judgement
            # The parents' figures on the pair's data are kept beside their own, never over them.
            pair = f"breeding {a.name} × {b.name}"
            self.library.add_measurement(a.id, {**judged.parents[0].to_dict(), "measured_for": pair})
            self.library.add_measurement(b.id, {**judged.parents[1].to_dict(), "measured_for": pair})
            self.show_vigor(record.name, judged.child.to_dict(), judged.vigor)
            self.refresh_tree()
            self.tree.select(record.id, emit=True)
            self.sample(self.gallery.settings(), record.id)

        return self.submit(f"Breed {a.name} × {b.name} ({recipe.method})", jobs.breed_job(a.path, b.path, recipe, out_dir), done=done)

    def evolve(self, a_id: int, b_id: int, population: int, generations: int, seed: int) -> int | None:
        try:
            a, b = self._parents(a_id, b_id)
        except StudioError as exc:
            self.notice(str(exc))
            return None
        best: dict[int, float] = {}

        def partial(payload):
            generation = payload["generation"]
            best[generation] = min(best.get(generation, 1e9), payload["best_bpc"])
            self.bay.show_curve(sorted(best), [best[g] for g in sorted(best)],
                                f"Darwin: best bpc per generation ({payload.get('caption', 'fitness data')})")

        def done(result):
            log = result["log"]
            record = self.library.add_bred_child(result["champion"], result["path"])
            pair = f"Darwin {a.name} × {b.name}"
            self.library.add_measurement(a.id, {**result["parents"][0], "measured_for": pair})
            self.library.add_measurement(b.id, {**result["parents"][1], "measured_for": pair})
            self.show_vigor(f"Champion {record.name}", log["report"]["measurements"]["champion"], log["report"]["vigor"],
                            extra=f" · gen-0 child {log['report']['gen0_vigor']['child_bpc']:.3f}")
            self.refresh_tree()
            self.tree.select(record.id, emit=True)

        return self.submit(f"Darwin {a.name} × {b.name}", jobs.darwin_job(a.path, b.path, bred_dir(self.library.path), population,
                                                                          generations, seed), done=done, partial=partial)

    # -- tree actions, train, evaluate --------------------------------------------------------------

    def _tree_action(self, action: str, checkpoint_id: int) -> None:
        record = self.library.get(checkpoint_id)
        if action == "sample":
            self.select_checkpoint(checkpoint_id)
            self.sample(self.gallery.settings())
        elif action == "evaluate":
            self.evaluate_dialog(checkpoint_id)
        elif action == "breed_a":
            self.bay.slot_a.set_record(record)
            self.bay_dock.show()
        elif action == "breed_b":
            self.bay.slot_b.set_record(record)
            self.bay_dock.show()
        elif action == "export":
            self.export_checkpoint(checkpoint_id)
        elif action == "reveal" and record.path:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(record.path).parent)))
        elif action == "remove":
            self.library.remove(checkpoint_id)
            if self.current_id == checkpoint_id:
                self.current_id = None

    def evaluate_dialog(self, checkpoint_id: int) -> None:
        record = self.library.get(checkpoint_id)
        dialog = EvaluateDialog(self, record.name)
        if dialog.exec():
            self.evaluate(checkpoint_id, **dialog.options())

    def evaluate(self, checkpoint_id: int, corpus: str | None, split: str, text_file: str | None) -> int:
        record = self.library.get(checkpoint_id)

        def done(result):
            self.library.add_measurement(checkpoint_id, result.to_dict())
            self.statusBar().showMessage(f"{record.name}: {result.text(4)} ({result.caption()})", 30000)
            if self.current_id == checkpoint_id:
                self.select_checkpoint(checkpoint_id)

        return self.submit(f"Evaluate {record.name}", jobs.eval_job(record.path, corpus, split, text_file), done=done)

    def train_dialog(self) -> None:
        start = self.library.get(self.current_id) if self.current_id is not None else None
        dialog = TrainDialog(self, start.name if start is not None and start.exists else None)
        if not dialog.exec():
            return
        options = dialog.options()
        out = bred_dir(self.library.path).parent / "trained" / f"{options['name']}-{int(time.time())}" / "model.pt"
        plot = LossPlot()
        plot.resize(520, 320)
        plot.show()
        self._loss_plot = plot

        def done(path):
            self.import_file(path, then=lambda record: self.tree.select(record.id, emit=True))

        self.submit(f"Train {options['name']}", jobs.train_job(options["corpus"], out, options["framing"], options["steps"],
                                                               start.path if options["from_selected"] and start else None,
                                                               options["shape"]),
                    done=done, partial=lambda p: plot.add(p["step"], p["loss"]))

    # -- export --------------------------------------------------------------------------------------

    def _save_path(self, title: str, name: str, filter_text: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self, title, str(Path.home() / name), filter_text)
        return path or None

    def export_gallery(self, path: str | None = None) -> str | None:
        if self.current_id is None:
            return None
        record = self.library.get(self.current_id)
        gallery = self.library.latest_gallery(self.current_id)
        if gallery is None:
            self.notice("Sample a gallery first, then export it.")
            return None
        path = path or self._save_path("Export gallery", default_export_name(record, "gallery", gallery.settings.get("label")), "Text (*.txt)")
        if path:
            export_gallery_txt(path, record.name, gallery.settings, gallery.pieces)
            self.statusBar().showMessage(f"Wrote {path}", 6000)
        return path

    def export_piece(self, row: int, path: str | None = None) -> str | None:
        card = self.gallery.model.cards[row]
        record = self.library.get(self.current_id)
        path = path or self._save_path("Export piece", default_export_name(record, "piece", index=card.index), "Text (*.txt)")
        if path:
            export_piece_txt(path, card)
            self.statusBar().showMessage(f"Wrote {path}", 6000)
        return path

    def export_gallery_png(self, path: str | None = None) -> str | None:
        if self.current_id is None or not self.gallery.model.cards:
            self.notice("Sample a gallery first, then export it.")
            return None
        record = self.library.get(self.current_id)
        path = path or self._save_path("Export gallery as PNG", default_export_name(record, "png"), "PNG image (*.png)")
        if not path:
            return None
        image = render_gallery_png(record.qualified_name, self.gallery.model.cards)
        buffer = QBuffer()
        buffer.open(QIODevice.WriteOnly)
        image.save(buffer, "PNG")
        data = bytes(buffer.data())
        atomic_write(path, lambda handle: handle.write(data))
        self.statusBar().showMessage(f"Wrote {path}", 6000)
        return path

    def export_checkpoint(self, checkpoint_id: int, path: str | None = None) -> int | None:
        """Write the checkpoint in the card's format; a job, since it may load and re-save
        the model (model code stays off the GUI thread). Returns the job id."""
        record = self.library.get(checkpoint_id)
        path = path or self._save_path("Export checkpoint", default_export_name(record, "checkpoint"), "Checkpoint (*.pt)")
        if not path:
            return None
        return self.submit(f"Export {record.name}", jobs.export_checkpoint_job(record, path), done=self._wrote)

    def _wrote(self, path) -> None:
        self.statusBar().showMessage(f"Wrote {path}", 6000)


def render_gallery_png(title: str, cards) -> QImage:
    """The gallery as an image: cards in a grid, art in a monospace font, whitespace kept."""
    from PySide6.QtGui import QFontMetrics

    font = art_font()
    metrics = QFontMetrics(font)
    line_h = metrics.lineSpacing()
    card_w = metrics.horizontalAdvance("M") * CARD_COLUMNS + 24
    heights = [line_h * max(4, c.text.count("\n") + 1) + 40 for c in cards]
    columns = min(4, max(1, len(cards)))
    rows = [heights[i : i + columns] for i in range(0, len(heights), columns)]
    width = columns * (card_w + 12) + 12
    height = 48 + sum(max(r) + 12 for r in rows)
    image = QImage(width, height, QImage.Format_ARGB32)
    image.fill(QColor("#151922"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setPen(QColor("#e6e9ef"))
    painter.drawText(12, 28, title)
    y = 44
    for r, row_heights in enumerate(rows):
        for c, h in enumerate(row_heights):
            card = cards[r * columns + c]
            x = 12 + c * (card_w + 12)
            painter.setPen(QColor("#303848"))
            painter.setBrush(QColor("#10141b"))
            painter.drawRoundedRect(x, y, card_w, h, 6, 6)
            painter.setPen(QColor("#9aa4b6"))
            painter.drawText(x + 10, y + 18, f"#{card.index} seed {card.seed}" + (f" · {card.label}" if card.label else ""))
            painter.setFont(font)
            painter.setPen(QColor("#e6e9ef"))
            ty = y + 30 + metrics.ascent()
            for line in card.text.split("\n"):
                painter.drawText(x + 10, ty, line)
                ty += line_h
        y += max(row_heights) + 12
    painter.end()
    return image
