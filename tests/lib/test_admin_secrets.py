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
from studio.sandbox.models import AccessToken
from studio.sequences.models import ExportShareLink
from studio.sharing.models import ShareLink
from studio.workspaces.models import Invitation
from tests.factories import finished_generation, make_staff

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


def test_no_admin_page_shows_a_token(superuser_client, team, settings):
    """Every change list, change page, delete page and history page of every model with a
    token: neither the token nor its first characters appear (the sandbox's own included)."""
    from tests.sandbox.quiet import quiet_sandbox

    quiet_sandbox(settings, seed=0)
    sandbox_token = AccessToken.issue("sandbox")
    provider = ProviderToken.objects.create(
        base_url="https://api.example", app_id="app", token="Zsecret-token"
    )
    invitation = Invitation.objects.create(
        workspace=team["workspace"], role="viewer", created_by=team["owner"]
    )
    generation = finished_generation(team["workspace"], team["project"], team["editor"])
    share = ShareLink.objects.create(generation=generation, created_by=team["editor"])
    secrets = {obj: obj.token for obj in (sandbox_token, provider, invitation, share)}
    for obj in secrets:
        meta = obj._meta
        prefix = f"admin:{meta.app_label}_{meta.model_name}"
        urls = [reverse(f"{prefix}_changelist"), reverse(f"{prefix}_changelist") + "?q=a"]
        urls += [reverse(f"{prefix}_{view}", args=[obj.pk]) for view in ("change", "delete", "history")]
        for url in urls:
            response = superuser_client.get(url)
            assert response.status_code == 200, url
            page = response.content.decode()
            for token in secrets.values():
                assert token[:8] not in page, (url, token)
