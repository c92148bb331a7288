"""No dead ends: the owner goes from the joint notice to answering and resubmitting only by clicking (no
typed URL after the home page), then finds the certificate; the coordinator's cockpit links the case."""
from __future__ import annotations

import pytest

from jointreview.models import ApplicationStatus, Finding, IssuedDocument, IssuedKind, Opinion
from jointreview.review import services as review
from tests.browser.chromium import skip_without_chromium
from tests.browser.support import accepted_app, assignment_of, make_world, pdf_upload

skip_without_chromium()  # before importing playwright

from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.browser


def _round_one_with_a_joint_notice(w, app):
    """The fire agency asks for a revision (one finding), the other passes; the centre issues the notice."""
    fire, defence = w.sides
    for side, outcome in ((fire, "revise"), (defence, "pass")):
        a = assignment_of(app, side)
        review.opinion_save_draft(actor=side.reviewer, assignment_id=a.pk, outcome=outcome, summary="审查意见")
        if outcome == "revise":
            review.finding_add(actor=side.reviewer, assignment_id=a.pk, text="地下车库防火分区面积超限, 请重新划分")
        review.opinion_sign(actor=side.reviewer, opinion_id=Opinion.objects.get(assignment=a).pk)
    notice = IssuedDocument.objects.get(application=app, kind=IssuedKind.JOINT_NOTICE)
    review.notice_issue(actor=w.coordinator, notice_id=notice.pk)
    return notice


def _round_two_passes_and_certificate(w, app):
    fire = w.sides[0]
    a2 = app.assignments.get(round_number=2)
    review.assignment_assign(actor=fire.lead, assignment_id=a2.pk, reviewer_id=fire.reviewer.pk)
    op = review.opinion_save_draft(actor=fire.reviewer, assignment_id=a2.pk, outcome="pass", summary="已按意见修改")
    for f in op.findings.all():
        review.finding_update(actor=fire.reviewer, finding_id=f.pk, state="closed")
    review.opinion_sign(actor=fire.reviewer, opinion_id=op.pk)
    notice2 = IssuedDocument.objects.get(application=app, kind=IssuedKind.JOINT_NOTICE, round__number=2)
    review.notice_issue(actor=w.coordinator, notice_id=notice2.pk)
    return review.certificate_issue(actor=w.coordinator, application_id=app.pk)


def test_owner_from_the_joint_notice_to_resubmission_and_the_certificate_by_clicking(new_page, shot):
    w = make_world()
    app = accepted_app(w)
    notice = _round_one_with_a_joint_notice(w, app)

    page = new_page(w.owner)
    page.goto("/")  # the only address typed: the home page
    page.get_by_role("link", name="我的项目").first.click()
    page.get_by_role("link", name=w.project.code).click()
    page.get_by_role("link", name=app.number).click()

    # the panel says it is the owner's turn and links the notice and the answer/resubmit page
    panel = page.locator("#next-step")
    expect(panel).to_have_attribute("data-step", "owner_revises")
    expect(panel).to_have_class("panel next-step yours")
    notice_link = panel.locator(".next-links a").first
    expect(notice_link).to_have_attribute("href", f"/review/documents/{notice.pk}/pdf/")
    pdf = page.request.get(notice_link.get_attribute("href"))  # what the link opens: the issued PDF
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    shot(page, "no-dead-ends-1-application")

    # answer the finding on the page the panel links to
    panel.locator(".next-links a").nth(1).click()
    expect(page.locator("h1")).to_contain_text(w.project.name)
    row = page.locator("tr.finding-row").filter(has_text="防火分区面积超限")
    row.locator("select[name=response]").select_option("fixed")
    row.locator("input[name=text]").fill("已按规范重新划分防火分区, 见建施-05 第2版")
    row.get_by_role("button", name="答复").click()
    expect(page.locator(".messages .success")).to_be_visible()

    # upload the revised drawing on the application page (linked from the rounds page)
    page.locator("h1").get_by_role("link", name=app.number).click()
    fire_row = page.locator("tr", has_text=w.sides[0].material.name)
    fire_row.locator("input[type=file]").set_input_files(pdf_upload("fire-v2.pdf"))
    fire_row.get_by_role("button", name="上传").click()
    expect(page.locator(".messages .success")).to_be_visible()

    # back through the panel to resubmit
    page.locator("#next-step .next-links a").nth(1).click()
    page.get_by_role("button", name="重新提交").click()
    expect(page.locator(".messages .success")).to_be_visible()
    expect(page.locator("#next-step")).to_have_attribute("data-step", "agencies_review")
    app.refresh_from_db()
    assert app.status == ApplicationStatus.ACCEPTED and app.current_round == 2
    assert Finding.objects.get(opinion__assignment__round_number=1, opinion__assignment__agency=w.sides[0].agency
                               ).response == "fixed"
    shot(page, "no-dead-ends-2-resubmitted")

    # the agency passes round 2, the centre issues the certificate; the owner finds it by clicking
    cert = _round_two_passes_and_certificate(w, app)
    page.locator("h1").get_by_role("link", name=app.number).click()
    panel = page.locator("#next-step")
    expect(panel).to_have_attribute("data-step", "done_approved")
    cert_link = panel.locator(".next-links a").first
    expect(cert_link).to_have_attribute("href", f"/review/documents/{cert.pk}/pdf/")
    pdf = page.request.get(cert_link.get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    shot(page, "no-dead-ends-3-certificate")


def test_coordinator_reaches_the_case_from_the_cockpit_in_one_click(new_page):
    w = make_world()
    app = accepted_app(w, assign=False)
    page = new_page(w.coordinator)
    page.goto("/")
    page.locator("nav").get_by_role("link", name="协调驾驶舱").first.click()
    expect(page.locator("tr.cockpit-row")).to_have_count(1)
    page.get_by_role("link", name=app.number).click()
    expect(page.locator("#accepted-by")).to_contain_text(str(w.coordinator))
    expect(page.locator("#next-step")).to_have_attribute("data-step", "agencies_review")
