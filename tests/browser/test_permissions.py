"""Permissions through the browser: typing the URL of someone else's application or assignment gets the
404 page (the same as for a missing one), while the rightful user sees the page."""
from __future__ import annotations

import pytest

from tests.browser.chromium import skip_without_chromium
from tests.browser.support import accepted_app, assignment_of, make_world

skip_without_chromium()  # before importing playwright

from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.browser


def _is_404_page(page, response) -> None:
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("未找到")  # the site's 404 page, inside the layout
    expect(page.locator("main")).to_contain_text("或您无权查看")


def test_other_owner_and_other_agency_get_404_for_urls_they_type(new_page, shot):
    w = make_world()
    app = accepted_app(w)
    fire, defence = w.sides
    app_url = f"/intake/applications/{app.pk}/"
    fire_url = f"/review/assignments/{assignment_of(app, fire).pk}/"

    # the owner of another organization types the first owner's application URL
    intruder = new_page(w.other_owner)
    _is_404_page(intruder, intruder.goto(app_url))
    expect(intruder.locator("body")).not_to_contain_text(w.project.name)
    _is_404_page(intruder, intruder.goto(f"/intake/projects/{w.project.pk}/"))
    _is_404_page(intruder, intruder.goto(f"/review/applications/{app.pk}/rounds/"))
    shot(intruder, "journey4-other-owner-404")
    # a page of another role is refused with its reason, inside the layout
    assert intruder.goto("/intake/window/").status == 403
    expect(intruder.locator("h1")).to_have_text("无权操作")
    expect(intruder.locator("main")).to_contain_text("受理窗口仅限中心人员")
    # ... while the first owner sees it
    owner = new_page(w.owner)
    assert owner.goto(app_url).status == 200
    expect(owner.locator("h1")).to_contain_text(app.number)

    # a reviewer of another agency types the fire agency's assignment URL
    other = new_page(defence.reviewer)
    _is_404_page(other, other.goto(fire_url))
    expect(other.locator("body")).not_to_contain_text(w.project.name)
    # an agency that has no assignment on the application at all
    stranger = new_page(w.stranger_agency_user)
    _is_404_page(stranger, stranger.goto(fire_url))
    _is_404_page(stranger, stranger.goto(app_url))
    # ... while the fire reviewer opens it
    reviewer = new_page(fire.reviewer)
    assert reviewer.goto(fire_url).status == 200
    expect(reviewer.locator("h1")).to_contain_text(w.project.name)
