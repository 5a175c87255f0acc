"""The floor for `make bench`: the least a gallery page must do, written by hand.

Same middleware and sign-in as every page, then 2 SQL queries (the membership and 24 finished
generations) and 24 cards as plain HTML with no template engine and no URL reversal. The real
pages are measured against it in the same run. Mounted only when BENCH_FLOOR_VIEW is set, which
production refuses (studio.settings).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.utils.html import escape
from django.views.decorators.http import require_GET

from studio.generations.models import Generation, Status
from studio.lib.http import AuthedRequest
from studio.workspaces.access import current_membership


@login_required
@require_GET
def floor(request: AuthedRequest) -> HttpResponse:
    membership = current_membership(request)
    rows = (
        Generation.objects.filter(workspace_id=membership.workspace_id, status=Status.SUCCEEDED)
        .order_by("-created_at", "-id")
        .values_list("code", "prompt", "aspect_ratio")[:24]
    )
    cards = "".join(
        f'<figure class="gallery-item"><a href="/g/{code}/"><video muted preload="none" '
        f'src="/g/{code}/video.mp4" poster="/g/{code}/poster.jpg"></video></a>'
        f"<figcaption>{escape(prompt[:80])} · {ratio}</figcaption></figure>"
        for code, prompt, ratio in rows
    )
    return HttpResponse(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Floor</title></head>'
        f'<body><main><div class="gallery-grid">{cards}</div></main></body></html>'
    )
