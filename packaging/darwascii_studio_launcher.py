"""Entry script of the frozen app (PyInstaller runs a script, not an entry point).

One bundle, two commands: started as ``darwascii`` (the symlink ``make dist`` puts
beside the executable) it is the command line, otherwise the Studio.
"""

import os
import sys

if __name__ == "__main__":
    if os.path.basename(sys.argv[0]) in ("darwascii", "darwascii.exe"):
        from studio.cli import run
    else:
        from studio.app.main import run
    run()
