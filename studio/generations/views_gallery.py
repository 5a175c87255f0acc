"""The galleries (a workspace's videos, and everything I made across my workspaces) and stars.

Filters apply as they change: the filter form asks for `gallery.html#gallery-results` (htmx
target "gallery-results") and pushes its query into the address bar, so a filtered gallery
can be bookmarked and shared.

Each page runs a fixed number of queries whatever its length or how far down it is: the
filter bar's choices (one query each), then one page of generations (studio.generations.gallery).
With htmx, the next page comes back as the grid's items only (`gallery.html#gallery-items`),
appended after the last item when it scrolls into view; without JavaScript the "Next page"
link loads the same page whole.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from studio.generations.access import get_generation_for_user
from studio.generations.cards import GALLERY_ITEM, as_models, attach_cards, cards_state, key_cards
from studio.generations.gallery import GalleryFilters, filtered, mark_starred, page_of
from studio.generations.models import Favorite, Generation, Project
from studio.generations.pages import kept_page
from studio.lib import fragments
from studio.lib.http import AuthedRequest
from studio.workspaces.access import current_membership, memberships_of

if TYPE_CHECKING:
    from studio.generations.models import GenerationQuerySet


@login_required
@require_GET
def mine(request: AuthedRequest) -> HttpResponse:
    """My generations: what I made in every workspace I still belong to."""
    memberships = memberships_of(request)
    workspaces = {m.workspace_id: m.workspace for m in memberships}

    def choices() -> ChoiceLists:
        projects = (
            Project.objects.live()
            .filter(workspace__in=list(workspaces))
            .order_by("name")
            .values_list("code", "name", "workspace_id")
        )
        return {
            "workspaces": [(str(w.code), w.name) for w in workspaces.values()],
            "projects": [(str(code), f"{name} · {workspaces[ws].name}") for code, name, ws in projects],
        }

    directory = [(w.pk, w.directory_version, w.name) for w in workspaces.values()]
    queryset = Generation.objects.live().filter(created_by=request.user, workspace__in=list(workspaces))
    context = {"scope": "mine", "nav": "mine"}
    return _gallery(request, queryset, KeptChoices("mine", directory, choices), context)


@login_required
@require_GET
def team(request: AuthedRequest) -> HttpResponse:
    """The current workspace's gallery: every member's videos, each with who made it."""
    membership = current_membership(request)
    workspace = membership.workspace

    def choices() -> ChoiceLists:
        projects = workspace.projects.live().order_by("name").values_list("code", "name")
        makers = workspace.memberships.order_by("user__username").values_list("user__username", flat=True)
        return {
            "projects": [(str(code), name) for code, name in projects],
            "creators": [(name, name) for name in makers],
        }

    directory = [(workspace.pk, workspace.directory_version)]
    queryset = Generation.objects.live().filter(workspace=workspace)
    context = {"scope": "team", "membership": membership, "nav": "gallery"}
    return _gallery(request, queryset, KeptChoices("team", directory, choices), context)


ChoiceLists = dict[str, list[tuple[str, str]]]


class KeptChoices:
    """The filter bar's project, workspace and maker choices, read from the database once per
    change of the workspaces' directory_version (a project or member added, renamed or removed)."""

    def __init__(
        self, scope: str, directory: Sequence[tuple[object, ...]], read: Callable[[], ChoiceLists]
    ) -> None:
        self.directory = directory
        self.key = f"gallery-choices:{scope}:{fragments.digest(directory)}"
        self.read = read

    @functools.cached_property
    def lists(self) -> ChoiceLists:
        found: ChoiceLists | None = fragments.kept([self.key]).get(self.key)
        if found is None:
            found = self.read()
            fragments.keep({self.key: found})
        return found


def _gallery(
    request: AuthedRequest, queryset: GenerationQuerySet, choices: KeptChoices, context: dict[str, Any]
) -> HttpResponse:
    asked = sorted((name, values) for name, values in request.GET.lists() if name != "after")

    @functools.cache
    def filters() -> GalleryFilters:
        return GalleryFilters(request.GET, **choices.lists)

    # The plain gallery asks for no filter: it needs neither the form nor its choices, unless the
    # filter bar has to be drawn again.
    values = filters().values() if asked else {}
    page = page_of(
        filtered(queryset, values, request.user),
        cursor=request.GET.get("after"),
        oldest=values.get("order") == "oldest",
        user=request.user,
    )
    context |= {
        "filters": SimpleLazyObject(filters),
        # The filter bar is kept per page, asked values and directory ({% keep %} adds the language).
        "filters_key": fragments.digest((request.path, asked, choices.directory)),
        "gallery_path": request.path,
        "page": page,
        "values": values,
        "status": values.get("status", "succeeded"),
        "is_filtered": bool(values.keys() - {"order"}),
        "next_url": _page_url(request, page.next_cursor) if page.next_cursor else "",
        "first_url": _page_url(request, None),
        # The next page's items come with an out-of-band pager; filtered results carry their own.
        "appending": bool(request.htmx) and request.htmx.target != "gallery-results",
    }

    def draw_cards() -> None:
        models = as_models(page.items)
        page.items[:] = models
        attach_cards(request, GALLERY_ITEM, models, context)

    if request.htmx:
        draw_cards()
        if request.htmx.target == "gallery-results":
            return render(request, "generations/gallery.html#gallery-results", context)  # filters changed
        return render(request, "generations/gallery.html#gallery-items", context)  # the next page
    key_cards(GALLERY_ITEM, page.items, context)
    cards = cards_state(page.items)
    membership = context.get("membership")
    state = None if cards is None else (cards, choices.directory, getattr(membership, "role", None))
    return kept_page(
        request,
        "generations/gallery.html",
        context,
        state=state,
        prepare=draw_cards,
        params={*GalleryFilters.base_fields, "after"},
    )


def _page_url(request: AuthedRequest, cursor: str | None) -> str:
    query = request.GET.copy()
    query.pop("after", None)
    if cursor:
        query["after"] = cursor
    return f"{request.path}?{query.urlencode()}" if query else request.path


@login_required
@require_POST
def star(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    """Star (starred=1) or unstar (starred=0) a generation for me; any member may, viewers too."""
    generation, _membership = get_generation_for_user(request, code)
    if request.POST.get("starred") == "0":
        Favorite.objects.filter(user=request.user, generation=generation).delete()
        mark_starred(generation, False)
    else:
        Favorite.objects.get_or_create(user=request.user, generation=generation)
        mark_starred(generation, True)
    back = request.POST.get("next", "")
    if request.htmx:
        context = {"generation": generation, "next": back}
        return render(request, "generations/gallery_item.html#star-button", context)
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(back)  # never redirect(): it would try the text as a URL name
    return redirect("generations:detail", code=generation.code)
