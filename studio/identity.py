"""Who the studio is to the desktop: one identity for platformdirs (the library's folder),
Qt (QSettings, the window class) and the packaging (desktop entry, AppStream, icons)."""

APP_NAME = "darwascii-studio"  # the command, the data folder's name, the window class
ORGANIZATION = "darwASCIInGPT"  # platformdirs' appauthor and Qt's organization name
APP_ID = "io.github.darwascii.Studio"  # reverse-DNS id: desktop entry, metainfo, icon files
DISPLAY_NAME = "darwASCIInGPT Studio"
