"""Are the system libraries Qt needs on this Linux? Say which package to install if not.

Qt's own message for a missing library is "Could not load the Qt platform plugin
xcb" followed by an abort, naming at most libxcb-cursor0; the others show only with
QT_DEBUG_PLUGINS=1. This module loads each library the way the dynamic linker would
(ctypes.CDLL by soname) before Qt starts and prints one install line instead.

The lists come from ``ldd`` of PySide6's ``libQt6Gui``/``libQt6Widgets`` (needed on
every platform, offscreen included) and of ``plugins/platforms/libqxcb.so`` with
``libQt6XcbQpa`` (needed for X11). Qt 6 links libxcb-cursor directly and no longer
uses xinerama. Libraries every Linux has (libc, libstdc++, zlib, ...) are left out.

Plain Python on purpose: no Qt, no PyTorch, so ``make run`` can call it first
(``python -m studio.app.qtdeps``) and the app can call it before ``QApplication``.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import sys

# soname: (Debian/Ubuntu package, Fedora package)
GUI_LIBS = {
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
}
XCB_LIBS = {
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
}


def platform_name(environ=os.environ) -> str:
    """The Qt platform plugin Qt will pick (roughly as Qt 6 does on Linux)."""
    explicit = environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if explicit:
        return explicit
    if environ.get("XDG_SESSION_TYPE") == "wayland" and environ.get("WAYLAND_DISPLAY"):
        return "wayland"
    return "xcb"


def missing_libraries(platform: str | None = None, load=ctypes.CDLL) -> dict[str, tuple[str, str]]:
    """The sonames that cannot be loaded, with their packages (empty off Linux)."""
    if not sys.platform.startswith("linux"):
        return {}
    platform = platform or platform_name()
    wanted = dict(GUI_LIBS)
    if platform == "xcb":
        wanted.update(XCB_LIBS)
    missing = {}
    for soname, packages in wanted.items():
        try:
            load(soname)
        except OSError:
            missing[soname] = packages
    return missing


def install_line(missing: dict[str, tuple[str, str]]) -> str:
    """The one command that installs them, for this system's package manager."""
    fedora = shutil.which("dnf") is not None and shutil.which("apt-get") is None
    packages = sorted({pair[1 if fedora else 0] for pair in missing.values()})
    return ("sudo dnf install -y " if fedora else "sudo apt-get install -y ") + " ".join(packages)


def problem(platform: str | None = None) -> str | None:
    """A message naming what is missing and how to install it; None when all is there."""
    if getattr(sys, "frozen", False):  # the frozen app carries its own copies
        return None
    platform = platform or platform_name()
    missing = missing_libraries(platform)
    if not missing:
        return None
    return (
        f"darwascii-studio: the Qt {platform} platform needs system libraries that are missing: "
        f"{', '.join(sorted(missing))}.\nInstall them with:\n\n    {install_line(missing)}\n"
    )


def main() -> int:
    message = problem()
    if message:
        print(message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
