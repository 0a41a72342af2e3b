import pytest


@pytest.fixture
def signed_in(client, user):
    """The test client signed in as ``user``."""
    client.force_login(user)
    return client
