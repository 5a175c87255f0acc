"""Every model has an admin page, and every admin list and detail page opens for staff."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.factories import finished_generation, make_staff

pytestmark = pytest.mark.django_db

# Django's own apps, and django-axes (sign-in throttling), whose admin shows the attempts and
# lockouts it needs to.
FRAMEWORK_APPS = {"auth", "contenttypes", "sessions", "admin", "axes"}


def studio_models():
    return [model for model in apps.get_models() if model._meta.app_label not in FRAMEWORK_APPS]


def test_every_studio_model_has_an_admin():
    missing = [model._meta.label for model in studio_models() if not admin.site.is_registered(model)]
    assert missing == []


def test_every_admin_list_and_detail_page_opens(client, team):
    finished_generation(team["workspace"], team["project"], team["editor"])
    staff = make_staff("root")
    client.force_login(staff)
    for model in studio_models():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        changelist = client.get(reverse(f"{prefix}_changelist"))
        assert changelist.status_code == 200, model._meta.label
        first = model.objects.first()
        if first is not None:
            change = client.get(reverse(f"{prefix}_change", args=[first.pk]))
            assert change.status_code == 200, model._meta.label
