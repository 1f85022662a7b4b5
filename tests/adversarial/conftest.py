import pytest

from hostile import save_tiny


@pytest.fixture(scope="session")
def good_ckpt(tmp_path_factory):
    """One tiny, valid checkpoint shared by the tests that only read it."""
    return save_tiny(tmp_path_factory.mktemp("good") / "artist.pt")
