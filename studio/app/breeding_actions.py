"""What the breeding bay does: parents from the session, scan, breed, Darwin, vigor.

The bay's jobs show their progress and a cancel button in the bay itself. Breeding
and Darwin register the child in the library from the worker (the tree follows the
library's events); the GUI callback only shows the vigor, selects the child and
samples it.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMessageBox

from studio.app import figures, palette
from studio.app.breeding_bay import BreedingBay
from studio.app.session import Session
from studio.errors import StudioError
from studio.library import bred_dir
from studio.model.vigor import VigorReport
from studio.work import requests


class BreedingActions(QObject):
    def __init__(self, library, worker, session: Session, bay: BreedingBay, notice, select_and_sample, parent_widget):
        super().__init__()
        self.library, self.worker, self.session, self.bay, self.notice = library, worker, session, bay, notice
        self.select_and_sample = select_and_sample  # (checkpoint id) -> None
        self.parent_widget = parent_widget
        self._vigor_shown = None
        bay.slot_a.dropped_signal.connect(lambda i: session.set_parent("a", i))
        bay.slot_b.dropped_signal.connect(lambda i: session.set_parent("b", i))
        session.subscribe(self._session_changed)
        bay.scanRequested.connect(self.scan)
        bay.breedRequested.connect(self.breed)
        bay.evolveRequested.connect(self.evolve)
        bay.vigorTableRequested.connect(self.show_vigor_table)
        # Direct: the worker object lives in its (busy) thread, so an automatic connection
        # would queue the call until the job ended. Worker.cancel only sets an Event.
        bay.cancelRequested.connect(worker.cancel, Qt.DirectConnection)
        worker.gui.progressed.connect(bay.job_progress)

    def _session_changed(self, what: str, checkpoint_id) -> None:
        if what in ("a", "b"):
            slot = self.bay.slot_a if what == "a" else self.bay.slot_b
            try:
                slot.set_record(self.library.get(checkpoint_id) if checkpoint_id is not None else None)
            except KeyError:
                slot.set_record(None)

    def set_parents(self, a_id: int, b_id: int) -> None:
        self.session.set_parent("a", a_id)
        self.session.set_parent("b", b_id)

    def _parents(self, a_id, b_id):
        a, b = self.library.get(a_id), self.library.get(b_id)
        for record in (a, b):
            if not record.exists:
                raise StudioError(f"{record.qualified_name}: its file is missing")
        return a, b

    def _run(self, title: str, fn, on_done, on_partial=None) -> int:
        """A bay job: progress and cancel in the bay; the outcome replaces them there."""

        def failed(message):
            self.bay.job_ended(job_id, f"<span style='color:{palette.BAD}'>{escape(message)}</span>")

        def cancelled(message):
            self.bay.job_ended(job_id, f"{escape(title)}: cancelled" + (f" ({escape(message)})" if message else ""))

        def done(result):
            self.bay.job_ended(job_id)
            on_done(result)

        job_id = self.worker.submit(
            title, fn, on_done=done, on_partial=on_partial, on_failed=failed, on_cancelled=cancelled
        )
        self.bay.job_started(job_id, title, self.worker.waiting_for(job_id))
        return job_id

    def scan(self, a_id: int, b_id: int) -> int | None:
        try:
            a, b = self._parents(a_id, b_id)
        except StudioError as exc:
            self.notice(str(exc))
            return None

        align = self.bay.align_b.isChecked()

        def done(outcome):
            result, aligned = outcome.raw, outcome.aligned
            xs = [t for t, _ in result.points]
            ys = [bpc for _, bpc in result.points]
            line = [(1 - t) * ys[0] + t * ys[-1] for t in xs]  # the chord the barrier is measured against
            title = f"slerp path {a.name} → {b.name} ({result.caption()})"
            if aligned is not None:
                title += " · blue raw, orange B aligned to A"
            self.bay.show_curve(
                xs, ys, title, chord=line, aligned=[bpc for _, bpc in aligned.points] if aligned is not None else None
            )
            aligned_text = ("<br>B aligned to A: " + figures.barrier_text(aligned.to_dict())) if aligned else ""
            self.bay.show_result(
                figures.barrier_text(result.to_dict()) + f" <i>({result.caption()})</i>" + aligned_text,
                tooltip=f"measured on {result.data.describe()}\ncontext {result.context} "
                f"({result.context_note}), stride {result.stride}\n"
                "barrier = max over t of bpc(t) − ((1−t)·bpc(A) + t·bpc(B))",
            )

        title = f"Scan {a.name} → {b.name}" + (" (raw and aligned)" if align else "")
        return self._run(title, requests.Scan(a.path, b.path, align=align), done)

    def breed(self, a_id: int, b_id: int, recipe) -> int | None:
        try:
            a, b = self._parents(a_id, b_id)
        except StudioError as exc:
            self.notice(str(exc))
            return None

        def done(outcome):
            if outcome.judgement is None:
                self.bay.show_result(
                    f"<b>{escape(outcome.record.name)}</b>: bred, not judged. {escape(outcome.unjudged or '')}"
                )
                self.select_and_sample(outcome.record.id)
                return
            self.show_vigor(
                outcome.record.name,
                outcome.judgement.child.to_dict(),
                outcome.judgement.vigor,
                extra=f" · {escape(outcome.note)}" if outcome.note else "",
            )
            self.select_and_sample(outcome.record.id)

        align = self.bay.align_b.isChecked()
        job = requests.Breed(self.library, a, b, recipe, bred_dir(self.library.path), align=align)
        aligned = ", B aligned to A" if align else ""
        return self._run(f"Breed {a.name} × {b.name} ({recipe.method}{aligned})", job, done)

    def evolve(self, a_id: int, b_id: int, population: int, generations: int, seed: int) -> int | None:
        try:
            a, b = self._parents(a_id, b_id)
        except StudioError as exc:
            self.notice(str(exc))
            return None
        best: dict[int, float] = {}

        def partial(payload):
            generation = payload["generation"] + 1  # the progress counts from 0, the plot from 1 ("generation 1/3")
            best[generation] = min(best.get(generation, 1e9), payload["best_bpc"])
            # for scale: the parents' and the gen-0 child's bpc on the same fitness data
            references = list(zip((a.name, b.name), payload.get("parents_bpc") or ()))
            if payload.get("gen0_bpc") is not None:
                references.append(("gen-0 child (slerp t=0.5)", payload["gen0_bpc"]))
            self.bay.show_curve(
                sorted(best),
                [best[g] for g in sorted(best)],
                f"Darwin: best bpc per generation ({payload.get('caption', 'fitness data')})"
                + (", dashed: the parents, dotted: the gen-0 child" if references else ""),
                generations=True,
                references=references,
            )

        def done(result):
            log, record = result.log, result.record
            self.show_vigor(
                record.name,
                log["report"]["measurements"]["champion"],
                log["report"]["vigor"],
                extra=f" · gen-0 child {log['report']['gen0_vigor']['child_bpc']:.3f}",
            )
            self.select_and_sample(record.id)  # the champion draws, as a bred child does

        align = self.bay.align_b.isChecked()
        job = requests.Darwin(self.library, a, b, bred_dir(self.library.path), population, generations, seed, align)
        aligned = " (B aligned to A)" if align else ""
        job_id = self._run(f"Darwin {a.name} × {b.name}{aligned}", job, done, on_partial=partial)
        # the last run's curve goes now, not when this run's first generation is scored
        self.bay.show_curve(
            [], [], f"Darwin: best bpc per generation (1 to {generations}) as they are scored", generations=True
        )
        return job_id

    # -- vigor ----------------------------------------------------------------------------------

    def show_vigor(self, name: str, measurement: dict, vigor: VigorReport | dict, extra: str = "") -> None:
        """The bay's summary: the child's figure, its vigor against the best parent beside the
        strongest control (each parent on its own classes, the ancestor, the routed oracle:
        the one the child does worst in), coloured by what holds, and what it was measured on."""
        self._vigor_shown = (name, measurement, vigor)
        self.bay.show_result(
            f"<b>{escape(name)}</b>: {figures.bpc_text(measurement)} · "
            f"<a href='vigor' style='text-decoration:none'><b>{figures.headline_html(vigor)}</b></a>"
            f"{extra} · <i>{figures.caption(measurement)}</i>",
            tooltip=figures.describe(measurement) + "\n\nclick the vigor for the full table",
        )

    def show_vigor_table(self, record_id: int | None = None) -> None:
        """The full vigor table: every baseline with its interval, and every class."""
        if record_id is not None:
            record = self.library.get(record_id)
            vigor, headline, name = record.metrics.get("vigor"), record.headline or {}, record.name
        elif self._vigor_shown:
            name, headline, vigor = self._vigor_shown
        else:
            return
        if not VigorReport.readable(vigor):
            return
        box = QMessageBox(self.parent_widget)
        box.setWindowTitle(f"Vigor of {name}")
        box.setTextFormat(Qt.RichText)
        box.setText(figures.vigor_table_html(vigor, figures.describe(headline).split("\n", 2)[1] if headline else ""))
        box.exec()
