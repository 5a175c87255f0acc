"""The admin never reveals a secret token, not even one character at a time.

The admin's change list accepts lookups on a model's own fields in the query string
(`?token__startswith=a`), and the row count it shows answers yes or no: staff could read any
share, invitation or provider token character by character. Django's UserAdmin refuses
lookups on `password` for the same reason.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db.models import Model
from django.urls import reverse

from studio.chanjing.models import ProviderToken
from studio.sequences.models import ExportShareLink
from studio.sharing.models import ShareLink
from studio.workspaces.models import Invitation
from tests.factories import make_staff

pytestmark = pytest.mark.django_db

SECRET_MODELS: set[type[Model]] = {ProviderToken, Invitation, ShareLink, ExportShareLink}


@pytest.fixture
def superuser_client(client):
    client.force_login(make_staff("root"))
    return client


def test_every_studio_model_with_a_token_is_covered():
    with_token = {
        model
        for model in admin.site._registry
        if model._meta.app_label != "sandbox" and any(f.name == "token" for f in model._meta.fields)
    }
    assert with_token == SECRET_MODELS


@pytest.mark.parametrize("model", sorted(SECRET_MODELS, key=str))
@pytest.mark.parametrize("lookup", ["token__startswith", "token__regex", "token", "token__gt"])
def test_token_lookups_are_refused_in_the_change_list(superuser_client, model, lookup):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = superuser_client.get(url, {lookup: "a"})
    assert response.status_code == 400


def test_the_provider_token_cannot_be_guessed_from_row_counts(superuser_client):
    ProviderToken.objects.create(base_url="https://open-api.example", app_id="app", token="Zsecret-token")
    url = reverse("admin:chanjing_providertoken_changelist")
    hit = superuser_client.get(url, {"token__startswith": "Z"})
    miss = superuser_client.get(url, {"token__startswith": "Y"})
    assert hit.status_code == miss.status_code == 400
    assert b"Zsecret-token" not in superuser_client.get(url).content


def test_other_lookups_still_work(superuser_client, team):
    Invitation.objects.create(workspace=team["workspace"], role="viewer", created_by=team["owner"])
    response = superuser_client.get(
        reverse("admin:workspaces_invitation_changelist"), {"role__exact": "viewer"}
    )
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
