"""Journeys through the single window: the owner applies and uploads, the centre checks and accepts
(the agency sees the assignment), or returns with ONE notice listing every defect (一次告知)."""
from __future__ import annotations

import re

import pytest

from tests.browser.chromium import skip_without_chromium
from tests.browser.support import (
    assignment_of,
    login,
    make_world,
    pdf_upload,
    submitted_app,
)

skip_without_chromium()  # before importing playwright

from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.browser


def test_owner_applies_centre_accepts_agency_sees_the_assignment(new_page, shot):
    w = make_world()
    fire, defence = w.sides

    # --- the owner: login page -> project list -> project -> open a 多图联审 application
    owner = new_page()
    login(owner, w.owner)
    owner.get_by_role("link", name="我的项目").first.click()
    expect(owner.locator("h1")).to_have_text("项目")
    owner.get_by_role("link", name=w.project.code).click()
    expect(owner.locator("h1")).to_contain_text(w.project.name)
    owner.select_option("select[name=workflow]", label="多图联审")
    owner.get_by_role("button", name="发起申请").click()
    expect(owner.locator(".messages .success")).to_contain_text("已创建申请")
    expect(owner.locator("#status")).to_have_text("草稿")

    # every item of the workflow, required or not, with the reason the owner can read
    rows = owner.locator("tr.required")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="消防设计审查")).to_contain_text("always")
    expect(rows.filter(has_text="人防设计审查")).to_contain_text("地下建筑面积 5000㎡ > 0㎡")
    skipped = owner.locator("tr.not-required")
    expect(skipped).to_have_count(1)
    expect(skipped).to_contain_text("超限高层建筑抗震设防审查")
    expect(skipped).to_contain_text("否")
    expect(skipped).to_contain_text("建筑高度 60m")
    expect(skipped).to_contain_text("not required")
    # only the required items' materials are asked for; submitting is not possible yet
    materials = owner.locator("tr[id^=material-]")
    expect(materials).to_have_count(2)
    expect(owner.locator("p.warn")).to_contain_text("提交前还需")
    expect(owner.get_by_text("抗震专项论证报告")).to_have_count(0)

    # upload a PDF for each required material through its file input
    for name in ("消防设计文件", "人防设计文件"):
        row = materials.filter(has_text=name)
        row.locator("input[type=file]").set_input_files(pdf_upload(f"{name}.pdf"))
        row.get_by_role("button", name="上传").click()
        expect(owner.locator(".messages .success")).to_contain_text(f"「{name}」已上传第 1 版")
        expect(materials.filter(has_text=name)).to_contain_text(f"v1 {name}.pdf")
    expect(owner.locator("p.warn")).to_have_count(0)
    owner.get_by_role("button", name="提交申请").click()
    expect(owner.locator(".messages .success")).to_contain_text("已提交")
    expect(owner.locator("#status")).to_have_text("已提交待受理")
    number = owner.locator("h1").inner_text().split("·")[-1].strip()
    assert re.match(r"JR-", number), number

    # --- the coordinator: window queue -> completeness check, each material ok -> accept
    centre = new_page()
    login(centre, w.coordinator)
    centre.get_by_role("link", name="受理窗口").first.click()
    queue = centre.locator("table").first
    expect(queue).to_contain_text(number)
    expect(queue).to_contain_text(w.project.name)
    queue.get_by_role("link", name=number).click()
    expect(centre.locator("h1")).to_contain_text(f"完整性审查 · {number}")
    selects = centre.locator("select[name$=-status]")
    expect(selects).to_have_count(2)
    for i in range(2):
        selects.nth(i).select_option("ok")
    centre.get_by_role("button", name="保存审查结果").click()
    expect(centre.locator(".messages .success")).to_contain_text("审查结果已保存")
    centre.get_by_role("button", name="受理", exact=True).click()
    expect(centre.locator(".messages .success")).to_contain_text(f"{number} 已受理: 已分派各审查部门")
    expect(centre.locator("#status")).to_have_text("已受理审查中")
    assigned = centre.locator("h2:has-text('部门审查') + table tbody tr")
    expect(assigned).to_have_count(2)
    expect(assigned.filter(has_text=fire.agency.name)).to_contain_text("待分派")

    # --- the fire agency: the lead sees the new, unassigned assignment with its due date and light
    a = assignment_of(w.project.applications.get(), fire)
    assert a.due_date is not None
    due, light = a.due_date.strftime("%Y-%m-%d"), a.clock.get_light_display()
    lead = new_page(fire.lead)
    lead.goto("/")
    lead.get_by_role("link", name="审查任务").first.click()
    row = lead.locator("tr.assignment-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(number)
    expect(row).to_contain_text("消防设计审查")
    expect(row).to_contain_text(due)
    expect(row.locator(".light")).to_have_text(light)
    expect(row.locator(".light")).to_have_class(re.compile(rf"light-{a.clock.light}"))
    expect(row).to_contain_text("待分派")
    # the lead assigns the reviewer; the reviewer's own inbox then lists it
    row.get_by_role("link", name=number).click()
    lead.select_option("#reviewer", label=str(fire.reviewer))
    lead.get_by_role("button", name="指派").click()
    expect(lead.locator(".messages .success")).to_contain_text("已指派")

    reviewer = new_page(fire.reviewer)
    reviewer.goto("/review/")
    row = reviewer.locator("tr.assignment-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(number)
    expect(row).to_contain_text(due)
    expect(row.locator(".light")).to_have_text(light)
    expect(row).to_contain_text(str(fire.reviewer))
    shot(reviewer, "journey1-reviewer-inbox")


def test_one_time_notice_lists_every_defect_and_its_pdf_opens(new_page, shot):
    w = make_world()
    app = submitted_app(w)

    centre = new_page(w.coordinator)
    centre.goto(f"/intake/applications/{app.pk}/check/")
    rows = centre.locator("form tbody tr")
    expect(rows).to_have_count(2)
    fire_row, defence_row = rows.filter(has_text="消防设计文件"), rows.filter(has_text="人防设计文件")
    fire_row.locator("select").select_option("missing")
    fire_row.locator("input[name$=-note]").fill("未提供消防设计说明")
    defence_row.locator("select").select_option("defective")
    defence_row.locator("input[name$=-note]").fill("图纸未加盖出图章")
    centre.get_by_role("button", name="保存审查结果").click()
    expect(centre.locator(".messages .success")).to_contain_text("审查结果已保存")
    centre.get_by_role("button", name="退回补正 (一次告知)").click()
    expect(centre.locator(".messages .success")).to_contain_text("已一次告知 2 项并退回")
    expect(centre.locator("h1")).to_have_text("受理窗口")

    owner = new_page(w.owner)
    owner.goto(f"/intake/applications/{app.pk}/")
    expect(owner.locator("#status")).to_have_text("一次告知补正")
    notices = owner.locator("section[id^=notice-]")
    expect(notices).to_have_count(1)  # ONE notice ...
    defects = notices.locator("li")
    expect(defects).to_have_count(2)  # ... listing both defects
    expect(defects.filter(has_text="消防设计文件")).to_contain_text("缺失 — 未提供消防设计说明")
    expect(defects.filter(has_text="人防设计文件")).to_contain_text("不符合要求 — 图纸未加盖出图章")
    # the owner may upload again now (the application is editable after a return)
    expect(owner.locator("tr[id^=material-] input[type=file]")).to_have_count(2)
    shot(owner, "journey2-owner-notice")

    href = notices.get_by_role("link", name="PDF").get_attribute("href")
    response = owner.request.get(href)  # the browser context's session cookie
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF-")
    # opening it in the tab answers the same document
    with owner.expect_response(lambda r: r.url.endswith(href)) as info:
        owner.goto(href, wait_until="commit")
    assert info.value.status == 200 and info.value.headers["content-type"] == "application/pdf"
