from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling, reswap, retarget, trigger_client_event

from studio.generations.access import get_generation_for_user, get_project_for_user
from studio.generations.cards import (
    PROJECT_CARD,
    Shot,
    as_models,
    attach_cards,
    attach_shots,
    card_rows,
    cards_state,
    key_cards,
)
from studio.generations.forms import GenerationForm, ProjectForm, new_submit_token
from studio.generations.gallery import mark_starred, page_of
from studio.generations.lifecycle import CALLBACK_SIGNER, cancel
from studio.generations.models import Favorite, Generation, Project, SavedPrompt, Status
from studio.generations.pages import kept_page
from studio.generations.progress import stage_estimates
from studio.generations.quota import QuotaExceeded, remaining
from studio.generations.remix import lineage, remix_parent, takes_refusal
from studio.generations.services import create_takes, retry_generation, try_submit_now
from studio.generations.templatetags.takes import take_groups
from studio.lib import fragments
from studio.lib.http import AuthedRequest
from studio.workspaces.access import current_membership, require_role, whom_to_ask
from studio.workspaces.models import Membership

# Shots on the project page, newest first; "Show older" brings the next ones.
PAGE_SIZE = 24


@login_required
@require_GET
def home(request: AuthedRequest) -> HttpResponse:
    return redirect("generations:projects")


@login_required
@require_http_methods(["GET", "POST"])
def project_list(request: AuthedRequest) -> HttpResponse:
    membership = current_membership(request)
    form = ProjectForm(request.POST or None)
    if request.method == "POST":
        require_role(membership, write=True)
        if form.is_valid():
            project = form.save(commit=False)
            project.workspace = membership.workspace
            project.created_by = request.user
            project.save()
            return redirect("generations:project", code=project.code)
    projects = list(
        Project.objects.live().filter(workspace=membership.workspace).select_related("created_by")
    )
    context = {
        "projects": [p for p in projects if p.archived_at is None],
        "archived": [p for p in projects if p.archived_at is not None],
        "form": form,
        "membership": membership,
        "ask_whom": whom_to_ask(membership),
        "nav": "projects",
    }
    return render(request, "generations/project_list.html", context)


def _project_context(
    request: AuthedRequest,
    project: Project,
    membership: Membership,
    form: GenerationForm | None,
) -> dict[str, Any]:
    """The project page's context; a remix form's parent (form.parent) fills the composer. Its
    shots are rows until _draw_shots() makes them drawable (a kept page needs no drawing)."""
    page = page_of(
        # The project itself is live (get_project_for_user): only its generations' own Trash applies.
        card_rows(project.generations.filter(deleted_at__isnull=True).unsuperseded()),
        cursor=request.GET.get("after"),
        oldest=False,
        user=request.user,
        size=PAGE_SIZE,
        whole_takes=True,
    )
    project_url = reverse("generations:project", args=[project.code])
    # A blank composer (form=None) is built only if it has to be drawn: a kept page needs none.
    blank = form is None
    composer: GenerationForm = SimpleLazyObject(GenerationForm) if form is None else form  # type: ignore[assignment]
    return {
        "shots": [Shot(takes) for takes in take_groups(page.items)],
        "project": project,
        "membership": membership,
        "form": composer,
        # The composer's only per-visit value: a blank composer is otherwise drawn once and kept.
        "submit_token": new_submit_token() if form is None else form["submit_token"].value(),
        "composer_keepable": blank
        or (not composer.is_bound and composer.parent is None and not composer.initial),
        "page": page,
        "project_url": project_url,
        "older_url": f"{project_url}?after={page.next_cursor}" if page.next_cursor else "",
        "appending": bool(request.htmx) and request.htmx.target == "generation-list",
        "quota": remaining(project.workspace, request.user, joined=True),
        "saved_prompts": _saved_prompts(project),
        "remix": None if form is None else form.parent,
        # Only cards in progress read it: a page of finished ones spares the query.
        "estimates": SimpleLazyObject(lambda: stage_estimates(project.workspace)),
        "ask_whom": whom_to_ask(membership),
    }


def _saved_prompts(project: Project) -> list[SavedPrompt]:
    """The project's prompt library, read once per change of its workspace's directory_version."""
    key = f"saved-prompts:{project.pk}:{project.workspace.directory_version}"
    saved: list[SavedPrompt] | None = fragments.kept([key]).get(key)
    if saved is None:
        saved = list(project.saved_prompts.all())
        fragments.keep({key: saved})
    return saved


def render_project(
    request: AuthedRequest, project: Project, membership: Membership, form: GenerationForm
) -> HttpResponse:
    """The project page drawn around a composer filled in by another view (remix, saved prompt,
    continue this shot)."""
    context = _project_context(request, project, membership, form)
    _draw_shots(request, context)
    return render(request, "generations/project_detail.html", context)


def _draw_shots(request: AuthedRequest, context: dict[str, Any]) -> None:
    """Turn the page's rows into models and attach their cards and shots, cached or drawn."""
    page = context["page"]
    models = as_models(page.items)
    page.items[:] = models
    attach_cards(request, PROJECT_CARD, models, {"membership": context["membership"]})
    context["shots"] = attach_shots(request, take_groups(models))


def _project_state(context: dict[str, Any]) -> object | None:
    """Everything the project page shows besides its frame (chrome_state) and path, for its key;
    None while a card is in progress."""
    page, project, membership = context["page"], context["project"], context["membership"]
    key_cards(PROJECT_CARD, page.items, {"membership": membership})
    cards = cards_state(page.items)
    if cards is None:
        return None
    quota = context["quota"]
    return (
        cards,
        membership.role,
        (project.name, project.description, project.archived_at, project.workspace.name),
        # whom_to_ask() names the owners and admins: they change with the workspace's members.
        project.workspace.directory_version,
        None if quota is None else quota.remaining,
        [(saved.code, saved.name, saved.text) for saved in context["saved_prompts"]],
    )


@login_required
@require_GET
def project_detail(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    project, membership = get_project_for_user(request, code)
    context = _project_context(request, project, membership, None)
    if request.htmx and request.htmx.target == "generation-list":
        _draw_shots(request, context)
        return render(request, "generations/project_detail.html#older-shots", context)  # "Show older"
    return kept_page(
        request,
        "generations/project_detail.html",
        context,
        state=_project_state(context),
        prepare=lambda: _draw_shots(request, context),
        params={"after"},
        live={"submit_token": context["submit_token"]},
    )


@login_required
@require_POST
def generation_create(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    project, membership = get_project_for_user(request, code, write=True)
    form = GenerationForm(request.POST, request.FILES, parent=remix_parent(request))
    generations = []
    if form.is_valid():
        data = form.cleaned_data
        generation_code = form.submission_code(request.user)
        if generation_code and Generation.objects.filter(code=generation_code).exists():
            return _repeated_submit(request, project)
        try:
            generations = create_takes(
                project, request.user, data, takes=data["takes"], parent=form.parent, code=generation_code
            )
        except QuotaExceeded as exceeded:
            form.add_error(None, takes_refusal(exceeded, data))
        except IntegrityError:  # the same submit, sent twice at once, saved its generation first
            return _repeated_submit(request, project)
    if not generations:
        if request.htmx:
            context = _project_context(request, project, membership, form)
            response = render(request, "generations/project_detail.html#generation-form", context)
            return reswap(retarget(response, "#generation-form"), "outerHTML")
        return render_project(request, project, membership, form)
    for generation in generations:
        try_submit_now(generation)
    if not request.htmx:
        messages.success(request, queued_message(len(generations)))
        return redirect("generations:project", code=project.code)
    # The composer stays as it was (prompt, settings, frames): only its submit token is renewed,
    # and the button's status line says what happened.
    context = {
        "group": generations,
        "project": project,
        "membership": membership,
        "estimates": stage_estimates(project.workspace),
        "next_token": new_submit_token(),
        "queued": queued_message(len(generations)),
        "quota": remaining(project.workspace, request.user),
    }
    response = render(request, "generations/generation_created.html", context)
    return trigger_client_event(
        response, "generation-created", {"code": str(generations[0].code)}, after="settle"
    )


def queued_message(count: int) -> str:
    return ngettext("%(count)d video queued", "%(count)d videos queued", count) % {"count": count}


def _repeated_submit(request: AuthedRequest, project: Project) -> HttpResponse:
    """A form already submitted once: its generation exists, so show it instead of making another."""
    if request.htmx:
        return HttpResponse(status=204)
    return redirect("generations:project", code=project.code)


@login_required
@require_GET
def generation_card(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    generation, membership = get_generation_for_user(request, code)
    context = {
        "generation": generation,
        "membership": membership,
        "estimates": stage_estimates(generation.workspace),
    }
    if generation.is_terminal:
        response = render(request, "generations/generation_card.html", context)
        return HttpResponseStopPolling(response.content)
    return render(request, "generations/generation_card.html", context)


@login_required
@require_GET
def generation_detail(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    generation, membership = get_generation_for_user(request, code)
    mark_starred(generation, Favorite.objects.filter(user=request.user, generation=generation).exists())
    context = {
        "generation": generation,
        "membership": membership,
        "estimates": stage_estimates(generation.workspace),
        **lineage(generation, request.user),
    }
    return render(request, "generations/generation_detail.html", context)


@login_required
@require_POST
def generation_retry(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    original, membership = get_generation_for_user(request, code, write=True)
    try:
        generation = retry_generation(original, request.user)
    except QuotaExceeded as refusal:
        messages.error(request, refusal.message)
        return redirect("generations:project", code=original.project.code)
    try_submit_now(generation)
    if request.htmx:
        # The retry takes the failed card's place: one card per attempt at a shot, not a pile.
        context = {
            "generation": generation,
            "membership": membership,
            "estimates": stage_estimates(generation.workspace),
        }
        response = render(request, "generations/generation_card.html", context)
        response = reswap(retarget(response, f"#gen-{original.code}"), "outerHTML")
        return trigger_client_event(
            response, "generation-created", {"code": str(generation.code)}, after="settle"
        )
    return redirect("generations:project", code=original.project.code)


@login_required
@require_POST
def generation_cancel(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    generation, membership = get_generation_for_user(request, code, write=True)
    if not cancel(generation):
        messages.error(
            request, _("This generation has already been sent to the provider and cannot be cancelled.")
        )
    if request.htmx:
        context = {
            "generation": generation,
            "membership": membership,
            "estimates": stage_estimates(generation.workspace),
        }
        return render(request, "generations/generation_card.html", context)
    return redirect("generations:project", code=generation.project.code)


@csrf_exempt
@require_POST
def provider_callback(request: HttpRequest, code: uuid.UUID, signature: str) -> HttpResponse:
    """Chanjing's completion webhook. The payload is never trusted: it only moves the next poll up."""
    if not constant_time_compare(signature, CALLBACK_SIGNER.signature(str(code))):
        raise Http404
    Generation.objects.filter(code=code, status=Status.SUBMITTED).update(next_attempt_at=timezone.now())
    return HttpResponse("ok", content_type="text/plain")
