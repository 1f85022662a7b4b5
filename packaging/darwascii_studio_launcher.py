"""Entry script of the frozen app (PyInstaller runs a script, not an entry point)."""

from studio.app.main import run

if __name__ == "__main__":
    run()
