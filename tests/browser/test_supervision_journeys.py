"""电子监察 journeys: a coordinator answers a 督办 (supervision record) and closes it, only by clicking; a
reviewer asks for a clock extension and the agency lead approves it."""
from __future__ import annotations

import pytest

from jointreview.models import Clock, ExtensionRequest, SupervisionRecord
from jointreview.supervision.services import escalation_sweep
from tests.browser.chromium import skip_without_chromium
from tests.browser.support import accepted_app, assignment_of, make_world

skip_without_chromium()  # before importing playwright

from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.browser


def test_coordinator_answers_and_closes_a_supervision_record_by_clicking(new_page, shot):
    w = make_world()
    app = accepted_app(w)
    a = assignment_of(app, w.sides[0])
    Clock.objects.filter(pk=a.clock_id).update(light="red")  # as the clock sweep leaves an overdue clock
    escalation_sweep()
    record = SupervisionRecord.objects.get(assignment=a)

    page = new_page(w.coordinator)
    page.goto("/")
    page.get_by_role("link", name="督办", exact=True).first.click()
    expect(page.locator("h1")).to_contain_text("督办单")
    page.get_by_role("link", name=record.number).click()
    expect(page.locator("h1")).to_contain_text(record.number)
    expect(page.locator("dl.facts")).to_contain_text("办件已超过办理时限（红灯）")
    expect(page.locator(".supervision-status")).to_contain_text("待答复")
    page.fill("#id_response", "已联系消防审查中心, 明日出具意见")
    page.get_by_role("button", name="提交答复").click()
    expect(page.locator(".messages .success")).to_contain_text("答复已记录")
    expect(page.locator(".supervision-status")).to_contain_text("已答复")
    expect(page.locator(".supervision-response")).to_contain_text("明日出具意见")
    shot(page, "supervision-answered")
    page.fill("#id_note", "已核实")
    page.get_by_role("button", name="办结", exact=True).click()
    expect(page.locator(".supervision-status")).to_contain_text("已办结")
    record.refresh_from_db()
    assert (record.status, record.responded_by, record.closed_by) == ("closed", w.coordinator, w.coordinator)

    # on a phone the record and the list fit the screen's width (a wide table scrolls inside its box)
    page.set_viewport_size({"width": 390, "height": 844})
    for url in (f"/supervision/{record.pk}/", "/supervision/"):
        page.goto(url)
        main_width = page.evaluate("document.querySelector('main').scrollWidth")
        assert main_width <= 390, (url, main_width)


def test_reviewer_asks_for_an_extension_and_the_lead_approves_it(new_page):
    w = make_world()
    app = accepted_app(w)
    side = w.sides[0]
    a = assignment_of(app, side)
    due = a.clock.due_date

    page = new_page(side.reviewer)
    page.goto("/")
    page.get_by_role("link", name="审查任务").first.click()
    page.get_by_role("link", name=app.number).click()
    page.fill("#extension-reason", "需组织专家论证")
    page.get_by_role("button", name="申请延长").click()
    expect(page.locator(".messages .success")).to_contain_text("已申请延长审批")

    lead = new_page(side.lead)
    lead.goto("/")
    lead.get_by_role("link", name="督办", exact=True).first.click()
    lead.get_by_role("button", name="批准延长").click()
    expect(lead.locator(".messages .success")).to_contain_text("已批准延长")
    assert ExtensionRequest.objects.get().status == "approved"
    assert Clock.objects.get(pk=a.clock_id).due_date > due
