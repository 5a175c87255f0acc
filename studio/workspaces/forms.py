from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from studio.workspaces.models import Invitation, Membership, Role, Workspace


class WorkspaceForm(forms.ModelForm[Workspace]):
    class Meta:
        model = Workspace
        fields = ["name"]
        labels = {"name": _("Team name")}


def _roles_for(actor: Membership) -> list[tuple[str, StrOrPromise]]:
    """Only owners hand out the owner role."""
    return [
        (value, label) for value, label in Role.choices if value != Role.OWNER or actor.role == Role.OWNER
    ]


class InvitationForm(forms.ModelForm[Invitation]):
    class Meta:
        model = Invitation
        fields = ["role", "email"]
        help_texts = {"email": _("Optional. We send the link there, and only that account can use it.")}

    def __init__(self, *args: Any, actor: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["role"]).choices = _roles_for(actor)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args: Any, actor: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["role"]).choices = _roles_for(actor)
