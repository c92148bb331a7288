"""The notification centre in the browser: the unread count in the header, the list, following a
notification to its page, and the count dropping (issue 10)."""
from __future__ import annotations

import re

import pytest

from jointreview.notifications.selectors import unread_count
from tests.browser.chromium import skip_without_chromium
from tests.browser.support import accepted_app, assignment_of, make_world

skip_without_chromium()  # before importing playwright

from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.browser


def _count(page):
    return page.locator("#unread-count")


def test_a_reviewer_follows_a_notification_to_the_assignment_and_the_count_drops(new_page, shot):
    w = make_world()
    app = accepted_app(w)
    fire = w.sides[0]
    a = assignment_of(app, fire)
    before = unread_count(fire.reviewer)
    assert before >= 1

    page = new_page(fire.reviewer)
    page.goto("/")
    expect(_count(page)).to_have_text(str(before))
    page.locator("#notifications-link").click()
    expect(page.locator("h1")).to_have_text("通知")
    mine = page.locator("li.notification.unread").filter(has_text=f"您被指派为A角: {app.number}")
    expect(mine).to_have_count(1)
    shot(page, "notifications")
    mine.get_by_role("button").first.click()
    page.wait_for_url(re.compile(rf"/review/assignments/{a.pk}/$"))
    expect(page.locator("h1")).to_contain_text(w.project.name)
    if before > 1:
        expect(_count(page)).to_have_text(str(before - 1))
    else:
        expect(_count(page)).to_have_count(0)
    # the colleague of the same agency still has the organization-wide ones unread
    assert unread_count(fire.lead) >= 1


def test_an_owner_marks_all_read_on_a_phone(new_page, shot):
    w = make_world()
    app = accepted_app(w, assign=False)
    assert unread_count(w.owner) >= 1
    page = new_page(w.owner)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/notifications/")
    item = page.locator("li.notification.unread").filter(has_text=app.number).first
    expect(item).to_be_visible()
    shot(page, "phone")
    page.locator("#read-all").click()
    expect(page.locator(".messages .success")).to_be_visible()
    expect(_count(page)).to_have_count(0)
    expect(page.locator("li.notification.unread")).to_have_count(0)
    # the page fits the phone's width
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
