"""What the nursery does: litters, stars, keep, undo and export, run through the worker.

The session is made, bred and judged only by the worker's handlers (requests of
``studio.work.requests``); the GUI holds it as a ``studio.breed.litters.NurseryState``
(no PyTorch): it reads its litters and flips stars. A kept child
is registered in the library from the worker, so the family tree shows it by the
library's events, as a child bred in the bay is.
"""

from __future__ import annotations

import time
from pathlib import Path
from PySide6.QtCore import QBuffer, QIODevice, QObject, Qt
from PySide6.QtWidgets import QFileDialog

from studio.app import figures
from studio.app.exports import render_gallery_png
from studio.app.gallery import Card
from studio.app.nursery_view import NurseryView, recipe_text
from studio.errors import StudioError
from studio.fsutil import atomic_write, atomic_write_text
from studio.library import bred_dir
from studio.work import requests


class NurseryActions(QObject):
    def __init__(self, library, worker, session, bay, view: NurseryView, gallery, notice, say, parent_widget):
        super().__init__()
        self.library, self.worker, self.session, self.bay, self.view = library, worker, session, bay, view
        self.gallery, self.notice, self.say, self.parent_widget = gallery, notice, say, parent_widget
        self.nursery = None  # the current session, once a first litter was asked for
        self.litter = None  # the litter on screen
        self.job_id: int | None = None
        view.newLitterRequested.connect(self.new_litter)
        view.nextLitterRequested.connect(self.next_litter)
        view.undoRequested.connect(self.undo)
        view.starToggled.connect(self.toggle_star)
        view.keepRequested.connect(self.keep)
        view.exportRequested.connect(self.export)
        view.cancelRequested.connect(
            lambda: self.job_id is not None and worker.cancel(self.job_id), Qt.DirectConnection
        )
        worker.gui.progressed.connect(self._progressed)
        session.subscribe(self._parents_changed)

    def follow_tabs(self, tabs, bay_dock, window) -> None:
        """The window's Nursery tab: the bay's Litter… button opens it; on a short window the
        bay gives the litter some of its height while the tab is shown, and gets it back."""
        self.tabs, self.bay_dock, self.window = tabs, bay_dock, window
        self._bay_height: int | None = None
        tabs.currentChanged.connect(self._tab_changed)
        self.bay.nurseryRequested.connect(lambda _a, _b: self.show())

    def show(self) -> None:
        """The Nursery tab, with a first litter of the bay's parents when it has none."""
        self.tabs.setCurrentWidget(self.view)
        if self.litter is None and self.job_id is None:
            self.new_litter()

    # -- what survives a restart --------------------------------------------------------

    def state(self) -> dict:
        log = self.nursery.log_path if self.nursery is not None else None
        return {
            "view": self.view.state(),
            "log": str(log) if log is not None and self.litter is not None else None,
            "shown": getattr(self, "tabs", None) is not None and self.tabs.currentWidget() is self.view,
        }

    def restore(self, state: dict) -> None:
        """The bar's settings, and the session that was open (resumed from its log)."""
        if not isinstance(state, dict):
            return
        self.view.restore(state.get("view") or {})
        log = state.get("log")
        if isinstance(log, str) and Path(log).is_file():
            self.resume(log)
            if state.get("shown") and getattr(self, "tabs", None) is not None:
                self.tabs.setCurrentWidget(self.view)

    def _tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self.view:
            if self.tabs.height() < 520 and self.bay_dock.isVisible() and not self.bay_dock.isFloating():
                self._bay_height = self.bay_dock.height()
                self.window.resizeDocks([self.bay_dock], [max(160, self.window.height() // 4)], Qt.Vertical)
        elif self._bay_height is not None:
            self.window.resizeDocks([self.bay_dock], [self._bay_height], Qt.Vertical)
            self._bay_height = None

    def _parents_changed(self, what: str, _checkpoint_id) -> None:
        """The label list follows the bay's parents (the union of what they draw)."""
        if what not in ("a", "b"):
            return
        labels: list[str] = []
        for held in self.session.parents.values():
            try:
                record = self.library.get(held) if held is not None else None
            except KeyError:
                record = None
            labels += [x for x in (record.labels if record else []) if x not in labels]
        self.view.set_labels(labels)

    # -- litters ---------------------------------------------------------------------------

    def _sample_settings(self):
        """What the nursery's bar says every child draws with (one piece each)."""
        return self.view.sample_settings()

    def new_litter(self) -> int | None:
        """A first litter of the bay's parents around the bay's recipe (a new session)."""
        a_id, b_id = self.session.parents["a"], self.session.parents["b"]
        if a_id is None or b_id is None:
            self.notice("Put two parents in the breeding bay (drag artists onto A and B), then press New litter.")
            return None
        a, b = self.library.get(a_id), self.library.get(b_id)
        missing = next((r for r in (a, b) if not r.exists), None)
        if missing is not None:
            self.notice(f"{missing.qualified_name}: its file is missing")
            return None
        try:
            recipe = self.bay.recipe()
        except StudioError as exc:
            self.notice(str(exc))
            return None
        folder = bred_dir(self.library.path) / "nursery"
        log = folder / f"{a.name}_x_{b.name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
        settings = self._sample_settings()
        size, spread = self.view.size.value(), self.view.spread.value()
        align = self.bay.align_b.isChecked()
        aligned = ", B aligned to A" if align else ""
        title = f"Litter of {a.name} × {b.name} ({recipe.method}{aligned})"
        request = requests.NewLitter(a.path, b.path, recipe, log, settings, size, spread, align)
        return self._run(title, request)

    def resume_dialog(self) -> int | None:
        folder = str(bred_dir(self.library.path) / "nursery")
        path, _ = QFileDialog.getOpenFileName(
            self.parent_widget, "Resume a nursery session", folder, "Nursery logs (*.json)"
        )
        return self.resume(path) if path else None

    def resume(self, path: str) -> int | None:
        """A session again from its log (written after every litter, star and keep): its
        last litter, with what each child drew and scored, and its stars."""

        def done(outcome):
            self._show(outcome)
            self._ended()  # after: the buttons follow the litter shown
            self.say(f"Resumed {path}: litter {outcome.litter.generation if outcome.litter else 0}.")

        def failed(message):
            self._ended()
            self.notice(message)

        request = requests.ResumeNursery(path)
        self.job_id = self.worker.submit("Resume a nursery session", request, on_done=done, on_failed=failed)
        self.view.set_busy(True)
        return self.job_id

    def next_litter(self, plan) -> int | None:
        if self.nursery is None or self.litter is None:
            return self.new_litter()
        settings = self._sample_settings()
        title = f"Litter {self.litter.generation + 1} of {' × '.join(self.nursery.names)}"
        return self._run(title, requests.NextLitter(self.nursery, plan, settings))

    def undo(self) -> int | None:
        if self.nursery is None or self.litter is None:
            return None
        return self._run("Undo the last litter", requests.UndoLitter(self.nursery))

    def _run(self, title: str, request) -> int:
        def partial(payload):
            if "litter" in payload:
                self._show(payload["litter"], drawn=False)
                self.view.set_busy(True)
            for index, text in payload.get("piece", {}).items():  # a new try starts, or a child's final piece
                card = self.view.card(index)
                if card is not None:
                    card.set_text(text)
                    kid = self.litter.kids[index]
                    card.show_recipe(kid, kid.parents_text(self.nursery.names, self.nursery.litter_of))
            for index, chunk in payload.get("text", {}).items():
                card = self.view.card(index)
                if card is not None:
                    card.append_text(chunk)
            if payload.get("drawn") and self.litter is not None:
                self.view.litter_drawn(self.nursery, self.litter)
            if "judged" in payload and self.litter is not None:
                kid = self.litter.kids[payload["judged"]]
                card = self.view.card(kid.index)
                if card is not None:
                    card.show_figure(kid.measurement, kid.vigor)
                self.view.show_caption(self.litter)

        def done(outcome):
            self._show(outcome)
            self._ended()  # after: the buttons follow the litter shown
            if outcome.litter is not None:
                self.say(f"Litter {outcome.litter.generation}: star the children you like, then Next litter.")

        def failed(message):
            self._ended()
            self.notice(message)

        def cancelled(_message):
            self._ended()
            self.view.mark_cancelled()
            self.say("Litter cancelled: what was drawn stays; Undo litter drops it.")

        self.job_id = self.worker.submit(
            title, request, on_done=done, on_partial=partial, on_failed=failed, on_cancelled=cancelled
        )
        self.view.set_busy(True)
        return self.job_id

    def _ended(self) -> None:
        self.job_id = None
        self.view.set_busy(False, has_litter=self.litter is not None)

    def _show(self, outcome, drawn: bool = True) -> None:
        self.nursery, self.litter = outcome.session, outcome.litter
        self.view.set_labels(self.nursery.labels)
        if self.litter is not None:  # the bar says what this litter drew (a resumed one too)
            self.view.show_settings(self.litter.label, self.litter.seed, self.litter.settings)
        self.view.show_litter(self.nursery, self.litter, drawn=drawn)

    def _progressed(self, job_id: int, fraction: float, message: str) -> None:
        if job_id == self.job_id:
            self.view.job_progress(fraction, message)

    # -- stars, keeping ----------------------------------------------------------------------

    def toggle_star(self, index: int) -> None:
        if self.litter is None or not 0 <= index < len(self.litter.kids):
            return
        kid = self.litter.kids[index]
        kid.starred = not kid.starred
        self.view.card(index).set_starred(kid.starred)
        if self.job_id is None:  # else the running job writes the log when it ends
            self.nursery.save_log()
        self.view.show_caption(self.litter)

    def keep(self, index: int) -> int | None:
        if self.litter is None or not 0 <= index < len(self.litter.kids) or self.job_id is not None:
            return None
        kid = self.litter.kids[index]
        if kid.kept:
            return None

        def done(record):
            card = self.view.card(index) if self.litter is not None and kid in self.litter.kids else None
            if card is not None:
                card.set_kept()
            self.say(f"Kept {record.name}: it is in the family tree with its lineage.")

        job = requests.KeepChild(self.library, self.nursery, self.litter, kid, bred_dir(self.library.path))
        return self.worker.submit(f"Keep child {index + 1}", job, on_done=done)

    # -- export ---------------------------------------------------------------------------------

    def litter_text(self) -> str:
        """The litter as text: each child's figure, recipe and piece."""
        litter, nursery = self.litter, self.nursery
        lines = [
            f"# {nursery.names[0]} x {nursery.names[1]}, litter {litter.generation}: {litter.how}",
            f"# every child drew {litter.label or 'without a label'!s} with seed {litter.seed}",
        ]
        judged = next((k.measurement for k in litter.kids if k.measurement), None)
        if judged is not None:
            # the data and context every child was judged on (lines 2-4 of the tooltip; line 1 is one figure)
            lines += [
                f"# bpc {line}" if i == 0 else f"# {line}"
                for i, line in enumerate(figures.describe(judged).splitlines()[1:4])
            ]
        for kid in litter.kids:
            figure = f"{kid.bpc:.3f} bpc" if kid.bpc is not None else "not judged"
            star = " ★" if kid.starred else ""
            lines += ["", f"## child {kid.index + 1}{star}: {figure} · {recipe_text(kid.genome['recipe'])}", kid.piece]
        return "\n".join(lines) + "\n"

    def export(self, kind: str, path: str | None = None) -> str | None:
        if self.litter is None:
            self.notice("Breed a litter first, then export it.")
            return None
        name = f"{'_x_'.join(self.nursery.names)}-litter{self.litter.generation}"
        if path is None:
            filters = "Text (*.txt)" if kind == "txt" else "PNG image (*.png)"
            path, _ = QFileDialog.getSaveFileName(self.parent_widget, "Export litter", f"{name}.{kind}", filters)
            if not path:
                return None
        if kind == "txt":
            atomic_write_text(path, self.litter_text())
        else:
            cards = [Card(k.index, self.litter.label, self.litter.seed, k.piece) for k in self.litter.kids]

            def header(card):
                kid = self.litter.kids[card.index]
                figure = f"{kid.bpc:.3f} bpc" if kid.bpc is not None else "not judged"
                return f"#{card.index + 1}{' ★' if kid.starred else ''}  {figure}"

            judged = next((k.measurement for k in self.litter.kids if k.measurement), None)
            measured = f" · bpc on {figures.caption(judged)}" if judged else ""
            image = render_gallery_png(f"{name}: {self.litter.how}{measured}", cards, header=header)
            buffer = QBuffer()
            buffer.open(QIODevice.WriteOnly)
            image.save(buffer, "PNG")
            data = bytes(buffer.data())
            atomic_write(path, lambda handle: handle.write(data))
        self.say(f"Wrote {path}")
        return path
