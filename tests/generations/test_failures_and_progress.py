"""Failures say what to do next, a retry folds into its card, progress is estimated from recent
videos, the composer's rules live in the form, and the last workspace is remembered."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from studio.generations import problems
from studio.generations.forms import GenerationForm
from studio.generations.models import Generation, Status
from studio.generations.progress import stage_estimates
from studio.workspaces.access import SESSION_KEY
from tests.factories import PASSWORD, finished_generation, image_file

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
NOT_CHARGED = "生成失败,未扣费,请稍后重试"
REJECTED = "内容审核未通过,请修改提示词或参考图后重试"


@pytest.fixture(autouse=True)
def _no_provider(settings):
    settings.CHANJING_BASE_URL = "http://127.0.0.1:9/sandbox"


def failed(team, raw: str, **fields) -> Generation:
    return Generation.objects.create(
        workspace=team["workspace"],
        project=team["project"],
        created_by=team["editor"],
        prompt=fields.pop("prompt", "a shot that failed"),
        model_code="Doubao-Seedance-1.0-lite-i2v",
        status=Status.FAILED,
        error_kind=problems.TASK_FAILED,
        error_raw=raw,
        error_message=problems.in_english(problems.TASK_FAILED, raw=raw),
        finished_at=timezone.now(),
        **fields,
    )


def test_a_provider_error_that_was_not_charged_says_so():
    english = problems.in_english(problems.TASK_FAILED, raw=NOT_CHARGED)
    assert "not charged, try later" in english
    with translation.override("zh-hans"):
        assert "未扣费" in problems.describe(problems.TASK_FAILED, raw=NOT_CHARGED)


def test_a_content_check_failure_offers_edit_prompt_first(sign_in_as, team):
    refused = failed(team, REJECTED, prompt="a refused prompt")
    page = sign_in_as("editor").get(f"/projects/{team['project'].code}/").content.decode()
    card = page.split(f'id="gen-{refused.code}"')[1].split("</article>")[0]
    edit, retry = card.index("Edit prompt"), card.index("Retry as is")
    assert edit < retry
    assert f'data-use-prompt="{refused.prompt}"' in card  # fills the composer in place


def test_other_failures_offer_retry(sign_in_as, team):
    broken = failed(team, NOT_CHARGED)
    page = sign_in_as("editor").get(f"/projects/{team['project'].code}/").content.decode()
    card = page.split(f'id="gen-{broken.code}"')[1].split("</article>")[0]
    assert "Edit prompt" not in card and ">Retry</button>" in re.sub(r"<svg.*?</svg>\s*", "", card)
    assert "you were not charged, try later" in card


def test_a_retry_folds_into_the_original_card(sign_in_as, team):
    group = uuid.uuid4()
    broken = failed(team, NOT_CHARGED, take_group=group, take_index=2)
    client = sign_in_as("editor")
    response = client.post(f"/g/{broken.code}/retry", **HTMX)
    retry = Generation.objects.get(parent=broken)
    assert response["HX-Retarget"] == f"#gen-{broken.code}" and response["HX-Reswap"] == "outerHTML"
    assert (retry.take_group, retry.take_index) == (group, 2)  # still Take 2 of its group
    page = client.get(f"/projects/{team['project'].code}/").content.decode()
    assert f'id="gen-{retry.code}"' in page
    assert f'id="gen-{broken.code}"' not in page  # one card per attempt at a shot, not a pile


def test_progress_is_estimated_from_the_recent_median_of_each_stage(sign_in_as, team):
    now = timezone.now()
    for sending, rendering in ((10, 100), (20, 120), (30, 140)):
        done = finished_generation(team["workspace"], team["project"], team["editor"])
        Generation.objects.filter(pk=done.pk).update(
            created_at=now - timedelta(seconds=sending + rendering),
            submitted_at=now - timedelta(seconds=rendering),
            finished_at=now,
        )
    estimates = stage_estimates(team["workspace"])
    assert (estimates.sending, estimates.rendering) == (20, 120)
    running = Generation.objects.create(
        workspace=team["workspace"],
        project=team["project"],
        created_by=team["editor"],
        prompt="in flight",
        model_code="m",
        status=Status.SUBMITTED,
        provider_status="Generating",
        created_at=now - timedelta(seconds=50),
        submitted_at=now - timedelta(seconds=30),
        next_attempt_at=now + timedelta(hours=1),
    )
    estimate = estimates.for_generation(running, now=now)
    assert estimate.percent == round(100 * 50 / 140)
    assert estimate.words == "About 2 minutes left."
    card = sign_in_as("editor").get(f"/g/{running.code}/card").content.decode()
    assert re.search(r'<progress max="100" value="3\d"', card) and "About 2 minutes left." in card


def test_the_form_owns_the_frame_rule_with_a_kept_parent_frame(team):
    parent = finished_generation(team["workspace"], team["project"], team["editor"])
    parent.start_frame = ""
    parent.end_frame = parent.start_frame.field.attr_class(
        parent, parent.start_frame.field, "frames/x/end.png"
    )
    data = {"prompt": "p", "aspect_ratio": "9:16", "clarity": "720", "duration": "5", "keep_end_frame": "on"}
    form = GenerationForm(data, parent=parent)
    assert not form.is_valid()
    assert form.errors["end_frame"] == ["An end frame needs a start frame."]
    # With a new start frame the kept end frame is fine, and comes from the parent.
    form = GenerationForm(data, {"start_frame": image_file()}, parent=parent)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["end_frame"].name == "frames/x/end.png"


def test_a_malformed_remix_code_is_refused_by_the_form(sign_in_as, team):
    client = sign_in_as("editor")
    data = {"prompt": "p", "aspect_ratio": "9:16", "clarity": "720", "duration": "5", "remix_of": "nope"}
    assert client.post(f"/projects/{team['project'].code}/generate", data).status_code == 200
    assert not Generation.objects.exists()


def test_the_last_workspace_is_remembered_across_sign_ins(client, team):
    assert client.post("/accounts/login/", {"username": "viewer", "password": PASSWORD}).status_code == 302
    assert "Team" not in client.get("/projects/").content.decode().split("<main")[0].split("ws-name")[1][:40]
    client.post("/workspaces/switch", {"workspace": str(team["workspace"].code)})
    client.logout()
    assert client.post("/accounts/login/", {"username": "viewer", "password": PASSWORD}).status_code == 302
    assert SESSION_KEY not in client.session
    header = client.get("/projects/").content.decode().split("<main")[0]
    assert '<span class="ws-name">Team</span>' in header
