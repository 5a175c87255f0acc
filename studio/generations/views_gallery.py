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

import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from studio.generations.access import get_generation_for_user
from studio.generations.cards import GALLERY_ITEM, attach_cards
from studio.generations.gallery import GalleryFilters, filtered, mark_starred, page_of
from studio.generations.models import Favorite, Generation, Project
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
    projects = (
        Project.objects.live()
        .filter(workspace__in=list(workspaces))
        .order_by("name")
        .values_list("code", "name", "workspace_id")
    )
    filters = GalleryFilters(
        request.GET,
        workspaces=[(str(w.code), w.name) for w in workspaces.values()],
        projects=[(str(code), f"{name} · {workspaces[ws].name}") for code, name, ws in projects],
    )
    queryset = Generation.objects.live().filter(created_by=request.user, workspace__in=list(workspaces))
    context = {"scope": "mine", "nav": "mine"}
    return _gallery(request, queryset, filters, context)


@login_required
@require_GET
def team(request: AuthedRequest) -> HttpResponse:
    """The current workspace's gallery: every member's videos, each with who made it."""
    membership = current_membership(request)
    workspace = membership.workspace
    filters = GalleryFilters(
        request.GET,
        projects=[
            (str(code), name)
            for code, name in workspace.projects.live().order_by("name").values_list("code", "name")
        ],
        creators=[
            (name, name)
            for name in workspace.memberships.order_by("user__username").values_list(
                "user__username", flat=True
            )
        ],
    )
    queryset = Generation.objects.live().filter(workspace=workspace)
    context = {"scope": "team", "membership": membership, "nav": "gallery"}
    return _gallery(request, queryset, filters, context)


def _gallery(
    request: AuthedRequest, queryset: GenerationQuerySet, filters: GalleryFilters, context: dict[str, Any]
) -> HttpResponse:
    values = filters.values()
    page = page_of(
        filtered(queryset, values, request.user),
        cursor=request.GET.get("after"),
        oldest=values.get("order") == "oldest",
        user=request.user,
    )
    context |= {
        "filters": filters,
        # The filter bar is drawn once per page, values, choices and language (gallery.html).
        "filters_key": filters.cache_key(request.path),
        "cache_seconds": settings.CARD_CACHE_SECONDS,
        "page": page,
        "values": values,
        "status": values.get("status", "succeeded"),
        "is_filtered": bool(values.keys() - {"order"}),
        "next_url": _page_url(request, page.next_cursor) if page.next_cursor else "",
        "first_url": _page_url(request, None),
        # The next page's items come with an out-of-band pager; filtered results carry their own.
        "appending": bool(request.htmx) and request.htmx.target != "gallery-results",
    }
    # The last tile carries the next page's address, so it is drawn live.
    attach_cards(request, GALLERY_ITEM, page.items, context, skip=page.items[-1:] if page.next_cursor else ())
    if request.htmx and request.htmx.target == "gallery-results":
        return render(request, "generations/gallery.html#gallery-results", context)  # filters changed
    if request.htmx:
        return render(request, "generations/gallery.html#gallery-items", context)  # the next page
    return render(request, "generations/gallery.html", context)


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
