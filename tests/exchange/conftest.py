import pytest


@pytest.fixture(autouse=True)
def _exchange_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EXCHANGE_HEARTBEAT_SECONDS = 0  # no heartbeat thread in in-process runs


@pytest.fixture
def acme_tenant(acme):
    return acme


@pytest.fixture
def acme_owner_client(acme):
    from tests.conftest import api_client

    return api_client(acme, "owner@acme.test")
