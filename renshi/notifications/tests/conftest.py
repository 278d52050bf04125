import pytest

from .receiver import start_receiver


@pytest.fixture
def receiver(settings):
    settings.NOTIFICATIONS_HTTP_TRUST_ENV = False  # never a proxy for 127.0.0.1
    r = start_receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()
