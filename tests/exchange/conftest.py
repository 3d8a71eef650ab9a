import pytest


@pytest.fixture(autouse=True)
def _exchange_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EXCHANGE_HEARTBEAT_SECONDS = 0  # no heartbeat thread in in-process runs
