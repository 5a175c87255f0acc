"""Chinese and English: a complete, compiled catalog; pages, errors and emails follow the language."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import mail
from django.utils import translation

from studio.chanjing.explain import explain

PO = Path(settings.BASE_DIR) / "studio" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


def read_po(path: Path) -> list[dict[str, Any]]:
    """The entries of a .po file: msgctxt, msgid, msgid_plural, msgstr (all forms) and flags."""
    entries: list[dict[str, Any]] = []
    entry: dict[str, Any] | None = None
    field: str | tuple[str, int] | None = None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry and "msgid" in entry:
                entries.append(entry)
            entry, field = None, None
            continue
        entry = entry if entry is not None else {"flags": set(), "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif match := re.match(r"(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?) (\".*\")$", line):
            keyword, form, text = match.groups()
            field = ("msgstr", int(form or 0)) if keyword.startswith("msgstr") else keyword
            _append(entry, field, ast.literal_eval(text), reset=True)
        elif line.startswith('"'):
            _append(entry, field, ast.literal_eval(line))
    return entries


def _append(entry: dict[str, Any], field, text: str, reset: bool = False) -> None:
    if isinstance(field, tuple):
        forms = entry["msgstr"]
        forms[field[1]] = ("" if reset else forms.get(field[1], "")) + text
    else:
        entry[field] = ("" if reset else entry.get(field, "")) + text


def placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdf]|\{\w+\}", text))


ENTRIES = [e for e in read_po(PO) if e["msgid"]]


def test_the_catalog_has_entries_from_templates_python_and_emails():
    msgids = {e["msgid"] for e in ENTRIES}
    assert len(msgids) > 250
    assert {
        "Generate video",
        "Write a prompt first.",
        "The provider could not generate this video.",
    } <= msgids
    assert any(m.startswith("%(inviter)s invited you to join the team") for m in msgids)


def test_every_msgid_is_translated_and_keeps_its_placeholders():
    problems = []
    for entry in ENTRIES:
        msgstrs = list(entry["msgstr"].values())
        if "fuzzy" in entry["flags"]:
            problems.append(("fuzzy: check it and drop the flag", entry["msgid"]))
        if not msgstrs or not all(msgstrs):
            problems.append(("not translated", entry["msgid"]))
        elif any(placeholders(m) != placeholders(entry["msgid"]) for m in msgstrs):
            problems.append(("placeholders differ", entry["msgid"]))
    assert not problems, f"{len(problems)} entries of {PO.name} need work: {problems}"


def test_the_committed_mo_matches_the_po():
    """A fresh machine may lack gettext, so the compiled catalog is committed: it must not be stale."""
    with MO.open("rb") as fp:
        catalog = gettext.GNUTranslations(fp)
    for entry in ENTRIES:
        if "msgid_plural" in entry:
            got = catalog.ngettext(entry["msgid"], entry["msgid_plural"], 1)
        elif "msgctxt" in entry:
            got = catalog.pgettext(entry["msgctxt"], entry["msgid"])
        else:
            got = catalog.gettext(entry["msgid"])
        assert got == entry["msgstr"][0], f"recompile: {entry['msgid'][:60]!r}"


# --- Pages follow the browser's language, and the switcher overrides it ---------------------


def test_a_browser_asking_for_chinese_gets_chinese(client, alice, alice_project):
    client.force_login(alice)
    page = client.get(f"/projects/{alice_project.code}/", **ZH).content.decode()
    assert '<html lang="zh-hans"' in page
    assert "生成视频" in page and "提示词" in page and "项目" in page
    assert "Generate video" not in page
    # The form's client-side messages come translated from the template, placeholders intact.
    assert 'data-msg-too-small="图片尺寸为 {w}×{h} 像素，短边至少需要 300 像素。"' in page
    assert "{used} / {max} 字" in page


def test_an_english_browser_gets_english(client, alice, alice_project):
    client.force_login(alice)
    page = client.get(f"/projects/{alice_project.code}/", **EN).content.decode()
    assert '<html lang="en"' in page and "Generate video" in page and "生成视频" not in page


def test_the_switcher_is_a_plain_form_that_changes_the_language(client, alice, alice_project):
    client.force_login(alice)
    url = f"/projects/{alice_project.code}/"
    page = client.get(url, **EN).content.decode()
    switcher = re.search(
        r'<form class="language-switcher" method="post" action="([^"]+)">(.*?)</form>', page, re.S
    )
    assert switcher and switcher[1] == "/i18n/setlang/"
    assert '<label for="language-select" class="menu-label">Language</label>' in switcher[2]
    assert '<option value="zh-hans" lang="zh-hans">简体中文</option>' in switcher[2]
    assert 'type="submit"' in switcher[2]  # works without JavaScript

    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": url}, **EN)
    assert response.status_code == 302 and response["Location"] == url
    page = client.get(url, **EN).content.decode()  # the choice beats the browser's language
    assert "生成视频" in page and '<option value="zh-hans" lang="zh-hans" selected>' in page

    client.post("/i18n/setlang/", {"language": "en", "next": url}, **ZH)
    assert "Generate video" in client.get(url, **ZH).content.decode()


def test_signed_out_pages_have_the_switcher_too(client, db):
    page = client.get("/accounts/login/", **ZH).content.decode()
    assert "登录" in page and 'action="/i18n/setlang/"' in page


def test_form_errors_are_in_the_page_language(client, alice, alice_project):
    client.force_login(alice)
    page = client.post(f"/projects/{alice_project.code}/generate", {"prompt": " "}, **ZH).content.decode()
    assert "请先填写提示词。" in page


def test_provider_explanations_are_translated():
    with translation.override("zh-hans"):
        assert explain(code=40001) == "视频服务当前繁忙，我们会自动重试。"
        assert explain(msg="内容审核未通过") == "视频未通过内容审核，请修改提示词或更换图片。"
    with translation.override("en"):
        assert explain(code=40001) == "The video service is busy right now. We will retry automatically."


def test_an_invitation_email_is_written_in_the_inviters_language(client, sign_in_as, team):
    sign_in_as("owner")
    response = client.post(
        f"/workspaces/{team['workspace'].code}/invitations",
        {"role": "viewer", "email": "new@example.com"},
        **ZH,
    )
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.subject == "owner 邀请你加入 Seedance Studio 上的“Team”"
    assert "查看者身份加入" in message.body and "打开以下链接即可接受邀请" in message.body
