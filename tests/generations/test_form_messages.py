"""A generation form that comes back with an error always says what is wrong, hidden fields too."""

from __future__ import annotations

import pytest
from django.urls import reverse

from studio.generations.models import Generation

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("field", "value"), [("remix_of", "not-a-uuid"), ("submit_token", "x" * 65)])
def test_an_invalid_hidden_field_comes_back_with_a_message(
    client, alice, alice_project, settings, field, value
):
    settings.CHANJING_BASE_URL = "http://127.0.0.1:9/sandbox"  # nothing listens: no request leaves
    client.force_login(alice)
    data = {"prompt": "a lantern", "aspect_ratio": "9:16", "clarity": "720", "duration": "5", field: value}
    response = client.post(reverse("generations:generate", args=[alice_project.code]), data)
    assert response.status_code == 200
    assert not Generation.objects.exists()
    page = response.content.decode()
    assert "This form is out of date or was changed: reload the page and try again." in page
