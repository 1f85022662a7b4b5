"""The Qt application: a view over the core and the library. Qt is imported only here."""
