"""The data an artist is judged on, and families built from real art.

* Held-out data for a folder: a snapshot downloaded from elsewhere records no training
  corpus, so the studio cannot know what its artists should be scored on. The user
  gives the folder its data once (system-art, the apehex dataset folder, a corpus file
  or a text file); the library remembers it and every figure of those artists uses it.
  Without it, the judge says so and nothing is scored on the built-in doodles.
* Tools -> Build a family from real art: ``darwascii family`` in the worker, with the
  family's progress and ETA in the Jobs panel; cancelling keeps every finished member
  and the step the current one reached, and building again continues from there.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.library.paths import data_dir
from studio.work import requests, state

BUILT_IN_DATA = ("system-art", "builtin")


def _browse_row(parent: QWidget, combo: QComboBox, *, files: bool) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(combo, 1)
    folder = QPushButton("Folder…")
    folder.setToolTip("the apehex dataset folder (parquet shards) or a folder of .txt pieces")
    folder.clicked.connect(lambda: _pick(parent, combo, folder=True))
    layout.addWidget(folder)
    if files:
        file = QPushButton("File…")
        file.setToolTip("a .jsonl/.parquet corpus, or a text file scored as it is")
        file.clicked.connect(lambda: _pick(parent, combo, folder=False))
        layout.addWidget(file)
    return row


def _pick(parent: QWidget, combo: QComboBox, folder: bool) -> None:
    if folder:
        path = QFileDialog.getExistingDirectory(parent, "Corpus folder")
    else:
        path, _ = QFileDialog.getOpenFileName(
            parent, "Corpus or text file", filter="Corpora and text (*.jsonl *.parquet *.txt);;All files (*)"
        )
    if path:
        combo.setEditText(path)


def _buttons(dialog: QDialog, verb: str) -> QDialogButtonBox:
    buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
    buttons.button(QDialogButtonBox.Ok).setText(verb)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


class HeldOutDataDialog(QDialog):
    """Which data the artists of a folder are judged on."""

    def __init__(self, parent, folder: str, current: str | None):
        super().__init__(parent)
        self.setWindowTitle("Held-out data")
        self.forget = False
        self.data = QComboBox(editable=True)
        self.data.setMinimumContentsLength(28)
        self.data.addItems(BUILT_IN_DATA)
        self.data.setEditText(current or "system-art")
        intro = QLabel(
            f"Artists under <b>{folder}</b> that record no training corpus are judged on the held-out split of "
            "this data (val for the bay and Darwin's fitness, test where Darwin reports). An artist trained by the "
            "studio records its own corpus, and that one is used for it."
        )
        intro.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Data", _browse_row(self, self.data, files=True))
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        buttons = _buttons(self, "Use this data")
        if current:
            forget = buttons.addButton("Forget", QDialogButtonBox.DestructiveRole)
            forget.clicked.connect(self._forget)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)

    def _forget(self) -> None:
        self.forget = True
        self.accept()

    def choice(self) -> str | None:
        return None if self.forget else self.data.currentText().strip() or None


class FamilyDialog(QDialog):
    """What ``darwascii family`` asks: the corpus, the folder, the size."""

    def __init__(self, parent, system_art_note: str):
        super().__init__(parent)
        self.setWindowTitle("Build a family from real art")
        self.corpus = QComboBox(editable=True)
        self.corpus.setMinimumContentsLength(28)
        self.corpus.addItems(["system-art", "builtin"])
        self.out = QLineEdit(str(data_dir() / "families" / "system-art"))
        self.corpus.currentTextChanged.connect(self._default_out)
        self.size = QComboBox()
        self.size.addItem("auto: card-sized on a GPU, small on a CPU", "auto")
        self.size.addItem("small: dim 96, depth 4 (0.46M params)", "small")
        self.size.addItem("card: dim 256, depth 4 (3.2M params)", "card")
        self.replicates = QSpinBox(minimum=1, maximum=10, value=1)
        self.replicates.setToolTip("train the forks and independents this many times, with other seeds")
        intro = QLabel(
            "An ancestor on the whole corpus, its forks on the two halves (creatures & nature, objects & tech), an "
            "unconditional pair, two independently initialised artists and a train-instead-of-breed control. "
            "Cancel keeps what was trained; building again continues.<br>" + system_art_note
        )
        intro.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Corpus", _browse_row(self, self.corpus, files=False))
        form.addRow("Folder", self.out)
        form.addRow("Size", self.size)
        form.addRow("Replicates", self.replicates)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(_buttons(self, "Build"))
        self.setMinimumWidth(600)

    def _default_out(self, corpus: str) -> None:
        name = Path(corpus.split(":")[0]).name or "family"
        self.out.setText(str(data_dir() / "families" / name))

    def options(self) -> dict:
        return {
            "corpus": self.corpus.currentText().strip(),
            "out": self.out.text().strip(),
            "size": self.size.currentData(),
            "replicates": self.replicates.value(),
        }


class DataActions(QObject):
    def __init__(self, library, worker, notice, say, open_paths, parent_widget):
        super().__init__()
        self.library, self.worker = library, worker
        self.notice, self.say, self.open_paths, self.parent_widget = notice, say, open_paths, parent_widget
        self.sync()

    def sync(self) -> None:
        """The worker's jobs read the folders' data from ``studio.work.state.FOLDER_DATA``: keep it current."""
        state.FOLDER_DATA.clear()
        state.FOLDER_DATA.update(self.library.folder_data())

    # -- held-out data ---------------------------------------------------------------------

    @staticmethod
    def folder_of(record) -> str:
        return record.source_root or str(Path(record.path).parent)

    def heldout_dialog(self, checkpoint_id: int) -> None:
        record = self.library.get(checkpoint_id)
        if not record.path:
            self.notice(f"{record.name}: has no file here, so there is nothing to judge")
            return
        folder = self.folder_of(record)
        found = self.library.data_for(record.path)
        dialog = HeldOutDataDialog(self.parent_widget, folder, found[1] if found else None)
        if dialog.exec():
            self.set_data(folder, dialog.choice())

    def set_data(self, folder: str, data: str | None) -> None:
        if data is not None and data not in BUILT_IN_DATA and not Path(data.rsplit(":", 1)[0]).exists():
            self.notice(f"{data}: no such corpus, folder or file")
            return
        self.library.set_folder_data(folder, data)
        self.sync()
        self.say(f"{folder}: judged on {data}" if data else f"{folder}: held-out data forgotten")

    # -- a family from real art --------------------------------------------------------------

    def family_dialog(self) -> None:
        from studio.train.system_art import PACKAGES, find_package

        missing = [p.name for p in PACKAGES if find_package(p.name) is None]
        note = (
            f"system-art reads {', '.join(p.name for p in PACKAGES)} from this system."
            if not missing
            else f"system-art needs these packages: <b>sudo apt-get install -y {' '.join(missing)}</b>"
        )
        dialog = FamilyDialog(self.parent_widget, note)
        if dialog.exec():
            self.build_family(**dialog.options())

    def build_family(self, corpus: str, out: str, size: str = "auto", replicates: int = 1, **options) -> int:
        """``options`` go to ``studio.train.family.build_family`` as they are (tests use small budgets)."""

        def done(results):
            trained = sum(r.status != "skipped" for r in results)
            self.say(f"Family in {out}: {trained} trained, {len(results) - trained} already there")
            self.open_paths([out])

        def cancelled(message):
            self.say(f"Family build stopped ({message}); build again to continue from where it stopped")
            if Path(out).exists():
                self.open_paths([out])

        request = requests.BuildFamily(corpus, out, size, replicates, options)
        return self.worker.submit(f"Build a family from {corpus}", request, on_done=done, on_cancelled=cancelled)
