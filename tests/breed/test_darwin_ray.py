"""The Ray executor for Darwin's fitness (issue 15): same log as the local executor.

Runs on a local Ray started here with 2 CPUs. CI installs Ray (the `cluster` extra);
elsewhere the test skips and says why.
"""

import subprocess
import sys

import pytest

from studio.breed.darwin import DarwinSettings, Evolution
from studio.model.synthetic import random_checkpoint

from test_darwin import FITNESS, REPORT

ray = pytest.importorskip(
    "ray", reason="Ray is not installed: pip install 'darwascii-studio[cluster]' to test the Ray executor"
)

SETTINGS = DarwinSettings(
    population=6, generations=2, elite=2, seed=5, context=64, race_slices=(0.25, 0.5), race_keep=0.5
)


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
    yield
    ray.shutdown()


def _comparable(log):
    log = {k: v for k, v in log.items() if k != "elapsed_s"}
    log["scoring"] = {k: v for k, v in log["scoring"].items() if k != "executor"}
    return log


@pytest.mark.parametrize("racing", [True, False])
def test_ray_executor_writes_the_local_log(local_ray, racing):
    from studio.breed.cluster import RayExecutor

    a = random_checkpoint(dim=32, depth=2, heads=2, dim_head=16, seed=1, name="A")
    b = random_checkpoint(dim=32, depth=2, heads=2, dim_head=16, seed=2, name="B")
    settings = DarwinSettings(**{**SETTINGS.__dict__, "racing": racing})
    local = Evolution(a, b, FITNESS, settings, report=REPORT).run()
    executor = RayExecutor()
    evolution = Evolution(a, b, FITNESS, settings, report=REPORT, executor=executor)
    remote = evolution.run()
    executor.close()  # leaves the test's Ray running: it did not start it
    assert remote["scoring"]["executor"] == "ray" and local["scoring"]["executor"] == "local"
    assert _comparable(remote) == _comparable(local)
    assert ray.is_initialized()


def test_ray_is_not_imported_unless_asked_for():
    code = (
        "import sys, studio.cli, studio.breed.darwin, studio.breed.darwin_commands; "
        "studio.cli.build_parser(); assert 'ray' not in sys.modules, 'ray imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
