"""Every named URL of the studio, requested by every persona, with the status each must get.

The table below is the whole authorization policy in one place. The test walks Django's URL
resolver, so a URL added without a row here fails with its name in the message: add one
entry to TABLE (persona order: owner, admin, editor, viewer, outsider, anonymous).

Owner, admin, editor and viewer belong to the team workspace and work in it; the outsider
has only a personal workspace. Each request runs in its own savepoint, rolled back
afterwards, so a POST that deletes or changes something never affects the next request.
Statuses: 200 page, 286 a terminal HTMX card (stop polling), 302 redirect (sign in, or done
and back to a page), 403 a role that may not act, 404 outside the workspace, 405 wrong method.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from studio.generations.lifecycle import CALLBACK_SIGNER
from studio.generations.models import SavedPrompt
from studio.sequences.models import Export, ExportShareLink, Sequence, Shot
from studio.sharing.models import ShareLink
from studio.workspaces.models import Invitation, Membership
from tests.factories import PERSONAS, finished_generation, make_export, make_sequence, png_bytes

pytestmark = pytest.mark.django_db

# Not walked: `admin` is Django's own admin (staff only, guarded by Django); `sandbox` is the
# fake provider, a separate app that speaks Chanjing's protocol and is not installed in
# production. Static files are served by whitenoise outside the URLconf.
EXCLUDED_NAMESPACES = {"admin", "sandbox"}

# Shorthands for common rows, in persona order.
MEMBERS = (200, 200, 200, 200, 404, 302)
MEMBERS_STOP_POLLING = (286, 286, 286, 286, 404, 302)  # a polled panel with nothing left to wait for
WRITERS_PAGE = (
    200,
    200,
    200,
    403,
    404,
    302,
)  # a page only the roles that write may open  # any member reads; outsiders never learn it exists
SIGNED_IN = (200, 200, 200, 200, 200, 302)  # any signed-in person (their own workspace)
EVERYONE = (200, 200, 200, 200, 200, 200)  # public
WRITERS = (302, 302, 302, 403, 404, 302)  # owners, admins, editors act, then are redirected
MANAGERS = (302, 302, 403, 403, 404, 302)  # owners and admins act
NOT_ALLOWED = (405, 405, 405, 405, 405, 302)  # wrong method (sign-in comes first)
NOT_ALLOWED_PUBLIC = (405, 405, 405, 405, 405, 405)
REDIRECT_ALL = (302, 302, 302, 302, 302, 302)  # everyone is sent on somewhere
STAFF_ONLY = REDIRECT_ALL  # none of the personas is staff: off to the admin's sign-in
SIGNED_OUT_ONLY = (302, 302, 302, 302, 302, 200)  # sign in / sign up pages


@dataclass
class World:
    team: dict[str, Any]
    generation: object
    share: ShareLink
    invitation: Invitation
    viewer_membership: Membership
    saved_prompt: SavedPrompt
    sequence: Sequence
    shot: Shot
    other_take: object
    export: Export
    export_share: ExportShareLink


# One entry per URL name: how to build its arguments, the POST body, and the expected statuses.
TABLE: dict[str, dict[str, Any]] = {
    "healthz": {"args": lambda w: [], "GET": EVERYONE, "POST": NOT_ALLOWED_PUBLIC},
    # For a monitor (bearer token) or staff; none of the personas is staff.
    "healthz_status": {"args": lambda w: [], "GET": (403,) * 6, "POST": NOT_ALLOWED_PUBLIC},
    "accounts:signup": {"args": lambda w: [], "GET": SIGNED_OUT_ONLY, "POST": SIGNED_OUT_ONLY},
    "accounts:login": {"args": lambda w: [], "GET": SIGNED_OUT_ONLY, "POST": SIGNED_OUT_ONLY},
    "accounts:logout": {"args": lambda w: [], "GET": NOT_ALLOWED_PUBLIC, "POST": REDIRECT_ALL},
    # Theme and banner preferences are cookies: anyone may set them.
    "accounts:theme": {
        "args": lambda w: [],
        "data": lambda w: {"theme": "light"},
        "GET": NOT_ALLOWED_PUBLIC,
        "POST": REDIRECT_ALL,
    },
    "accounts:hide_sandbox_banner": {"args": lambda w: [], "GET": NOT_ALLOWED_PUBLIC, "POST": REDIRECT_ALL},
    # Password change: signed-in people (an empty form comes back with its errors).
    "accounts:password_change": {"args": lambda w: [], "GET": SIGNED_IN, "POST": SIGNED_IN},
    "accounts:password_change_done": {"args": lambda w: [], "GET": SIGNED_IN, "POST": NOT_ALLOWED},
    # Password reset by email: anyone (an empty form comes back with its errors).
    "accounts:password_reset": {"args": lambda w: [], "GET": EVERYONE, "POST": EVERYONE},
    "accounts:password_reset_sent": {"args": lambda w: [], "GET": EVERYONE, "POST": NOT_ALLOWED_PUBLIC},
    # A bad link shows "this link no longer works" to anyone.
    "accounts:password_reset_confirm": {
        "args": lambda w: ["MQ", "bad-token"],
        "GET": EVERYONE,
        "POST": EVERYONE,
    },
    "accounts:password_reset_done": {"args": lambda w: [], "GET": EVERYONE, "POST": NOT_ALLOWED_PUBLIC},
    # Django's language switch: sets a cookie for anyone and goes back (a GET only goes back).
    "set_language": {
        "args": lambda w: [],
        "data": lambda w: {"language": "zh-hans", "next": "/"},
        "GET": REDIRECT_ALL,
        "POST": REDIRECT_ALL,
    },
    "usage:review": {"args": lambda w: [], "GET": STAFF_ONLY, "POST": STAFF_ONLY},
    "usage:review_csv": {"args": lambda w: [], "GET": STAFF_ONLY, "POST": STAFF_ONLY},
    "usage:status": {"args": lambda w: [], "GET": STAFF_ONLY, "POST": STAFF_ONLY},
    # Workspaces and members.
    "workspaces:switch": {
        "args": lambda w: [],
        "data": lambda w: {"workspace": str(w.team["workspace"].code)},
        "GET": NOT_ALLOWED,
        "POST": (302, 302, 302, 302, 404, 302),
    },
    "workspaces:create": {"args": lambda w: [], "GET": SIGNED_IN, "POST": SIGNED_IN},  # empty form
    "workspaces:members": {"args": lambda w: [w.team["workspace"].code], "GET": MEMBERS, "POST": NOT_ALLOWED},
    "workspaces:rename": {
        "args": lambda w: [w.team["workspace"].code],
        "data": lambda w: {"name": "Renamed"},
        "GET": NOT_ALLOWED,
        "POST": MANAGERS,
    },
    "workspaces:leave": {
        "args": lambda w: [w.team["workspace"].code],
        "GET": NOT_ALLOWED,
        "POST": (302, 302, 302, 302, 404, 302),  # the last owner is refused with a message
    },
    "workspaces:invite": {
        "args": lambda w: [w.team["workspace"].code],
        "data": lambda w: {"role": "viewer", "email": ""},
        "GET": NOT_ALLOWED,
        "POST": MANAGERS,
    },
    "workspaces:member_role": {
        "args": lambda w: [w.viewer_membership.code],
        "data": lambda w: {"role": "editor"},
        "GET": NOT_ALLOWED,
        "POST": MANAGERS,
    },
    "workspaces:member_remove": {
        "args": lambda w: [w.viewer_membership.code],
        "GET": NOT_ALLOWED,
        "POST": MANAGERS,
    },
    "workspaces:invitation_revoke": {
        "args": lambda w: [w.invitation.code],
        "GET": NOT_ALLOWED,
        "POST": MANAGERS,
    },
    # The link is the credential: anyone holding it sees the invitation; accepting needs a sign-in.
    "workspaces:accept": {
        "args": lambda w: [w.invitation.token],
        "GET": EVERYONE,
        "POST": REDIRECT_ALL,
    },
    # Projects and generations.
    "generations:home": {"args": lambda w: [], "GET": REDIRECT_ALL, "POST": NOT_ALLOWED},
    "generations:projects": {
        "args": lambda w: [],
        "GET": SIGNED_IN,
        "POST": (200, 200, 200, 403, 200, 302),  # an empty form comes back with its errors
    },
    "generations:project": {"args": lambda w: [w.team["project"].code], "GET": MEMBERS, "POST": NOT_ALLOWED},
    "generations:generate": {
        "args": lambda w: [w.team["project"].code],
        "GET": NOT_ALLOWED,
        "POST": (200, 200, 200, 403, 404, 302),  # an empty form comes back with its errors
    },
    "generations:gallery": {"args": lambda w: [], "GET": SIGNED_IN, "POST": NOT_ALLOWED},
    "generations:team_gallery": {"args": lambda w: [], "GET": SIGNED_IN, "POST": NOT_ALLOWED},
    "generations:detail": {"args": lambda w: [w.generation.code], "GET": MEMBERS, "POST": NOT_ALLOWED},
    "generations:card": {
        "args": lambda w: [w.generation.code],
        "GET": (286, 286, 286, 286, 404, 302),
        "POST": NOT_ALLOWED,
    },
    # Live cards: codes come in the query; foreign ones are answered as if they did not exist.
    "generations:live_cards": {"args": lambda w: [], "GET": SIGNED_IN, "POST": NOT_ALLOWED},
    "generations:retry": {"args": lambda w: [w.generation.code], "GET": NOT_ALLOWED, "POST": WRITERS},
    "generations:cancel": {"args": lambda w: [w.generation.code], "GET": NOT_ALLOWED, "POST": WRITERS},
    # Chanjing's webhook: no session, the signature in the URL is the credential.
    # Stars are per person: any member may star what they can see.
    "generations:star": {
        "args": lambda w: [w.generation.code],
        "data": lambda w: {"starred": "1"},
        "GET": NOT_ALLOWED,
        "POST": (302, 302, 302, 302, 404, 302),
    },
    # A viewer may remix into a project of their own: they get the project picker.
    "generations:remix": {"args": lambda w: [w.generation.code], "GET": MEMBERS, "POST": NOT_ALLOWED},
    # The prompt library: members read it; writers save (an empty form comes back with its errors).
    "generations:prompts": {
        "args": lambda w: [w.team["project"].code],
        "GET": MEMBERS,
        "POST": (200, 200, 200, 403, 404, 302),
    },
    "generations:prompt_edit": {
        "args": lambda w: [w.saved_prompt.code],
        "data": lambda w: {"name": "Renamed", "text": "a new text"},
        "GET": (200, 200, 200, 403, 404, 302),
        "POST": WRITERS,
    },
    "generations:prompt_delete": {
        "args": lambda w: [w.saved_prompt.code],
        "GET": NOT_ALLOWED,
        "POST": WRITERS,
    },
    "generations:prompt_use": {
        "args": lambda w: [w.saved_prompt.code],
        "GET": (200, 200, 200, 403, 404, 302),
        "POST": NOT_ALLOWED,
    },
    # Delete, restore, archive and the Trash (restoring something that is not in the Trash is 404).
    "generations:delete": {"args": lambda w: [w.generation.code], "GET": NOT_ALLOWED, "POST": WRITERS},
    "generations:restore": {
        "args": lambda w: [w.generation.code],
        "GET": NOT_ALLOWED,
        "POST": (404, 404, 404, 404, 404, 302),
    },
    "generations:project_delete": {
        "args": lambda w: [w.team["project"].code],
        "GET": NOT_ALLOWED,
        "POST": WRITERS,
    },
    "generations:project_restore": {
        "args": lambda w: [w.team["project"].code],
        "GET": NOT_ALLOWED,
        "POST": (404, 404, 404, 404, 404, 302),
    },
    "generations:project_archive": {
        "args": lambda w: [w.team["project"].code],
        "GET": NOT_ALLOWED,
        "POST": WRITERS,
    },
    "generations:trash": {"args": lambda w: [], "GET": SIGNED_IN, "POST": NOT_ALLOWED},
    # Several gallery videos at once: any member stars and downloads; writers delete.
    "generations:bulk": {
        "args": lambda w: [],
        "data": lambda w: {"action": "delete", "g": [str(w.generation.code)]},
        "GET": NOT_ALLOWED,
        "POST": (302, 302, 302, 404, 404, 302),  # a viewer may delete none of them: nothing found
    },
    "generations:download_zip": {
        "args": lambda w: [],
        "data": lambda w: {"g": [str(w.generation.code)]},
        "GET": NOT_ALLOWED,
        "POST": (200, 200, 200, 200, 404, 302),
    },
    "generations:callback": {
        "args": lambda w: [w.generation.code, CALLBACK_SIGNER.signature(str(w.generation.code))],
        "GET": NOT_ALLOWED_PUBLIC,
        "POST": EVERYONE,
    },
    "generations:video": {"args": lambda w: [w.generation.code], "GET": MEMBERS, "POST": NOT_ALLOWED},
    "generations:poster": {"args": lambda w: [w.generation.code], "GET": MEMBERS, "POST": NOT_ALLOWED},
    "generations:frame": {
        "args": lambda w: [w.generation.code, "start"],
        "GET": MEMBERS,
        "POST": NOT_ALLOWED,
    },
    # Sharing.
    "sharing:create": {
        "args": lambda w: [w.generation.code],
        "data": lambda w: {"expires_in": "7"},
        "GET": NOT_ALLOWED,
        "POST": WRITERS,
    },
    "sharing:revoke": {"args": lambda w: [w.share.code], "GET": NOT_ALLOWED, "POST": WRITERS},
    "sharing:page": {"args": lambda w: [w.share.token], "GET": EVERYONE, "POST": NOT_ALLOWED_PUBLIC},
    "sharing:video": {"args": lambda w: [w.share.token], "GET": EVERYONE, "POST": NOT_ALLOWED_PUBLIC},
    "sharing:poster": {"args": lambda w: [w.share.token], "GET": EVERYONE, "POST": NOT_ALLOWED_PUBLIC},
    # Sequences (issue 15): editors build and export, viewers watch and download.
    "sequences:continue": {"args": lambda w: [w.generation.code], "GET": WRITERS_PAGE, "POST": NOT_ALLOWED},
    "sequences:add_shot": {
        "args": lambda w: [w.generation.code],
        "data": lambda w: {"sequence": str(w.sequence.code)},
        "GET": WRITERS_PAGE,
        "POST": WRITERS,
    },
    "sequences:list": {
        "args": lambda w: [w.team["project"].code],
        "data": lambda w: {
            "name": "Teaser",
            "aspect_ratio": "16:9",
            "clarity": "720",
            "fit": "fit",
            "crossfade_ms": "0",
        },
        "GET": MEMBERS,
        "POST": WRITERS,
    },
    "sequences:detail": {"args": lambda w: [w.sequence.code], "GET": MEMBERS, "POST": NOT_ALLOWED},
    "sequences:settings": {
        "args": lambda w: [w.sequence.code],
        "data": lambda w: {
            "name": "Teaser",
            "aspect_ratio": "9:16",
            "clarity": "1080",
            "fit": "fill",
            "crossfade_ms": "500",
        },
        "GET": NOT_ALLOWED,
        "POST": WRITERS,
    },
    "sequences:delete": {"args": lambda w: [w.sequence.code], "GET": NOT_ALLOWED, "POST": WRITERS},
    "sequences:order": {
        "args": lambda w: [w.sequence.code],
        "data": lambda w: {"shot": [str(w.shot.code)]},
        "GET": NOT_ALLOWED,
        "POST": WRITERS,
    },
    "sequences:export": {"args": lambda w: [w.sequence.code], "GET": NOT_ALLOWED, "POST": WRITERS},
    "sequences:exports": {
        "args": lambda w: [w.sequence.code],
        "GET": MEMBERS_STOP_POLLING,
        "POST": NOT_ALLOWED,
    },
    "sequences:move": {
        "args": lambda w: [w.shot.code],
        "data": lambda w: {"to": "down"},
        "GET": NOT_ALLOWED,
        "POST": WRITERS,
    },
    "sequences:remove": {"args": lambda w: [w.shot.code], "GET": NOT_ALLOWED, "POST": WRITERS},
    "sequences:take": {
        "args": lambda w: [w.shot.code],
        "data": lambda w: {"generation": str(w.other_take.code)},
        "GET": NOT_ALLOWED,
        "POST": WRITERS,
    },
    "sequences:export_video": {"args": lambda w: [w.export.code], "GET": MEMBERS, "POST": NOT_ALLOWED},
    "sequences:export_poster": {"args": lambda w: [w.export.code], "GET": MEMBERS, "POST": NOT_ALLOWED},
    "sequences:share": {"args": lambda w: [w.export.code], "GET": NOT_ALLOWED, "POST": WRITERS},
    "sequences:share_revoke": {"args": lambda w: [w.export_share.code], "GET": NOT_ALLOWED, "POST": WRITERS},
    "sequences:shared": {
        "args": lambda w: [w.export_share.token],
        "GET": EVERYONE,
        "POST": NOT_ALLOWED_PUBLIC,
    },
    "sequences:shared_video": {
        "args": lambda w: [w.export_share.token],
        "GET": EVERYONE,
        "POST": NOT_ALLOWED_PUBLIC,
    },
    "sequences:shared_poster": {
        "args": lambda w: [w.export_share.token],
        "GET": EVERYONE,
        "POST": NOT_ALLOWED_PUBLIC,
    },
}


def named_urls(patterns, namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in EXCLUDED_NAMESPACES:
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from named_urls(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


@pytest.fixture(name="world")
def world_fixture(team, team_generation, settings) -> World:
    settings.CHANJING_BASE_URL = "http://127.0.0.1:9/sandbox"  # nothing listens: no request leaves
    # Its last frame is already made, so "Continue this shot" opens without decoding the stub video.
    team_generation.last_frame.save("last.png", ContentFile(png_bytes()), save=True)
    group = uuid.uuid4()
    takes = [
        finished_generation(
            team["workspace"], team["project"], team["editor"], take_group=group, take_index=n
        )
        for n in (1, 2)
    ]
    sequence = make_sequence(team["project"], [takes[0]], created_by=team["editor"])
    export = make_export(sequence)
    return World(
        team=team,
        generation=team_generation,
        share=ShareLink.objects.create(generation=team_generation, created_by=team["editor"]),
        invitation=Invitation.objects.create(
            workspace=team["workspace"], role="editor", created_by=team["owner"]
        ),
        viewer_membership=Membership.objects.get(workspace=team["workspace"], user=team["viewer"]),
        saved_prompt=SavedPrompt.objects.create(
            project=team["project"], name="Lanterns", text="lanterns over the lake", created_by=team["editor"]
        ),
        sequence=sequence,
        shot=sequence.shots.get(),
        other_take=takes[1],
        export=export,
        export_share=ExportShareLink.objects.create(export=export, created_by=team["editor"]),
    )


def test_every_url_answers_every_persona_as_the_table_says(world, sign_in_as):
    urls = set(named_urls(get_resolver().url_patterns))
    missing = sorted(urls - TABLE.keys())
    assert not missing, f"URLs without a row in TABLE (add one per URL name): {', '.join(missing)}"
    stale = sorted(TABLE.keys() - urls)
    assert not stale, f"Rows in TABLE for URLs that no longer exist: {', '.join(stale)}"

    wrong = []
    for name, row in TABLE.items():
        url = reverse(name, args=row["args"](world))
        data = row.get("data", lambda w: {})(world)
        for method in ("GET", "POST"):
            for persona, expected in zip(PERSONAS, row[method], strict=True):
                with transaction.atomic():
                    client = sign_in_as(persona, on=Client())
                    response = client.get(url) if method == "GET" else client.post(url, data)
                    transaction.set_rollback(True)
                if response.status_code != expected:
                    wrong.append(
                        f"{method} {url} ({name}) as {persona}: {response.status_code}, expected {expected}"
                    )
    assert not wrong, "\n".join(wrong)
