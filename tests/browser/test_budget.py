"""The owner's budget bar on a phone, and the agency's remaining budget on its inbox row (docs: issue 10)."""
from __future__ import annotations

import pytest
from django.utils import timezone

from tests.browser.chromium import skip_without_chromium
from tests.browser.support import accepted_app, make_world

skip_without_chromium()  # before importing playwright

from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.browser


def test_owner_sees_the_budget_bar_on_a_phone_and_the_agency_on_its_inbox(new_page, shot):
    w = make_world()
    w.project.filing_date = timezone.localdate()
    w.project.save(update_fields=["filing_date"])
    accepted_app(w)
    page = new_page(w.owner)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/intake/projects/{w.project.pk}/")
    bar = page.locator(f"#budget-{w.project.pk} svg.budget-bar")
    expect(bar).to_be_visible()
    box = bar.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # the bar fits the phone's width
    # the bar's accessible name is the summary in words (role img, aria-labelledby)
    summary = page.locator(f"#budget-{w.project.pk}-text")
    expect(summary).to_contain_text("政府审批用时")
    expect(page.locator(f"#budget-{w.project.pk} .budget-legend")).to_contain_text("中介服务")
    assert bar.get_attribute("aria-labelledby") == f"budget-{w.project.pk}-text"
    shot(page, "owner-budget-phone")

    agency = new_page(w.sides[0].lead)
    agency.goto("/review/")
    expect(agency.locator("td.project-budget").first).to_contain_text("/ 40 个工作日")
