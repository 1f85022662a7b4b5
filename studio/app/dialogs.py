"""Train and Evaluate dialogs: they collect options; the window runs the jobs."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.app import palette
from studio.train.corpora import SYSTEM_ART
from studio.train.corpus import BUILTIN_CORPORA


def _corpus_picker(parent: QWidget, folders: bool) -> tuple[QWidget, QComboBox]:
    combo = QComboBox()
    combo.setEditable(True)
    combo.setMinimumContentsLength(18)
    combo.addItems([*BUILTIN_CORPORA, SYSTEM_ART])
    browse = QPushButton("Browse…")

    def pick():
        if folders:
            path = QFileDialog.getExistingDirectory(parent, "Corpus folder")
        else:
            path, _ = QFileDialog.getOpenFileName(
                parent, "Corpus or text file", filter="Corpora (*.jsonl *.parquet *.txt);;All files (*)"
            )
        if path:
            combo.setEditText(path)

    browse.clicked.connect(pick)
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(combo, 1)
    layout.addWidget(browse)
    return row, combo


def _finish_dialog(dialog: QDialog, form: QFormLayout, verb: str) -> None:
    """The form above an OK button named after what the dialog does, and Cancel."""
    buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
    buttons.button(QDialogButtonBox.Ok).setText(verb)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addLayout(form)
    layout.addWidget(buttons)
    dialog.setMinimumWidth(480)  # room for a corpus path, not a clipped "builtin"


class TrainDialog(QDialog):
    def __init__(self, parent=None, start_name: str | None = None):
        super().__init__(parent)
        self.setWindowTitle("Train an artist")
        row, self.corpus = _corpus_picker(self, folders=True)
        self.framing = QComboBox()
        self.framing.addItems(["conditional", "unconditional"])
        self.start = QComboBox()
        self.start.addItem("from scratch", None)
        if start_name:
            self.start.addItem(f"continue from {start_name}", "selected")
        self.steps = QSpinBox(minimum=10, maximum=100000, value=300, singleStep=50)
        self.dim = QSpinBox(minimum=16, maximum=1024, value=96, singleStep=16)
        self.depth = QSpinBox(minimum=1, maximum=16, value=4)
        self.name = QLineEdit("my-artist")
        form = QFormLayout()
        form.addRow("Corpus", row)
        form.addRow("Framing", self.framing)
        form.addRow("Start", self.start)
        form.addRow("Steps", self.steps)
        form.addRow("Width (dim)", self.dim)
        form.addRow("Depth", self.depth)
        form.addRow("Name", self.name)
        _finish_dialog(self, form, "Train")

    def options(self) -> dict:
        dim = self.dim.value()
        heads = 4
        return {
            "corpus": self.corpus.currentText().strip(),
            "framing": self.framing.currentText(),
            "from_selected": self.start.currentData() == "selected",
            "steps": self.steps.value(),
            "shape": {"dim": dim, "depth": self.depth.value(), "heads": heads, "dim_head": max(8, dim // heads)},
            "name": self.name.text().strip() or "my-artist",
        }


OWN_CORPUS = "its own training data"


class EvaluateDialog(QDialog):
    """Where to measure bpc: by default the artist's own training data (the held-out pieces
    of its classes from the corpus it was trained on), a built-in corpus, or a file."""

    def __init__(self, parent=None, name: str = ""):
        super().__init__(parent)
        self.setWindowTitle(f"Evaluate {name}")
        row, self.source = _corpus_picker(self, folders=False)
        self.source.insertItem(0, OWN_CORPUS)
        self.source.setCurrentIndex(0)
        self.source.setToolTip(
            "Its own training data: the held-out pieces of the classes it was trained on, from its corpus. "
            "Or a built-in corpus, a corpus file (.jsonl, .parquet) or a text file (.txt)."
        )
        self.split = QComboBox()
        self.split.addItems(["val", "test"])
        self.skip_unknown = QCheckBox("skip chars the model does not know")
        self.skip_unknown.setToolTip(
            "Drop the chars of the data that are not in the model's vocabulary before scoring "
            "(the result says how many); without it such data is refused. Always on for a .txt file."
        )
        form = QFormLayout()
        form.addRow("Corpus or text file", row)
        form.addRow("Split", self.split)
        form.addRow("", self.skip_unknown)
        _finish_dialog(self, form, "Evaluate")

    def options(self) -> dict:
        source = self.source.currentText().strip()
        own = source in ("", OWN_CORPUS)
        is_file = not own and source.endswith(".txt")
        return {
            "corpus": None if own or is_file else source,
            "text_file": source if is_file else None,
            "split": self.split.currentText(),
            "skip_unknown": self.skip_unknown.isChecked() or is_file,
        }


class LossPlot(pg.PlotWidget):
    """Live training loss, shown in the train job's window."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Training loss")
        self.showGrid(x=True, y=True, alpha=0.15)
        self.setLabel("left", "loss")
        self.setLabel("bottom", "step")
        self.steps: list[int] = []
        self.losses: list[float] = []
        self.curve = self.plot([], [], pen=pg.mkPen(palette.WARN, width=2))

    def add(self, step: int, loss: float) -> None:
        self.steps.append(step)
        self.losses.append(loss)
        self.curve.setData(self.steps, self.losses)
