"""Small screens: the window fits the screen it opens on, whatever size was saved."""

from PySide6.QtCore import QMargins, QRect, QSettings, QSize, Qt

from studio.app.main_window import MainWindow, fit_on_screen


def _screen_room(window):
    return window.screen().availableGeometry()


def _fits(window, room):
    """The window's inside, with the frame allowance, lies within the available screen."""
    return room.marginsRemoved(MainWindow.FRAME_ALLOWANCE).contains(window.geometry())


def test_fit_on_screen_shrinks_and_moves_a_window_saved_on_a_bigger_screen():
    laptop, frame = QRect(0, 0, 1366, 768), QMargins(8, 40, 8, 8)
    fitted = fit_on_screen(QRect(0, 38, 1920, 1061), laptop, frame)
    assert fitted == QRect(8, 40, 1350, 720)  # the title bar above it on the screen too
    # a window that fits stays where it was, at its size
    assert fit_on_screen(QRect(100, 80, 900, 600), laptop, frame) == QRect(100, 80, 900, 600)
    # one saved off to the right of this screen comes back onto it
    moved = fit_on_screen(QRect(1700, 900, 900, 600), laptop, frame)
    assert moved.size() == QSize(900, 600) and laptop.contains(moved.marginsAdded(frame))


def test_the_first_window_fits_the_screen(make_window):
    window = make_window()
    room = _screen_room(window)
    assert _fits(window, room)
    assert window.minimumWidth() <= room.width() and window.minimumHeight() <= room.height()


def test_a_size_saved_on_a_bigger_screen_is_fitted_not_shrunk_to_the_minimum(make_window, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    settings.setValue("window/normal", QRect(0, 38, 1920, 1061))
    settings.setValue("window/maximized", False)
    settings.sync()
    window = make_window()
    room = _screen_room(window)
    assert _fits(window, room)
    # the room it has, not the 900 × 560 minimum a relaunch once came back at
    assert window.size() == room.marginsRemoved(MainWindow.FRAME_ALLOWANCE).size()


def test_a_maximised_window_comes_back_maximised_and_its_normal_size_is_kept(make_window, tmp_path, qtbot):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    settings.setValue("window/normal", QRect(8, 40, 784, 600))
    settings.setValue("window/maximized", True)
    settings.sync()
    window = make_window()
    qtbot.waitUntil(window.isMaximized)
    window.save_state()
    saved = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    assert saved.value("window/maximized") in (True, "true")
    assert saved.value("window/normal").size() == QSize(784, 600)


def test_the_bay_shrinks_with_a_window_fitted_to_a_smaller_screen(make_window, tmp_path, qtbot):
    # a window with a tall bay, saved; then the same saved as if on a screen twice as tall
    window = make_window()
    window.resizeDocks([window.bay_dock], [window.height() // 2], Qt.Vertical)
    qtbot.waitUntil(lambda: window.bay_dock.height() > window.height() // 3)
    tall_bay = window.bay_dock.height()
    window.save_state()
    same = make_window("same.sqlite3")  # the same screen: the bay comes back as it was
    qtbot.waitUntil(lambda: same.bay_dock.height() == tall_bay)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    tall = settings.value("window/normal")
    tall.setHeight(tall.height() * 2)
    settings.setValue("window/normal", tall)
    settings.sync()
    smaller = make_window("smaller.sqlite3")
    # shrunk toward half (its own minimum height permitting), not the big screen's height
    qtbot.waitUntil(lambda: smaller.bay_dock.height() < tall_bay)
    assert smaller.bay_dock.height() <= max(tall_bay * 0.6, smaller.bay_dock.minimumSizeHint().height() + 60)
