"""Darwin's fitness evaluation on a Ray cluster (``darwascii darwin ... --executor ray``).

An optional executor for ``studio.breed.darwin.Evolution``: each child is built from
its recipe tree and scored by the judge as one Ray task. The prepared pair and the
parents go into Ray's object store once per evolution, each slice of data once; a
task gets references to them and a genome, and returns the bpc and the chars its
forward passes saw. Scores depend only on the genome and the data, so the log is the
one the local executor writes for the same seed (the order tasks finish in does not
matter). Ray does the scheduling; this module only submits tasks and collects them.

Ray is imported only here, and this module only when the executor is asked for.
Install it with ``pip install 'darwascii-studio[cluster]'``.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from studio.errors import Cancelled, StudioError


def _score_genome(parents: tuple, genome: dict[str, Any], data, options: dict[str, Any]) -> tuple[float, int]:
    """One Ray task: build the child from its genome, score it on ``data``."""
    from studio.breed.darwin import build_genome, score_child

    pair, parent_a, parent_b = parents
    child = build_genome(genome, pair, parent_a, parent_b, {}, {})
    scores, chars = score_child(child, data, options)
    return scores.bpc, chars


class RayExecutor:
    """Builds and scores Darwin's children as Ray tasks (one CPU, or one GPU, per task)."""

    name = "ray"

    def __init__(self, address: str | None = None):
        try:
            import ray
        except ImportError:
            raise StudioError(
                "--executor ray needs Ray, which is not installed: pip install 'darwascii-studio[cluster]'"
            ) from None
        self._ray = ray
        self._owns = False
        if not ray.is_initialized():
            if address:
                ray.init(address=address, logging_level="ERROR")
            else:
                ray.init(include_dashboard=False, logging_level="ERROR")
            self._owns = True
        self._parents = None
        self._data: dict[str, Any] = {}

    def start(self, evolution) -> None:
        """Put this evolution's parents in the object store (once) and fix how tasks score."""
        ray = self._ray
        options = dict(evolution.scoring_options())
        gpu = options["device"].startswith("cuda")
        if gpu:
            options["device"] = "cuda"  # Ray gives each task its own GPU as cuda:0
        self._options = options
        self._parents = ray.put((evolution.pair, evolution.parent_a, evolution.parent_b))
        self._data = {}
        self._task = ray.remote(num_cpus=1, num_gpus=1 if gpu else 0)(_score_genome)

    def score(
        self, genomes: list[dict[str, Any]], data, cancel: Callable[[], bool] | None = None
    ) -> Iterator[tuple[int, float, int]]:
        """(index, bpc, forward chars) of each genome on ``data``, as the tasks finish."""
        ray = self._ray
        key = data.identity.sha256
        if key not in self._data:
            self._data[key] = ray.put(data)
        pending = {
            self._task.remote(self._parents, genome, self._data[key], self._options): index
            for index, genome in enumerate(genomes)
        }
        try:
            while pending:
                if cancel is not None and cancel():
                    raise Cancelled()
                done, _ = ray.wait(list(pending), num_returns=1, timeout=0.5)
                for ref in done:
                    bpc, chars = ray.get(ref)
                    yield pending.pop(ref), bpc, chars
        finally:
            for ref in pending:
                ray.cancel(ref)

    def close(self) -> None:
        if self._owns:
            self._ray.shutdown()
            self._owns = False
