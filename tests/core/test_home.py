import pytest
from django.urls import reverse

from core.registry import home_sections


@pytest.mark.django_db
def test_home_page_shows_navigation_and_a_widget_per_section(client):
    response = client.get(reverse("core:home"))
    content = response.content.decode()
    assert response.status_code == 200
    for section in home_sections():
        assert f'id="section-{section.key}"' in content
        assert str(section.title) in content
    assert reverse("accounts:login") in content
    assert reverse("accounts:register") in content
