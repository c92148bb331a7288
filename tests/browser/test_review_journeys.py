"""Journeys of the review: a reviewer writes and signs an opinion; the public checks a certificate."""
from __future__ import annotations

import pytest
from django.utils import timezone

from jointreview.models import Opinion
from jointreview.review import services as review
from tests.browser.chromium import skip_without_chromium
from tests.browser.support import accepted_app, assignment_of, make_world

skip_without_chromium()  # before importing playwright

from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.browser


def test_reviewer_writes_a_finding_and_signs_a_revise_opinion(new_page, shot):
    w = make_world()
    app = accepted_app(w)
    fire = w.sides[0]
    a = assignment_of(app, fire)

    page = new_page(fire.reviewer)
    page.goto("/")
    page.get_by_role("link", name="审查任务").first.click()
    page.get_by_role("link", name=app.number).click()
    expect(page.locator("h1")).to_contain_text(w.project.name)
    expect(page.locator("section.panel").first).to_contain_text(f"到期 {a.due_date:%Y-%m-%d}")
    # the documents of the application are listed for the reviewer
    expect(page.locator("section.panel").nth(1)).to_contain_text("v1")

    page.get_by_role("button", name="开始撰写意见").click()
    expect(page.locator(".messages .success")).to_contain_text("草稿已保存")
    page.select_option("#outcome", "revise")
    page.fill("#summary", "消防设计存在问题, 请修改后复审")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#outcome")).to_have_value("revise")

    # signing a return without any finding is refused, on the page (not a server error)
    page.get_by_role("button", name="签发意见 (不可再修改)").click()
    expect(page.locator(".messages .error")).to_contain_text("不能签署空的退回意见")
    expect(page.locator("h1")).to_contain_text(w.project.name)
    expect(page.locator(".opinion h3")).to_contain_text("草稿")

    # a finding with its standard and clause
    page.fill("#text", "地下车库防火分区面积超过规范限值, 应重新划分防火分区")
    page.fill("#standard", "GB 50016-2014")
    page.fill("#clause", "5.3.1")
    page.check("input[name=mandatory]")
    page.get_by_role("button", name="添加", exact=True).click()
    expect(page.locator(".messages .success")).to_contain_text("已添加意见条目")
    finding = page.locator(".opinion tbody tr").filter(has_text="地下车库防火分区")
    expect(finding).to_contain_text("【强制】")
    expect(finding).to_contain_text("GB 50016-2014 5.3.1")

    page.get_by_role("button", name="签发意见 (不可再修改)").click()
    expect(page.locator(".messages .success")).to_contain_text("意见已签发")
    expect(page.locator(".opinion h3")).to_contain_text("已签发 · 修改后复审")
    expect(page.locator(".opinion h3")).to_contain_text(str(fire.reviewer))
    # signed means final: no more editing controls
    expect(page.locator("#outcome")).to_have_count(0)
    expect(page.get_by_role("button", name="签发意见 (不可再修改)")).to_have_count(0)
    shot(page, "journey3-signed-opinion")
    op = Opinion.objects.get(assignment=a)
    assert op.state == Opinion.State.SIGNED and op.findings.get().clause == "5.3.1"


def _certificate(w, app):
    for s in w.sides:
        a = assignment_of(app, s)
        review.opinion_save_draft(actor=s.reviewer, assignment_id=a.pk, outcome="pass", summary="符合要求")
        review.opinion_sign(actor=s.reviewer, opinion_id=Opinion.objects.get(assignment=a).pk)
    return review.certificate_issue(actor=w.coordinator, application_id=app.pk)


def test_public_verify_page_shows_an_issued_certificate_without_login(page, shot):
    w = make_world()
    cert = _certificate(w, accepted_app(w))

    response = page.goto(f"/verify/{cert.verification_code}")
    assert response.status == 200
    expect(page.locator(".verified")).to_contain_text("该文书真实有效")
    table = page.locator("main table")
    expect(table.locator("tr", has_text="文号")).to_contain_text(cert.number)
    expect(table.locator("tr", has_text="类型")).to_contain_text(cert.get_kind_display())
    expect(table.locator("tr", has_text="日期")).to_contain_text(
        timezone.localtime(cert.issued_at).strftime("%Y-%m-%d"))
    expect(table.locator("tr", has_text="项目名称")).to_contain_text(w.project.name)
    # nothing else of the application, and nobody is logged in
    expect(page.locator("main")).not_to_contain_text(w.project.owner.name)
    expect(page.locator(".who")).to_have_count(0)
    shot(page, "journey5-verify")

    response = page.goto("/verify/NOSUCHCODE23")
    assert response.status == 404
    expect(page.locator(".not-found")).to_contain_text("查无此文书: NOSUCHCODE23")
    expect(page.locator(".verified")).to_have_count(0)
