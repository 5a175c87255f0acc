"""A project's prompt library: save, name, edit, delete and reuse prompts. Viewers only read.

A generation copies the prompt text it was made with (Generation.prompt), so editing or deleting
a saved prompt never changes what an existing video says it was made from.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from studio.generations.access import get_project_for_user, get_saved_prompt_for_user
from studio.generations.forms import PROMPT_MAX_LENGTH, GenerationForm
from studio.generations.models import Project, SavedPrompt
from studio.generations.views import render_project
from studio.lib.http import AuthedRequest
from studio.workspaces.models import Membership


class SavedPromptForm(forms.ModelForm[SavedPrompt]):
    text = forms.CharField(
        label=gettext_lazy("Prompt"),
        max_length=PROMPT_MAX_LENGTH,
        error_messages={"required": gettext_lazy("Write a prompt first.")},
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": PROMPT_MAX_LENGTH}),
    )

    class Meta:
        model = SavedPrompt
        fields = ["name", "text"]
        labels = {"name": gettext_lazy("Name")}

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        clash = SavedPrompt.objects.filter(project_id=self.instance.project_id, name__iexact=name)
        if clash.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(
                _("This project already has a prompt named “%(name)s”. Choose another name.") % {"name": name}
            )
        return name

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError(_("Write a prompt first."))
        return text


def _form_data(request: AuthedRequest) -> dict[str, Any]:
    """The library's own form sends name/text; "Save prompt" on the generation form sends its fields."""
    text = request.POST.get("text", request.POST.get("prompt", ""))
    name = request.POST.get("name", request.POST.get("prompt_name", "")).strip()
    return {"text": text, "name": name or Truncator(text.strip()).chars(40)}


def _library_context(project: Project, membership: Membership, form: SavedPromptForm) -> dict[str, Any]:
    return {
        "project": project,
        "membership": membership,
        "prompt_form": form,
        "saved_prompts": project.saved_prompts.all(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def prompt_library(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    project, membership = get_project_for_user(request, code, write=request.method == "POST")
    form = SavedPromptForm(
        _form_data(request) if request.method == "POST" else None, instance=SavedPrompt(project=project)
    )
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.project = project
        saved.created_by = request.user
        saved.save()
        if not request.htmx:
            messages.success(request, _("Saved “%(name)s” to the prompt library.") % {"name": saved.name})
            from_generation_form = "prompt" in request.POST
            return redirect(
                "generations:project" if from_generation_form else "generations:prompts", code=project.code
            )
        form = SavedPromptForm()
    context = _library_context(project, membership, form)
    if request.htmx:  # "Save prompt" on the generation form swaps the library next to it
        return render(request, "generations/prompt_library.html#library", context)
    return render(request, "generations/prompt_library.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def prompt_edit(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    saved, membership = get_saved_prompt_for_user(request, code, write=True)
    form = SavedPromptForm(request.POST or None, instance=saved)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved “%(name)s”.") % {"name": saved.name})
        return redirect("generations:prompts", code=saved.project.code)
    return render(
        request, "generations/prompt_edit.html", {"saved": saved, "form": form, "membership": membership}
    )


@login_required
@require_POST
def prompt_delete(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    saved, _membership = get_saved_prompt_for_user(request, code, write=True)
    saved.delete()
    messages.success(request, _("Deleted “%(name)s” from the prompt library.") % {"name": saved.name})
    return redirect("generations:prompts", code=saved.project.code)


@login_required
@require_GET
def prompt_use(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    """The project's generation form with this prompt filled in (the page's script does it in place)."""
    saved, membership = get_saved_prompt_for_user(request, code, write=True)
    form = GenerationForm(initial={"prompt": saved.text})
    return render_project(request, saved.project, membership, form)
