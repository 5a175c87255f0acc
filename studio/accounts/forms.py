from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from studio.accounts.models import User


class SignupForm(UserCreationForm[User]):
    email = forms.EmailField(label=gettext_lazy("Email"), required=True)

    class Meta:
        model = User
        fields = ["username", "email"]

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email already exists."))
        return email
