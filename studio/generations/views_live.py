"""Live cards: one request brings every card still in progress on a page up to date.

static/js/live-cards.js collects the cards marked `data-poll` and asks for all of them at once,
every 2 s while the youngest is under a minute old and less often as they age (5 s, 10 s, then
30 s), and stops when none is left. The answer is each card drawn anew as an out-of-band swap
(its status, progress estimate, and once finished its video, without `data-poll`), so a page
with 24 cards in progress makes the same one request per interval as a page with one.

A code that is not a live generation the person may see (deleted, in the Trash, another
workspace's, or made up) gets the same answer: its element is removed, so it stops being asked
for and nothing tells an outsider whether it exists.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from studio.generations.models import Generation
from studio.generations.progress import StageEstimates, stage_estimates
from studio.lib.http import AuthedRequest
from studio.workspaces.models import Membership, Workspace

MAX_CARDS = 100


@login_required
@require_GET
def live_cards(request: AuthedRequest) -> HttpResponse:
    codes: list[uuid.UUID] = []
    for value in request.GET.getlist("code")[:MAX_CARDS]:
        try:
            codes.append(uuid.UUID(value))
        except ValueError:
            continue
    memberships = {
        m.workspace_id: m
        for m in Membership.objects.filter(user_id=request.user.pk).select_related("workspace")
    }
    generations = list(
        Generation.objects.live().filter(code__in=codes, workspace_id__in=list(memberships)).with_related()
    )
    estimates: dict[int, StageEstimates] = {}
    cards = []
    for generation in generations:
        workspace: Workspace = memberships[generation.workspace_id].workspace
        if workspace.pk not in estimates:
            estimates[workspace.pk] = stage_estimates(workspace)
        cards.append((generation, memberships[generation.workspace_id], estimates[workspace.pk]))
    found = {generation.code for generation in generations}
    context = {"cards": cards, "gone": [code for code in codes if code not in found]}
    return render(request, "generations/live_cards.html", context)
