"""Issue 9: Simplified Chinese by default, English on request, the choice remembered per user.

The header's switch posts to /accounts/language/ (jointreview/middleware_language.py), which checks the
code, stores it on the signed-in user and in the language cookie and goes back to a ``next`` of this
site; UserLanguageMiddleware gives a signed-in user their own language whatever the browser asks for."""
from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from jointreview.models import AuditEvent
from tests.factories import CoordinatorFactory, LeadFactory, OwnerUserFactory, ReviewerFactory

pytestmark = pytest.mark.django_db

LANGUAGE_URL = "/accounts/language/"
COOKIE = settings.LANGUAGE_COOKIE_NAME
CJK = r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]"
# "受理窗口 Intake window", "Inbox 审查任务": a Chinese text and its English twin side by side
BILINGUAL = re.compile(rf"{CJK}+[ \t]*[A-Za-z]{{2,}}|[A-Za-z]{{2,}}[ \t]*{CJK}")


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


def header(response) -> list[str]:
    """The header's texts (one per text node), without the language switch (which names both languages,
    each in its own, by design)."""
    html = response.content.decode()
    head = html.split('<header class="topbar">', 1)[1].split("</header>", 1)[0]
    head = re.sub(r'<form[^>]*id="language-switch".*?</form>', "", head, flags=re.S)
    texts = (re.sub(r"\s+", " ", t).strip() for t in re.split(r"<[^>]+>", head))
    return [t for t in texts if t]


def bilingual(texts: list[str]) -> list[str]:
    return [t for t in texts if BILINGUAL.search(t)]


# ------------------------------------------------------------------------------ choosing a language

def test_anonymous_pages_are_chinese_by_default():
    response = Client().get(reverse("login"))
    assert html_lang(response) == "zh-hans" and response["Content-Language"] == "zh-hans"
    body = response.content.decode()
    assert "<h1>登录</h1>" in body and "工程建设项目联合审查" in body
    assert 'id="language-switch"' in body and 'name="language" value="en"' in body  # offered to everyone


def test_anonymous_pages_follow_accept_language_and_the_cookie():
    assert "<h1>Log in</h1>" in Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("login")).content.decode()
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    client.cookies[COOKIE] = "en"
    response = client.get(reverse("login"))
    assert html_lang(response) == "en" and "Joint review of construction projects" in response.content.decode()


def test_anonymous_choice_sets_the_cookie_and_goes_back():
    client = Client()
    response = client.post(LANGUAGE_URL, {"language": "en", "next": "/accounts/login/?next=/review/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/review/"
    assert response.cookies[COOKIE].value == "en" and response.cookies[COOKIE]["max-age"] == settings.LANGUAGE_COOKIE_AGE
    assert "<h1>Log in</h1>" in client.get(response["Location"]).content.decode()


def test_a_signed_in_choice_is_stored_on_the_user_and_wins_over_the_browser():
    user = OwnerUserFactory()
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    client.force_login(user)
    response = client.post(LANGUAGE_URL, {"language": "en", "next": "/intake/projects/"})
    assert response.status_code == 302 and response["Location"] == "/intake/projects/"
    user.refresh_from_db()
    assert user.language == "en"
    # another browser (Chinese, with a Chinese cookie) of the same user: English, and the cookie follows
    other = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    other.cookies[COOKIE] = "zh-hans"
    other.force_login(user)
    page = other.get("/intake/projects/")
    assert html_lang(page) == "en" and page["Content-Language"] == "en"
    assert "<h1>Projects</h1>" in page.content.decode()
    assert page.cookies[COOKIE].value == "en"
    # back to Chinese
    other.post(LANGUAGE_URL, {"language": "zh-hans", "next": "/intake/projects/"})
    user.refresh_from_db()
    assert user.language == "zh-hans"
    again = Client(HTTP_ACCEPT_LANGUAGE="en")  # an English browser: the user's Chinese wins
    again.force_login(user)
    assert "<h1>项目</h1>" in again.get("/intake/projects/").content.decode()


def test_a_user_without_a_choice_gets_the_browser_language():
    user = ReviewerFactory()
    assert user.language == ""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    response = client.get(reverse("review:inbox"))
    assert html_lang(response) == "en" and COOKIE not in response.cookies
    client = Client()
    client.force_login(user)
    assert html_lang(client.get(reverse("review:inbox"))) == "zh-hans"


def test_the_choice_is_a_preference_not_an_audited_change():
    user = CoordinatorFactory()
    client = Client()
    client.force_login(user)
    before = AuditEvent.objects.count()
    assert client.post(LANGUAGE_URL, {"language": "en", "next": "/"}).status_code == 302
    assert AuditEvent.objects.count() == before


# ------------------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("code", ["", "fr", "zh-Hans ", "EN", "en-us<script>", "x" * 500])
def test_an_unknown_language_is_refused_with_a_message(code):
    user = OwnerUserFactory(language="zh-hans")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    response = client.post(LANGUAGE_URL, {"language": code, "next": "/"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "未知的语言" in body and "zh-hans (简体中文), en (English)" in body  # in the user's own language
    assert "<script>" not in body.split("<main>", 1)[1]  # the code is shown escaped
    assert COOKIE not in response.cookies or response.cookies[COOKIE].value == "zh-hans"  # the user's own
    user.refresh_from_db()
    assert user.language == "zh-hans"


def test_an_unknown_language_is_refused_in_english_for_an_english_page():
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(LANGUAGE_URL, {"language": "fr"})
    assert response.status_code == 400
    assert "Unknown language “fr”. Choose one of: zh-hans (简体中文), en (English)." in response.content.decode()


@pytest.mark.parametrize("next_url", [
    "https://evil.example/", "//evil.example/x", "http://evil.example", "javascript:alert(1)", "", "https:///evil.example",
])
def test_an_off_site_next_is_not_followed(next_url):
    user = OwnerUserFactory()
    client = Client()
    client.force_login(user)
    response = client.post(LANGUAGE_URL, {"language": "en", "next": next_url})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    user.refresh_from_db()
    assert user.language == "en"  # the choice itself is kept


def test_only_a_post_with_the_csrf_token_changes_the_language():
    user = OwnerUserFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get(LANGUAGE_URL, {"language": "en"}).status_code == 405
    assert client.post(LANGUAGE_URL, {"language": "en", "next": "/"}).status_code == 403  # no token
    user.refresh_from_db()
    assert user.language == ""
    page = client.get("/intake/projects/")
    token = re.search(r'id="language-switch".*?name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode(),
                      re.S).group(1)
    response = client.post(LANGUAGE_URL, {"language": "en", "next": "/intake/projects/", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "en"


# ------------------------------------------------------------------------------ what pages show

ROLES = {
    "owner": (OwnerUserFactory, "/intake/projects/", "我的项目", "My projects", "建设单位经办人", "Owner staff"),
    "reviewer": (ReviewerFactory, "/review/", "审查任务", "Inbox", "审查人员", "Agency reviewer"),
    "lead": (LeadFactory, "/review/", "审查任务", "Inbox", "机构负责人", "Agency lead"),
    "coordinator": (CoordinatorFactory, "/intake/window/", "受理窗口", "Intake window", "中心协调员", "Centre coordinator"),
}


@pytest.mark.parametrize("role", ROLES)
def test_header_and_menu_speak_one_language(role):
    factory, url, menu_zh, menu_en, role_zh, role_en = ROLES[role]
    user = factory(display_name="王敏")
    client = Client()
    client.force_login(user)
    zh = client.get(url)
    assert zh.status_code == 200
    texts = header(zh)
    text = " | ".join(texts)
    assert menu_zh in texts and "首页" in texts and role_zh in text and "修改密码" in texts and "退出" in texts
    assert not bilingual(texts), f"bilingual text in the header: {bilingual(texts)}"
    user.language = "en"
    user.save(update_fields=["language"])
    en = client.get(url)
    texts = header(en)
    text = " | ".join(texts)
    assert menu_en in texts and "Home" in texts and role_en in text and "Change password" in texts and "Log out" in texts
    assert menu_zh not in text and role_zh not in text
    assert not bilingual(texts), f"bilingual text in the header: {bilingual(texts)}"
    # the switch offers the other language, named in that language
    assert '<button type="submit" class="link" name="language" value="zh-hans" lang="zh-hans">简体中文</button>' \
        in en.content.decode()


def test_home_cards_are_translated():
    user = CoordinatorFactory(language="en")
    client = Client()
    client.force_login(user)
    body = client.get("/").content.decode()
    assert "Check completeness, notify once, accept." in body and "完整性审查" not in body
    user.language = "zh-hans"
    user.save(update_fields=["language"])
    body = client.get("/").content.decode()
    assert "完整性审查、一次告知、受理。" in body and "Check completeness" not in body


def test_error_pages_follow_the_language(en_client):
    assert "This page does not exist, or you may not see it." in en_client.get("/no/such/page/").content.decode()
    assert "该页面不存在, 或您无权查看。" in Client().get("/no/such/page/").content.decode()


def test_the_language_field_is_limited_to_the_site_languages():
    from projects.models import User

    field = User._meta.get_field("language")
    assert field.blank and [c for c, _ in field.choices] == [c for c, _ in settings.LANGUAGES]


def test_the_bilingual_detector_finds_the_old_labels():
    for text in ("受理窗口 Intake window", "审查任务 Inbox", "退出 Log out", "Sign (不可再修改 final)"):
        assert BILINGUAL.search(text), text
    for text in ("示范市政务服务中心 · Joint review of construction projects", "王敏 · 政务服务中心 · Centre coordinator",
                 "Intake window", "受理窗口"):
        assert not BILINGUAL.search(text), text
