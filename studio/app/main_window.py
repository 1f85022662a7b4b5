"""The main window: family tree | gallery, with the breeding bay and job panel docked.

The window keeps layout, menus and wiring; what each part does lives beside it:
gallery_actions (header, sampling), breeding_actions (scan, breed, Darwin, vigor),
exports, tool_actions (open, train, evaluate). The session says what is selected and
who the parents are; the library's events are the one path that updates the tree.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMargins, QObject, QPoint, QRect, QSettings, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.app.breeding_actions import BreedingActions
from studio.app.breeding_bay import BreedingBay
from studio.app.data_actions import DataActions
from studio.app.exports import Exports
from studio.app.gallery import GalleryPanel
from studio.app.gallery_actions import GalleryActions
from studio.app.job_panel import JobPanel
from studio.app.menus import build_menus
from studio.app.nursery_actions import NurseryActions
from studio.app.nursery_view import NurseryView
from studio.app.session import Session
from studio.app.tool_actions import ToolActions
from studio.app.tree_view import FamilyTreeView
from studio.app.worker import Worker
from studio.library import Library


def fit_on_screen(rect: QRect, available: QRect, frame: QMargins) -> QRect:
    """``rect`` (a window's inside) shrunk and moved so that it, with a frame of
    ``frame`` around it (the title bar on top), lies within ``available``."""
    inner = available.marginsRemoved(frame)
    size = rect.size().boundedTo(inner.size())
    left = max(inner.left(), min(rect.left(), inner.right() + 1 - size.width()))
    top = max(inner.top(), min(rect.top(), inner.bottom() + 1 - size.height()))
    return QRect(QPoint(left, top), size)


class LibraryBridge(QObject):
    """Re-emits the library's plain-Python events as a Qt signal (queued across threads)."""

    changed = Signal(str, object)

    def __init__(self, library: Library):
        super().__init__()
        library.subscribe(lambda event, payload: self.changed.emit(event, payload))


class MainWindow(QMainWindow):
    jobEnded = Signal(int, str)  # job id, "done" | "failed" | "cancelled" (GUI thread, after its callbacks)

    def __init__(self, library: Library, worker: Worker, settings: QSettings | None = None):
        super().__init__()
        self.library, self.worker, self.settings = library, worker, settings or QSettings()
        self.session = Session()
        self.bridge = LibraryBridge(library)
        self.setWindowTitle("darwASCIInGPT Studio")

        self.tree = FamilyTreeView()
        self.search = QLineEdit(placeholderText="Filter the family (name, role, framing)…", clearButtonEnabled=True)
        self.search.setToolTip("Dims the others and centres the matches; Enter goes to the next match")
        fit = QPushButton("Fit")
        fit.setToolTip("Fit the whole family in view (F)")
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(fit)
        tree_panel = QWidget()
        tree_panel.setMinimumWidth(260)
        tree_layout = QVBoxLayout(tree_panel)
        tree_layout.setContentsMargins(6, 6, 0, 6)
        tree_layout.addLayout(top)
        tree_layout.addWidget(self.tree, 1)
        self.gallery = GalleryPanel()
        self.gallery.setMinimumWidth(380)
        self.splitter = QSplitter(Qt.Horizontal, childrenCollapsible=False)
        self.splitter.addWidget(tree_panel)
        self.splitter.addWidget(self.gallery)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.nursery_view = NurseryView()
        self.tabs = QTabWidget(documentMode=True)
        self.tabs.addTab(self.splitter, "Family")
        self.tabs.addTab(self.nursery_view, "Nursery")
        self.setCentralWidget(self.tabs)

        self.bay = BreedingBay()
        self.bay_dock = self._dock("Breeding bay", "bayDock", self.bay)
        self.jobs = JobPanel(worker)
        self.jobs_dock = self._dock("Jobs", "jobsDock", self.jobs)
        # Jobs share the bottom strip with the bay (tabs), so the tree and gallery get the width.
        self.tabifyDockWidget(self.bay_dock, self.jobs_dock)
        self.bay_dock.raise_()
        self.device_label = QLabel(f"Device: {worker.device_label}")
        self.statusBar().addPermanentWidget(self.device_label)
        worker.deviceChosen.connect(self._show_device)
        if worker.device is not None:  # chosen before the connection was made
            self._show_device(worker.device_label, worker.device_problem)

        self.gallery_actions = GalleryActions(library, worker, self.session, self.gallery, self.notice)
        self.gallerySampled = self.gallery_actions.sampled
        self.breeding = BreedingActions(
            library, worker, self.session, self.bay, self.notice, self.select_and_sample, self
        )
        self.exports = Exports(library, worker, self.session, self.gallery, self.settings, self.notice, self.say, self)
        self.tools = ToolActions(
            library, worker, self.session, self.notice, self.say, lambda i: self.tree.select(i, emit=True), self
        )
        self.nursery = NurseryActions(
            library, worker, self.session, self.bay, self.nursery_view, self.gallery, self.notice, self.say, self
        )
        self.nursery.follow_tabs(self.tabs, self.bay_dock, self)
        self.data = DataActions(library, worker, self.notice, self.say, self.open_paths, self)
        build_menus(self)
        self.search.textChanged.connect(self.tree.apply_filter)
        self.search.returnPressed.connect(self.tree.next_match)
        fit.clicked.connect(self.tree.fit)
        self.tree.checkpointSelected.connect(self.session.select)
        self.tree.breedRequested.connect(self._breed_in_bay)
        self.tree.actionRequested.connect(self._tree_action)
        self.gallery.subtitle.linkActivated.connect(lambda _link: self.breeding.show_vigor_table(self.session.current))
        self.bridge.changed.connect(self._library_changed)
        worker.gui.failed.connect(self._job_failed)  # GUI thread, before jobEnded
        worker.ended.connect(self.jobEnded)
        # Bursts of library events (an import adds many checkpoints) become one re-layout.
        self._layout_timer = QTimer(self, singleShot=True, interval=0)
        self._layout_timer.timeout.connect(self._relayout)
        self._closing = False
        self._restore_selection: int | None = None
        # The first layout runs once the event loop does, after the window is shown: a
        # library of thousands of checkpoints opens at once and the tree fills in.
        self._layout_timer.start()
        self.restore_state()

    def _dock(self, title: str, name: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(Qt.BottomDockWidgetArea, dock)
        return dock

    # -- state ----------------------------------------------------------------------------

    # Room kept for the window manager's frame (title bar, borders) when a size is
    # chosen before the window is shown and its real frame is known.
    FRAME_ALLOWANCE = QMargins(8, 40, 8, 8)
    DEFAULT_SIZE = QSize(1500, 950)
    MINIMUM_SIZE = QSize(900, 560)

    def restore_state(self) -> None:
        self.restore_geometry()
        for key, restore in (("window/state", self.restoreState), ("window/splitter", self.splitter.restoreState)):
            value = self.settings.value(key)
            if value is not None:
                restore(value)
        zoom = self.settings.value("tree/zoom")
        if zoom is not None:
            self.tree.set_zoom(float(zoom))
        try:  # selected again once the tree is laid out (_relayout)
            self._restore_selection = int(self.settings.value("tree/selected"))
        except (TypeError, ValueError):
            self._restore_selection = None

        self.restore_work()

    def restore_work(self) -> None:
        """The bay's parents, method and options, and the open nursery session, as they were."""
        import json

        def loaded(key):
            try:
                return json.loads(self.settings.value(key) or "null")
            except (TypeError, ValueError):
                return None

        bay = loaded("bay/state") or {}
        self.bay.restore(bay)
        for slot in ("a", "b"):
            held = (bay.get("parents") or {}).get(slot) if isinstance(bay, dict) else None
            try:
                if isinstance(held, int) and self.library.get(held) is not None:
                    self.session.set_parent(slot, held)
            except KeyError:
                pass  # it left the library since
        self.nursery.restore(loaded("nursery/state") or {})

    def restore_geometry(self) -> None:
        """The last size and place, fitted to the screen the window opens on now (a size
        saved on a bigger screen shrinks to this one, frame included), maximised again if
        it was; on a first run, the default size within the screen, centred."""
        saved = self.settings.value("window/normal")
        saved = saved if isinstance(saved, QRect) and saved.isValid() else None
        screen = (QGuiApplication.screenAt(saved.center()) if saved is not None else None) or self.screen()
        available = screen.availableGeometry() if screen is not None else QRect(QPoint(0, 0), self.DEFAULT_SIZE)
        room = available.marginsRemoved(self.FRAME_ALLOWANCE).size()
        self.setMinimumSize(self.MINIMUM_SIZE.boundedTo(room))
        first_run = saved is None
        if first_run:
            size = self.DEFAULT_SIZE.boundedTo(room)
            saved = QRect(QPoint(0, 0), size)
            saved.moveCenter(available.center())
        fitted = fit_on_screen(saved, available, self.FRAME_ALLOWANCE)
        # Shrunk to a smaller screen: the docks shrink in proportion once shown, so the bay
        # does not keep the height it had on the big screen and crowd out the gallery.
        self._dock_shrink = fitted.height() / saved.height() if fitted.height() < saved.height() else 1.0
        self.setGeometry(fitted)
        if self.settings.value("window/maximized") in (True, "true"):
            self.setWindowState(self.windowState() | Qt.WindowMaximized)
        if first_run:  # tree and gallery get the room, the docks a sensible strip
            width, height = self.width(), self.height()
            QTimer.singleShot(0, lambda: self.splitter.setSizes([width * 2 // 5, width * 3 // 5]))
            self.resizeDocks([self.bay_dock], [min(300, height // 3)], Qt.Vertical)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        # The window manager's real frame is known once the window is shown: keep all of
        # it (the status bar included) on the screen.
        QTimer.singleShot(0, self._keep_on_screen)

    def _keep_on_screen(self) -> None:
        if self._dock_shrink < 1.0:
            shrink, self._dock_shrink = self._dock_shrink, 1.0
            self.resizeDocks([self.bay_dock], [int(self.bay_dock.height() * shrink)], Qt.Vertical)
        screen = self.screen()
        if screen is None or self.windowState() & (Qt.WindowMaximized | Qt.WindowFullScreen):
            return
        available, frame = screen.availableGeometry(), self.frameGeometry()
        if available.contains(frame):
            return
        extra = frame.size() - self.geometry().size()  # the decorations
        size = self.size().boundedTo(available.size() - extra).expandedTo(self.minimumSize())
        self.resize(size)
        frame = self.frameGeometry()
        self.move(
            max(available.left(), min(frame.left(), available.right() + 1 - frame.width())),
            max(available.top(), min(frame.top(), available.bottom() + 1 - frame.height())),
        )

    def save_state(self) -> None:
        self.settings.setValue("window/normal", self.normalGeometry())
        self.settings.setValue("window/maximized", self.isMaximized())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/splitter", self.splitter.saveState())
        self.settings.setValue("tree/zoom", self.tree.zoom_level())
        if self.session.current is not None:
            self.settings.setValue("tree/selected", self.session.current)
        import json

        self.settings.setValue("bay/state", json.dumps({**self.bay.state(), "parents": dict(self.session.parents)}))
        self.settings.setValue("nursery/state", json.dumps(self.nursery.state()))
        self.settings.sync()

    def quit(self) -> None:
        """Ctrl+Q: every window of the app closes (the training-loss windows too)."""
        self.close()
        QApplication.closeAllWindows()

    def closeEvent(self, event) -> None:
        # Late events (queued from the worker) must not touch a library being closed.
        self._closing = True
        self._layout_timer.stop()
        self.tools.close_windows()
        self.save_state()
        super().closeEvent(event)

    # -- library events: the one path that updates the tree -------------------------------------

    def _library_changed(self, event: str, payload) -> None:
        if self._closing:
            return
        if event == "checkpoint_updated":
            self.tree.update_node(payload)
            if payload.id == self.session.current:
                self.gallery_actions.show_header(payload)
        elif event == "folder_data":
            self.data.sync()
        elif event in ("checkpoint_added", "checkpoint_removed", "edges_changed"):
            if event == "checkpoint_removed":
                self.session.forget(payload)
            self._layout_timer.start()

    def _relayout(self) -> None:
        if self._closing:
            return
        try:
            records, edges = self.library.checkpoints(), self.library.edges()
        except RuntimeError:  # the library was closed first (the window is going away)
            return
        self.tree.set_family(records, edges)
        last, self._restore_selection = self._restore_selection, None
        if last is not None and last in self.tree.nodes and self.session.current is None:
            self.tree.select(last, emit=True)
        if not self.tree.nodes:
            self.statusBar().showMessage("Open a folder of checkpoints to see its family (File → Open folder…).")

    def open_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of checkpoints")
        if folder:
            self.open_paths([folder])

    def open_file_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a checkpoint", filter="Checkpoints (*.pt);;All files (*)")
        if path:
            self.open_paths([path])

    def open_paths(self, paths, read_only: bool = False, on_done=None) -> int:
        def opened(reports):
            self._flush_layout()
            self.tree.fit()  # the whole family, now that all of it is there
            if on_done is not None:
                on_done(reports)

        return self.tools.open_paths(paths, read_only=read_only, on_done=opened)

    def _flush_layout(self) -> None:
        """Apply a pending re-layout (its library events arrived) now."""
        if self._layout_timer.isActive():
            self._layout_timer.stop()
            self._relayout()

    # -- wiring -----------------------------------------------------------------------------------

    def select_and_sample(self, checkpoint_id: int) -> None:
        """A new child or champion: select it (its gallery is empty, so it draws one)."""
        self._flush_layout()  # its library event may still be pending
        self.tree.select(checkpoint_id)
        self.session.select(checkpoint_id)

    def zoom(self, step: int) -> None:
        """View → Zoom in/out: the gallery's art when the gallery has the focus, else the tree."""
        focus = QApplication.focusWidget()
        if focus is not None and (focus is self.gallery.view or self.gallery.view.isAncestorOf(focus)):
            self.gallery.view.zoom(step)
        else:
            self.tree.zoom_by(1.2 if step > 0 else 1 / 1.2)

    def _job_failed(self, _job_id: int, message: str) -> None:
        self.notice(message)

    def _breed_in_bay(self, a_id: int, b_id: int) -> None:
        self.breeding.set_parents(a_id, b_id)
        self.bay_dock.show()
        self.bay_dock.raise_()

    def _tree_action(self, action: str, checkpoint_id: int) -> None:
        record = self.library.get(checkpoint_id)
        if action == "sample":
            self.session.select(checkpoint_id)  # an artist with no gallery starts drawing here
            if self.gallery_actions.sample_checkpoint != checkpoint_id or self.gallery_actions.sample_job_id is None:
                self.gallery_actions.sample(self.gallery.settings())
        elif action == "evaluate":
            self.tools.evaluate_dialog(checkpoint_id)
        elif action in ("breed_a", "breed_b"):
            self.session.set_parent(action[-1], checkpoint_id)
            self.bay_dock.show()
            self.bay_dock.raise_()
        elif action == "export":
            self.exports.export_checkpoint(checkpoint_id)
        elif action == "reveal" and record.path:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(record.path).parent)))
        elif action == "remove":
            self.library.remove(checkpoint_id)
        elif action == "heldout":
            self.data.heldout_dialog(checkpoint_id)

    def _show_device(self, label: str, problem: str) -> None:
        self.device_label.setText(f"Device: {label}")
        if problem:
            self.device_label.setToolTip(problem)
            self.notice(problem)

    def say(self, message: str, timeout_ms: int = 8000) -> None:
        self.statusBar().showMessage(message, timeout_ms)

    def notice(self, message: str) -> None:
        """Non-modal: the status bar and the job panel carry the core's sentence."""
        self.statusBar().showMessage(message, 15000)
