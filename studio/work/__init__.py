"""The worker's boundary: what the app asks of its worker, and how it is done.

The app's GUI thread builds requests (``requests``: plain dataclasses of paths,
records, recipes and settings) and submits them to its worker thread, which hands each
to ``handlers.execute``: the handlers import the model code (PyTorch) and run the
core's functions, reporting through a job context (``progress``, ``partial``,
``cancelled``, ``device``). Only the worker thread imports ``handlers``; ``requests``
and ``state`` (what the session tells every job) import no PyTorch. Nothing here
imports Qt.
"""
