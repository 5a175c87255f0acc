"""Admin helpers shared by the apps."""

from __future__ import annotations

from django.contrib.admin.options import BaseModelAdmin
from django.db.models import Model
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest


class HideSecretFieldsAdmin(BaseModelAdmin[Model]):
    """Refuses change-list lookups on secret fields (`?token__startswith=a` answers 400).

    The admin otherwise filters on any of a model's own fields from the query string, and the
    row count it shows would reveal a secret one character at a time.
    """

    secret_fields: tuple[str, ...] = ("token",)

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        if lookup.split(LOOKUP_SEP, 1)[0] in self.secret_fields:
            return False
        return super().lookup_allowed(lookup, value, request)
