"""Issue 9: every role's main pages in Chinese (the default) and in English, chosen with the header's
switch as a person clicks it; the choice is the user's (it survives logging out, a fresh browser and
logging in again), and no header or menu shows a Chinese text with its English twin."""
from __future__ import annotations

import re

import pytest

from projects.models import User
from tests.browser.chromium import skip_without_chromium
from tests.browser.support import HOME_URL, accepted_app, assignment_of, make_world
from tests.factories import PASSWORD

skip_without_chromium()  # before importing playwright

from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.browser

CJK = r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]"
BILINGUAL = re.compile(rf"{CJK}+[ \t]*[A-Za-z]{{2,}}|[A-Za-z]{{2,}}[ \t]*{CJK}")

# the header's texts, one per text node, without the language switch (it names both languages by design)
HEADER_TEXTS = """() => {
  const out = [];
  const walk = document.createTreeWalker(document.querySelector("header.topbar"), NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    if (n.parentElement.closest("#language-switch")) continue;
    const t = n.textContent.replace(/\\s+/g, " ").trim();
    if (t) out.push(t);
  }
  return out;
}"""


def login_any_language(page, user) -> None:
    """Log in through the login page whatever language it speaks."""
    page.goto("/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(HOME_URL)
    assert page.locator(".who").inner_text().startswith(str(user)), "login failed"


def switch_to(page, language_name: str, lang: str) -> None:
    """Click the header's language button and come back to the same page."""
    url = page.url
    with page.expect_navigation():
        page.locator("#language-switch").get_by_role("button", name=language_name).click()
    assert page.url == url
    expect(page.locator("html")).to_have_attribute("lang", lang)


def check_header(page, *, menu: str, home: str, log_out: str) -> None:
    texts = page.evaluate(HEADER_TEXTS)
    assert menu in texts and home in texts and log_out in texts, texts
    doubled = [t for t in texts if BILINGUAL.search(t)]
    assert not doubled, f"a bilingual text in the header or menu of {page.url}: {doubled}"


def walk(page, pages, lang: str, menu: str) -> None:
    """Open each (url, selector, Chinese label, English label): its label and its header in ``lang``."""
    for url, selector, zh, en in pages:
        response = page.goto(url)
        assert response.status == 200, url
        expect(page.locator("html")).to_have_attribute("lang", lang)
        label = page.locator(selector).first
        expect(label).to_contain_text(zh if lang == "zh-hans" else en)
        expect(label).not_to_contain_text(en if lang == "zh-hans" else zh)
        if lang == "zh-hans":
            check_header(page, menu=menu, home="首页", log_out="退出")
        else:
            check_header(page, menu=menu, home="Home", log_out="Log out")


def journey(new_page, shot, name: str, user, pages, menu_zh: str, menu_en: str) -> None:
    page = new_page()
    login_any_language(page, user)  # a Chinese browser (zh-CN) and no choice yet: Chinese
    walk(page, pages, "zh-hans", menu_zh)
    shot(page, f"languages-{name}-zh")

    # switch on the first page, as a person clicks; every page then speaks English
    page.goto(pages[0][0])
    switch_to(page, "English", "en")
    expect(page.locator(pages[0][1]).first).to_contain_text(pages[0][3])
    check_header(page, menu=menu_en, home="Home", log_out="Log out")
    walk(page, pages, "en", menu_en)
    shot(page, f"languages-{name}-en")
    user.refresh_from_db()
    assert user.language == "en"

    # log out (the login page keeps the language) ...
    page.locator(".who").get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    expect(page.locator("h1")).to_have_text("Log in")
    # ... and in again from a fresh Chinese browser (no cookie): the user's English, not the browser's
    fresh = new_page()
    fresh.goto("/accounts/login/")
    expect(fresh.locator("h1")).to_have_text("登录")
    login_any_language(fresh, user)
    expect(fresh.locator("html")).to_have_attribute("lang", "en")
    walk(fresh, pages, "en", menu_en)

    # and back to Chinese
    switch_to(fresh, "简体中文", "zh-hans")
    walk(fresh, pages, "zh-hans", menu_zh)
    user.refresh_from_db()
    assert user.language == "zh-hans"


def test_owner_pages_in_both_languages(new_page, shot):
    w = make_world()
    app = accepted_app(w)
    pages = [
        ("/intake/projects/", "h1", "项目", "Projects"),
        (f"/intake/applications/{app.pk}/", "main h2", "审批事项", "Items"),
    ]
    journey(new_page, shot, "owner", w.owner, pages, "我的项目", "My projects")


def test_agency_pages_in_both_languages(new_page, shot):
    w = make_world()
    app = accepted_app(w)
    side = w.sides[0]
    a = assignment_of(app, side)
    pages = [
        ("/review/", "h1", "审查任务", "Inbox"),
        (f"/review/assignments/{a.pk}/", "#portion", "您的审查范围", "Your portion"),
    ]
    journey(new_page, shot, "agency", side.lead, pages, "审查任务", "Inbox")


def test_coordinator_pages_in_both_languages(new_page, shot):
    w = make_world()
    accepted_app(w)
    pages = [
        ("/intake/window/", "h1", "受理窗口", "Intake window"),
        ("/review/coordination/", "h1", "审查协调", "Coordination"),
        ("/clocks/", "h1", "时限监察", "Deadlines"),
    ]
    journey(new_page, shot, "coordinator", w.coordinator, pages, "受理窗口", "Intake window")


def test_users_keep_their_own_language(new_page):
    """One user's English is not another's: the owner chose English, the coordinator did not."""
    w = make_world()
    User.objects.filter(pk=w.owner.pk).update(language="en")
    owner = new_page()
    login_any_language(owner, w.owner)
    expect(owner.locator("html")).to_have_attribute("lang", "en")
    centre = new_page()
    login_any_language(centre, w.coordinator)
    expect(centre.locator("html")).to_have_attribute("lang", "zh-hans")
    check_header(centre, menu="受理窗口", home="首页", log_out="退出")
