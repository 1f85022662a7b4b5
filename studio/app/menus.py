"""The window's menus: File, View, Tools, Help (keyboard shortcuts and the README)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMessageBox

from studio import __version__

SHORTCUTS = [
    ("Ctrl+R", "sample a gallery of the selected artist"),
    ("Ctrl+E", "export the gallery"),
    ("Ctrl+O / Ctrl+Shift+O", "open a folder / a checkpoint"),
    ("Ctrl+T", "train an artist"),
    ("F", "fit the family in view"),
    ("Ctrl+1 / Ctrl+2", "the Family / the Nursery"),
    ("1–9, Space", "nursery: star a child / the focused child"),
    ("arrows, K", "nursery: move between children / keep the focused one"),
    ("Enter / Ctrl+Z", "nursery: next litter / undo the last litter"),
    ("Ctrl++ / Ctrl+-", "zoom the tree, or the gallery's art when the gallery has the focus (Ctrl+wheel too)"),
    ("Ctrl+0", "the gallery's art at its usual size"),
    ("Ctrl+Q", "quit"),
]


def build_menus(window) -> None:
    current = lambda: window.session.current  # noqa: E731

    def action(menu, text, slot, shortcut=None):
        act = QAction(text, window)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
        act.triggered.connect(slot)
        menu.addAction(act)

    file = window.menuBar().addMenu("&File")
    action(file, "Open folder…", window.open_folder_dialog, "Ctrl+O")
    action(file, "Open checkpoint…", window.open_file_dialog, "Ctrl+Shift+O")
    file.addSeparator()
    action(file, "Export gallery…", window.exports.export_gallery_any, "Ctrl+E")
    action(file, "Export gallery as PNG…", lambda: window.exports.export_gallery_png())
    action(file, "Export checkpoint…", lambda: current() and window.exports.export_checkpoint(current()))
    file.addSeparator()
    action(
        file,
        "Resume a nursery session…",
        lambda: (window.tabs.setCurrentWidget(window.nursery_view), window.nursery.resume_dialog()),
    )
    file.addSeparator()
    action(file, "Quit", window.quit, "Ctrl+Q")
    view = window.menuBar().addMenu("&View")
    action(view, "Fit family", window.tree.fit, "F")
    action(view, "Zoom in", lambda: window.zoom(1), "Ctrl++")
    action(view, "Zoom out", lambda: window.zoom(-1), "Ctrl+-")
    action(view, "Gallery art at its usual size", window.gallery.view.reset_art_size, "Ctrl+0")
    view.addSeparator()
    view.addAction(window.bay_dock.toggleViewAction())
    view.addAction(window.jobs_dock.toggleViewAction())
    view.addSeparator()
    action(view, "Family", lambda: window.tabs.setCurrentIndex(0), "Ctrl+1")
    action(view, "Nursery", lambda: window.tabs.setCurrentIndex(1), "Ctrl+2")
    tools = window.menuBar().addMenu("&Tools")
    action(tools, "Train an artist…", window.tools.train_dialog, "Ctrl+T")
    action(tools, "Evaluate selected…", lambda: current() and window.tools.evaluate_dialog(current()))
    heldout = "Held-out data for the selected artist's folder…"
    action(tools, heldout, lambda: current() and window.data.heldout_dialog(current()))
    tools.addSeparator()
    action(tools, "Build a family from real art…", window.data.family_dialog)
    help_menu = window.menuBar().addMenu("&Help")
    action(
        help_menu,
        "Keyboard shortcuts",
        lambda: QMessageBox.information(
            window,
            "Keyboard shortcuts",
            "<table>"
            + "".join(f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{v}</td></tr>" for k, v in SHORTCUTS)
            + "</table>",
        ),
    )
    action(help_menu, "README", lambda: open_readme(window))
    action(
        help_menu,
        "About",
        lambda: QMessageBox.about(
            window,
            "darwASCIInGPT Studio",
            f"<b>darwASCIInGPT Studio</b> {__version__}<br>Sample, breed and train small nGPT ASCII artists.<br>"
            f"Library: {window.library.path}",
        ),
    )


def open_readme(window) -> None:
    readme = Path(__file__).resolve().parents[2] / "README.md"
    if readme.exists():
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(readme)))
    else:
        window.notice("The README is not installed with this copy; see the project's README.md.")
