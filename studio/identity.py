"""Who the studio is to the desktop: one identity for platformdirs (the library's folder),
Qt (QSettings, the window class) and the packaging (desktop entry, AppStream, icons)."""

APP_NAME = "darwascii-studio"  # the command, the data folder's name, the window class
ORGANIZATION = "darwASCIInGPT"  # platformdirs' appauthor and Qt's organization name
APP_ID = "io.github.darwascii.Studio"  # reverse-DNS id: desktop entry, metainfo, icon files
DISPLAY_NAME = "darwASCIInGPT Studio"


def cache_dir():
    """Where the studio keeps what it can rebuild (system-art's cleaned corpus, retrained
    replicates): DARWASCII_CACHE_DIR, else the user cache folder platformdirs gives."""
    import os
    from pathlib import Path

    override = os.environ.get("DARWASCII_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, ORGANIZATION))
