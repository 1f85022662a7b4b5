import pytest

from hostile import save_tiny


@pytest.fixture(scope="session")
def good_ckpt(tmp_path_factory):
    """One tiny, valid checkpoint shared by the tests that only read it."""
    return save_tiny(tmp_path_factory.mktemp("good") / "artist.pt")


def run_main(capsys, *argv):
    from studio.cli import main

    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_sentence(err: str) -> bool:
    lines = err.strip().splitlines()
    return len(lines) == 1 and lines[0].startswith("darwascii: ") and "Traceback" not in err
