"""People and a chat shared by the messenger's service, page and polish tests."""

import pytest

from tests.chat_factories import ChatFactory
from tests.factories import UserFactory


@pytest.fixture
def owner():
    return UserFactory(username="owner", first_name="Olga", last_name="Owen")


@pytest.fixture
def bob():
    return UserFactory(username="bob", first_name="Bob", last_name="Orlov")


@pytest.fixture
def carol():
    return UserFactory(username="carol")


@pytest.fixture
def chat(owner, bob):
    return ChatFactory(created_by=owner, members=[bob], title="Team")
