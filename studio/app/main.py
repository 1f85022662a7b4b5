"""``darwascii-studio [PATH ...] [--screenshot OUT.png] [--library DB] [--device D]``."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

from studio.errors import StudioError
from studio.identity import APP_ID, APP_NAME, DISPLAY_NAME, ORGANIZATION
from studio.shipped import resource_file


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="darwascii-studio", description="darwASCIInGPT Studio: breed and sample nGPT ASCII artists."
    )
    parser.add_argument(
        "paths", nargs="*", help="folders or checkpoints to open (default: the bundled family on first run)"
    )
    parser.add_argument(
        "--screenshot", metavar="PNG", help="open, sample the first artist, save a screenshot of the window, exit"
    )
    parser.add_argument(
        "--library", metavar="DB", help="library file to use instead of the one in your user data folder"
    )
    parser.add_argument("--device", default=None, help="auto (default), cpu, cuda or mps")
    # For `darwascii bench startup` and the frozen app's smoke test: print how long after
    # the process started the window was painted, then quit.
    parser.add_argument("--exit-when-shown", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


_IMPORTED_AT = time.monotonic()


def seconds_since_process_start() -> float:
    """Wall time since the OS started this process (the interpreter's and a frozen app's
    boot included); where /proc is missing, since this module was imported."""
    try:
        start_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return time.monotonic() - _IMPORTED_AT


def app_icon():
    """The window icon from the rendered PNG sizes (no SVG plugin needed) plus the SVG."""
    from PySide6.QtGui import QIcon

    svg = resource_file("icon.svg")
    icon = QIcon()
    for png in sorted((svg.parent / "icons" / "hicolor").glob(f"*/apps/{APP_ID}.png")):
        icon.addFile(str(png))
    icon.addFile(str(svg))
    return icon


def studio_style_sheet() -> str:
    """resources/studio.qss with the palette's colours and the resources folder filled in."""
    from studio.app.palette import style_sheet

    sheet = resource_file("studio.qss")
    # Images in the sheet (the spin boxes' arrows) are named relative to the resources folder.
    return style_sheet(sheet.read_text(encoding="utf-8")).replace("url(resources:", f"url({sheet.parent.as_posix()}/")


def make_app(argv=None):
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationDisplayName(DISPLAY_NAME)
    app.setWindowIcon(app_icon())
    app.setDesktopFileName(APP_ID)
    app.setStyle("Fusion")
    app.setStyleSheet(studio_style_sheet())
    from studio.app.gc_guard import collect_on_gui_thread

    collect_on_gui_thread(app)  # the worker thread must never be the one that frees Qt objects
    return app


def show_splash(app):
    """A first window before the heavy imports (PyTorch) start, so launch feels immediate."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QPainter, QPixmap
    from PySide6.QtWidgets import QLabel

    from studio.app import palette

    pixmap = QPixmap(420, 200)
    pixmap.fill(QColor(palette.WINDOW))
    painter = QPainter(pixmap)
    app.windowIcon().paint(painter, 24, 52, 96, 96)  # set by make_app
    painter.setPen(QColor(palette.TEXT))
    font = painter.font()
    font.setPointSize(15)
    font.setBold(True)
    painter.setFont(font)
    painter.drawText(140, 92, "darwASCIInGPT Studio")
    font.setPointSize(9)
    font.setBold(False)
    painter.setFont(font)
    painter.setPen(QColor(palette.TEXT_FAINT))
    painter.drawText(140, 120, "loading PyTorch and your library…")
    painter.end()
    # A frameless label, not QSplashScreen: its show() blocks up to a second waiting for
    # the window to be exposed (measured: 1.0 s under Xvfb and offscreen), which was
    # most of the time to the main window.
    splash = QLabel()
    splash.setPixmap(pixmap)
    splash.setWindowFlags(Qt.SplashScreen | Qt.FramelessWindowHint | Qt.WindowStaysOnTopHint)
    screen = app.primaryScreen()
    if screen is not None:
        splash.move(screen.availableGeometry().center() - pixmap.rect().center())
    splash.show()
    app.processEvents()
    return splash


def fresh_library_path(path: Path) -> Path:
    """Where a fresh library goes when ``path`` cannot be used; the old file is kept.

    A broken library file is renamed aside (``NAME.unusable-DATE``, with its -wal and
    -shm) and the fresh one takes its place, so later runs find it. A path that cannot
    be a file (a folder, a path under a file) gives way to the default library."""
    from studio.library import default_library_path

    stamp = time.strftime("%Y%m%d-%H%M%S")
    if path.is_file():
        aside = path.with_name(f"{path.name}.unusable-{stamp}")
        os.replace(path, aside)
        for suffix in ("-wal", "-shm"):
            companion = path.with_name(path.name + suffix)
            if companion.exists():
                os.replace(companion, aside.with_name(aside.name + suffix))
        return path
    default = default_library_path()
    return default if default != path and not default.is_dir() else default.with_name(f"library-{stamp}.sqlite3")


def open_library(path_arg: str | None, ask=None):
    """The library at ``path_arg`` (None: the default); one that cannot be used is
    reported and, if ``ask(message, path)`` says yes, replaced by a fresh one (the old
    file kept). Returns None when it is not: the caller exits with status 2."""
    from studio.library import Library, default_library_path

    try:
        return Library(path_arg)
    except StudioError as exc:
        path = Path(path_arg).expanduser() if path_arg else default_library_path()
        if ask is None or not ask(str(exc), path):
            library_problem(str(exc), ask=False)
            return None
    fresh = fresh_library_path(path)
    try:
        return Library(fresh)
    except StudioError as exc:
        library_problem(str(exc), ask=False)
        return None


def ask_fresh_library(message: str, path: Path) -> bool:
    """The dialog for a library the studio cannot use: start a fresh one (keeping the old file), or quit."""
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox()
    box.setIcon(QMessageBox.Warning)
    box.setWindowTitle("The library cannot be opened")
    box.setText(message)
    kept = (
        f"The old file is kept beside it as {path.name}.unusable-…"
        if path.is_file()
        else ("A new library is made in your user data folder.")
    )
    box.setInformativeText(f"Start a new, empty library? {kept}")
    fresh = box.addButton("Start a new library", QMessageBox.AcceptRole)
    box.addButton("Quit", QMessageBox.RejectRole)
    box.setDefaultButton(fresh)
    box.exec()
    return box.clickedButton() is fresh


def build_window(args, library=None):
    from PySide6.QtCore import QSettings

    from studio.app.main_window import MainWindow
    from studio.app.worker import Worker
    from studio.library import Library, bundled_checkpoints_dir

    library = library if library is not None else Library(args.library)
    if library.path is not None and args.library and library.path != Path(args.library).expanduser().resolve():
        args.library = str(library.path)  # a fresh library in place of the one given: its settings beside it
    worker = Worker(args.device)
    settings = (
        QSettings(str(Path(args.library).with_suffix(".ini")), QSettings.IniFormat) if args.library else QSettings()
    )
    window = MainWindow(library, worker, settings)
    paths = list(args.paths)
    read_only = False
    bundled = bundled_checkpoints_dir() if not paths else None
    if bundled is not None:
        records = library.checkpoints()
        # First run: open the bundled family. Later runs: open it again only if bundled
        # files went missing, i.e. the studio was reinstalled elsewhere (another venv, a
        # moved frozen app); the library follows known files to their new place by hash.
        if not records or any(r.read_only and not r.exists for r in records):
            paths, read_only = [str(bundled)], True
    return window, paths, read_only


async def screenshot_flow(window, paths, read_only, out: str) -> int:
    """Import, pick the first artist, wait for its gallery, grab the window."""
    from PySide6.QtWidgets import QApplication

    from studio.model.art import SampleSettings

    loop = asyncio.get_event_loop()
    imported = loop.create_future()
    if paths:
        window.open_paths(
            paths, read_only=read_only, on_done=lambda reports: imported.done() or imported.set_result(reports)
        )
        await imported
    records = window.library.checkpoints()
    if not records:
        print("darwascii-studio: nothing to show: no checkpoints were imported.", file=sys.stderr)
        return 2
    preferred = [r for r in records if r.role == "artist" and r.exists and r.framing == "conditional"]
    record = (preferred or [r for r in records if r.exists] or records)[0]
    label = None
    if record.labels and record.framing == "conditional":
        label = "Cats" if "Cats" in record.labels else record.labels[0]
    sampled = loop.create_future()
    window.gallerySampled.connect(lambda cid: sampled.done() or sampled.set_result(cid))
    window.gallery.count.setValue(6)
    window.gallery.max_chars.setValue(400)
    window.gallery.seed.setValue(0)
    window.gallery.label.setEditText(label or "")
    window.tree.select(record.id)
    window.session.select(record.id)  # an artist with no gallery draws one with these settings
    job = window.gallery_actions.sample_job_id
    if job is None:  # it had a gallery: draw the screenshot's own
        job = window.gallery_actions.sample(SampleSettings(label=label, count=6, max_chars=400, seed=0), record.id)
    if job is not None:
        await asyncio.wait_for(sampled, timeout=300)
    window.tree.fit()
    for _ in range(5):
        QApplication.processEvents()
        await asyncio.sleep(0.05)
    image = window.grab()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    if not image.save(out, "PNG"):
        print(f"darwascii-studio: {out}: could not write the screenshot.", file=sys.stderr)
        return 1
    print(out)
    return 0


def library_problem(message: str, *, ask: bool = True) -> None:
    """Say why the library cannot be opened and what to do, as a dialog (and on stderr)."""
    advice = (
        "Move that file aside (the studio then starts a new library there), "
        "or start the studio with --library pointing to another file."
    )
    from studio.cliutil import terminal_safe

    print(f"darwascii-studio: {terminal_safe(message, keep_newlines=False)} {advice}", file=sys.stderr)
    if ask:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.critical(None, "The library cannot be opened", f"{message}\n\n{advice}")


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.screenshot and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from studio.app import qtdeps

    missing = qtdeps.problem()  # Qt's own abort names one library at best
    if missing:
        print(missing, file=sys.stderr)
        return 1
    import qasync

    app = make_app()
    splash = show_splash(app)  # in case the imports below are slow (a cold disk)
    # A library the studio cannot use (truncated, newer, not SQLite, a folder, a broken
    # schema): a dialog offers a fresh one, keeping the old file; with no one to ask
    # (--screenshot, --exit-when-shown) it is one sentence and exit status 2.
    interactive = not args.screenshot and not args.exit_when_shown
    library = open_library(
        args.library, ask=(lambda *a: (splash.close(), ask_fresh_library(*a))[1]) if interactive else None
    )
    if library is None:
        splash.close()
        return 2
    try:
        window, paths, read_only = build_window(args, library)
    except StudioError as exc:
        splash.close()
        library_problem(str(exc), ask=interactive)
        return 2
    window.show()
    splash.close()
    if args.exit_when_shown:
        app.processEvents()  # the first paint
        print(f"window shown {seconds_since_process_start():.3f} s after the process started", flush=True)
        close_down(window)
        return 0
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        if args.screenshot:
            window.tools.ask_trust = lambda *_: False  # no one to ask: untrusted files stay unloaded
            return loop.run_until_complete(screenshot_flow(window, paths, read_only, args.screenshot))
        if paths:
            window.open_paths(paths, read_only=read_only)
        closing = asyncio.Event()
        app.aboutToQuit.connect(closing.set)
        loop.run_until_complete(closing.wait())
        return 0
    finally:
        window.save_state()
        close_down(window)


def close_down(window) -> None:
    """Stop the worker, then close the library. A job that would not stop in time is
    left running, and the process ends here without Python's teardown, which would
    destroy its running thread and abort (the library is closed; every write was one
    transaction, so nothing is half-written)."""
    stopped = window.worker.shutdown()
    window.library.close()
    if not stopped:
        print("darwascii-studio: a job did not stop; quitting without it", file=sys.stderr, flush=True)
        os._exit(0)


def run() -> None:
    raise SystemExit(main())


if __name__ == "__main__":
    run()
