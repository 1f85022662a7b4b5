"""What the gallery does: show the selected artist's header and art, sample, re-roll, pin.

Selecting an artist with no saved gallery samples one (click an artist, see its
art); a saved gallery comes back with the settings it was drawn with, so the controls
match the cards. Cancelling marks the cards still drawing as cancelled.
"""

from __future__ import annotations

import shlex
import time

from PySide6.QtCore import QObject, Signal

from studio.app import figures
from studio.app.gallery import GalleryPanel
from studio.app.session import Session
from studio.model.art import SampleSettings
from studio.model.vigor import VigorReport
from studio.work import requests


class GalleryActions(QObject):
    sampled = Signal(int)  # checkpoint id whose gallery finished

    def __init__(self, library, worker, session: Session, gallery: GalleryPanel, notice):
        super().__init__()
        self.library, self.worker, self.session, self.gallery, self.notice = library, worker, session, gallery, notice
        self.sample_job_id: int | None = None
        self.sample_checkpoint: int | None = None
        self.compare_job_id: int | None = None
        gallery.sampleRequested.connect(self.sample)
        gallery.cancelRequested.connect(self.cancel)  # GUI thread; Worker.cancel only sets an Event
        gallery.rerollRequested.connect(self.reroll)
        gallery.pinToggled.connect(self.toggle_pin)
        session.subscribe(lambda what, checkpoint_id: what == "current" and self.show(checkpoint_id))

    def cancel(self) -> None:
        self.worker.cancel(self.sample_job_id)

    # -- the header and the art ------------------------------------------------------------

    def show(self, checkpoint_id: int | None, sample_if_empty: bool = True) -> None:
        try:
            record = self.library.get(checkpoint_id) if checkpoint_id is not None else None
        except KeyError:
            record = None
        if record is None:
            self.gallery.title.setText("No checkpoint selected")
            self.gallery.subtitle.setText("Pick an artist in the family tree.")
            self.gallery.model.set_cards([])
            self.gallery.set_enabled(False)
            self.gallery.view.set_placeholder(self.gallery.view.NO_ARTIST)
            return
        self.gallery.view.set_placeholder(self.gallery.view.NO_GALLERY)
        self.show_header(record)
        conditional = record.framing == "conditional"
        labels = list(dict.fromkeys(self.library.label_history(checkpoint_id) + record.labels))
        self.gallery.set_labels(labels, conditional)
        self.gallery.set_enabled(record.exists)
        if self.sample_job_id is not None:
            if self.sample_checkpoint == checkpoint_id:
                return  # its gallery is being drawn: keep the cards streaming
            self.cancel()  # the user moved on to another artist
        latest = self.library.latest_gallery(checkpoint_id)
        if latest is not None:
            self.gallery.apply_settings(latest.settings)
            self.gallery.show_pieces(latest.pieces)
            self.compare_with_training(checkpoint_id, latest)
        elif sample_if_empty and record.exists:
            # the app's own idea, not the user's: a job the user asks for goes first
            self.sample(self.gallery.settings(), checkpoint_id, automatic=True)
        else:
            self.gallery.model.set_cards([])

    def show_header(self, record) -> None:
        """Name, role, size, its own figure with what it was measured on, the latest
        evaluation when it differs, and the vigor badge (a link to the full table)."""
        self.gallery.title.setText(record.qualified_name)
        details = [record.role, record.framing, record.variant]
        if record.num_params:
            details.append(f"{record.num_params / 1e6:.2f}M params")
        headline, tooltip = record.headline, ""
        own = [m for m in record.measurements if not m.get("measured_for")]
        if headline is not None:
            details.append(f"{figures.bpc_text(headline)} ({figures.caption(headline)})")
            tooltip = figures.describe(headline)
            if len(own) > 1:  # an evaluation on other data: it stays in view, beside the headline
                latest = own[-1]
                details.append(f"evaluated: {figures.bpc_text(latest)} ({figures.caption(latest)})")
                tooltip += "\n\n" + figures.describe(latest)
        elif record.key_metric:
            details.append(f"{record.key_metric[0]} {record.key_metric[1]:.3f} (training)")
        vigor = record.metrics.get("vigor")
        if VigorReport.readable(vigor):
            details.append(f"<a href='vigor' style='text-decoration:none'>{figures.headline_html(vigor)}</a>")
            tooltip += "\n\n" + figures.what_holds(vigor)[0] + " (click for the full table)"
        if not record.exists:
            details.append("file missing" if record.path else "not in this library")
        self.gallery.subtitle.setText("  ·  ".join(details))
        self.gallery.subtitle.setToolTip(tooltip.strip())

    # -- sampling ----------------------------------------------------------------------------

    def sample(self, settings: SampleSettings, checkpoint_id: int | None = None, automatic: bool = False) -> int | None:
        """Draw a gallery. ``automatic``: the app started it (an artist with no gallery was
        selected, e.g. a new child): it waits behind, and pauses for, jobs the user asks for."""
        checkpoint_id = checkpoint_id if checkpoint_id is not None else self.session.current
        if checkpoint_id is None:
            return None
        record = self.library.get(checkpoint_id)
        if not record.exists:
            self.notice(f"{record.path or record.name}: the file is missing; re-open its folder to find it.")
            return None
        if record.framing == "conditional" and not settings.label and record.labels:
            settings = SampleSettings(**{**settings.to_dict(), "label": record.labels[0]})
        self.worker.cancel(self.sample_job_id)
        self.worker.cancel(self.compare_job_id)  # its cards are about to be replaced
        self.gallery.start_gallery(settings)
        self.gallery.set_busy(True)

        def done(arts):
            if job_id == self.sample_job_id:
                self.gallery.set_busy(False)
                self.sample_job_id = None
            gallery = self.library.save_gallery(checkpoint_id, settings.to_dict(), arts)
            if self.session.current == checkpoint_id and self.sample_job_id is None:
                self.gallery.show_pieces(gallery.pieces)
                self.compare_with_training(checkpoint_id, gallery)
            self.sampled.emit(checkpoint_id)

        def ended(message, cancelled=True):
            if job_id == self.sample_job_id:  # not when a newer gallery replaced this one
                self.gallery.set_busy(False)
                self.sample_job_id = None
                if cancelled:
                    self.gallery.model.mark_cancelled()

        def partial(chunks):
            if self.session.current == checkpoint_id and job_id == self.sample_job_id:
                self.gallery.model.append_text(chunks)

        def restart(_why):
            # paused for the user's job: it draws again from the start (the same seeds, the same art)
            if self.session.current == checkpoint_id and job_id == self.sample_job_id:
                self.gallery.start_gallery(settings)

        title = f"Sample {record.name}" + (f" · {settings.label}" if settings.label else "")
        job_id = self.worker.submit(
            title,
            requests.Sample(record.path, record.framing, settings),
            on_done=done,
            on_partial=partial,
            on_failed=lambda message: ended(message, cancelled=False),
            on_cancelled=ended,
            automatic=automatic,
            on_restart=restart,
        )
        self.sample_job_id, self.sample_checkpoint = job_id, checkpoint_id
        return job_id

    def reroll(self, index: int) -> None:
        current = self.session.current
        gallery = self.library.latest_gallery(current) if current is not None else None
        piece = next((p for p in gallery.pieces if p.index == index), None) if gallery is not None else None
        if piece is None:
            return
        record = self.library.get(current)
        base = SampleSettings.from_record(gallery.settings)
        settings = SampleSettings(**{**base.to_dict(), "seed": base.seed + 7919 * (1 + int(time.time()) % 1000)})
        row = self.gallery.model.row_of(index)
        self.gallery.model.update_card(row, text="", complete=None, cancelled=False)

        def done(arts):
            updated = self.library.replace_piece(piece.id, arts[0])
            self.gallery.model.update_card(row, text=updated.text, complete=updated.complete, seed=updated.seed)
            if self.session.current == current:
                self.compare_with_training(current, self.library.latest_gallery(current))

        self.worker.submit(
            f"Re-roll card #{index}",
            requests.Sample(record.path, record.framing, settings, indices=[index]),
            on_done=done,
            on_partial=self.gallery.model.append_text,
            on_failed=lambda _message: self.gallery.model.mark_cancelled(),
        )

    # -- drawing or copying? -------------------------------------------------------------------

    def compare_with_training(self, checkpoint_id: int, gallery) -> None:
        """Find each card's nearest drawing in the artist's own training pieces, in the
        background (an automatic job: the user's jobs go first); a near-copy says so on its
        card, and every card's tooltip names its nearest piece and the distance."""
        record = self.library.get(checkpoint_id)
        pieces = [p for p in gallery.pieces if p.text] if gallery is not None else []
        if not record.exists or not pieces:
            return
        settings = gallery.settings
        reproduce = (
            f"Reproduce:\ndarwascii originality {shlex.quote(str(record.path))}"
            + (f" -l {shlex.quote(settings['label'])}" if settings.get("label") else "")
            + f" -n 1 --seed {{seed}} -t {settings.get('temperature')} --top-k {settings.get('top_k') or 0}"
            + (f" --top-p {settings['top_p']}" if settings.get("top_p") else "")
            + (" --temper-spaces" if SampleSettings.from_record(settings).temper_spaces else "")
            + f" --max-chars {settings.get('max_chars')}"
        )

        def still_shown() -> bool:  # not when the user moved on, or a new gallery is being drawn
            return self.session.current == checkpoint_id and self.sample_job_id is None

        def failed(message):
            if still_shown():
                self.gallery.model.set_nearest({}, f"Not compared with training pieces: {message}")

        def done(found):
            if not still_shown():
                return
            if found is None:
                why = "No training pieces are known for this artist to compare its drawings with."
                self.gallery.model.set_nearest({}, why)
                return
            nearest = {p.index: near for p, near in zip(pieces, found.nearest)}
            self.gallery.model.set_nearest(nearest, found.compared_with, reproduce)

        self.worker.cancel(self.compare_job_id)  # an older gallery's comparison is moot
        self.compare_job_id = self.worker.submit(
            f"Compare {record.name}'s gallery with its training pieces",
            requests.CompareWithTraining(record.path, tuple(p.text for p in pieces)),
            on_done=done,
            on_failed=failed,
            on_cancelled=lambda _message: None,
            automatic=True,
        )

    def toggle_pin(self, row: int) -> None:
        card = self.gallery.model.cards[row]
        if card.piece_id is not None:
            piece = self.library.set_pinned(card.piece_id, not card.pinned)
            self.gallery.model.update_card(row, pinned=piece.pinned)
