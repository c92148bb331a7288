"""Views and API of the review: allowed/denied pairs per role, inbox query count, verify page."""
from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from jointreview.clocks import services as clocks
from jointreview.models import (
    ApplicationStatus,
    Assignment,
    Finding,
    IssuedDocument,
    IssuedKind,
    Opinion,
    PauseRequest,
    ReviewRound,
)
from jointreview.policy import grant_many
from jointreview.review import services as review
from tests.factories import CentreAdminFactory, LeadFactory, OwnerUserFactory, ReviewerFactory

from .conftest import make_round

pytestmark = pytest.mark.django_db
D = datetime.date


def draft_with_finding(side, outcome="revise", text="防火间距不足"):
    review.opinion_save_draft(actor=side.reviewer, assignment_id=side.assignment.pk, outcome=outcome)
    review.finding_add(actor=side.reviewer, assignment_id=side.assignment.pk, text=text)
    return Opinion.objects.get(assignment=side.assignment, state=Opinion.State.DRAFT)


def test_agency_a_cannot_read_list_sign_or_guess_agency_b(client):
    s = make_round(2)
    a_side, b_side = s.agencies
    b_draft = draft_with_finding(b_side)
    b = b_side.assignment
    client.force_login(a_side.reviewer)
    # list
    page = client.get(reverse("review:inbox"))
    assert page.status_code == 200
    assert [r.pk for r in page.context["page"]] == [a_side.assignment.pk]
    api = client.get("/api/review/inbox/")
    assert [r["id"] for r in api.json()["results"]] == [a_side.assignment.pk]
    # read / guess the URL: 404 exactly like a missing id
    missing = Assignment.objects.order_by("-pk").first().pk + 100
    for url in (reverse("review:assignment", args=[b.pk]), reverse("review:assignment", args=[missing]),
                f"/api/review/assignments/{b.pk}/", f"/api/review/assignments/{missing}/",
                reverse("review:document_version", args=[b.pk, s.version.pk])):
        assert client.get(url).status_code == 404, url
    # write or sign B's work
    for url, data in ((reverse("review:opinion_sign", args=[b.pk]), {}),
                      (reverse("review:opinion_save", args=[b.pk]), {"outcome": "pass"}),
                      (reverse("review:finding_add", args=[b.pk]), {"text": "x"}),
                      (reverse("review:pause_request", args=[b.pk]), {"reason": "testing", "reason_text": "x",
                                                                       "expected_days": 2}),
                      (f"/api/review/opinions/{b_draft.pk}/sign/", {})):
        assert client.post(url, data).status_code == 404, url
    b_draft.refresh_from_db()
    assert b_draft.state == Opinion.State.DRAFT and b_draft.outcome == "revise" and b_draft.findings.count() == 1
    # the lead of A cannot either
    client.force_login(a_side.lead)
    assert client.get(reverse("review:assignment", args=[b.pk])).status_code == 404
    assert client.post(f"/api/review/opinions/{b_draft.pk}/sign/").status_code == 404


def test_agency_b_sees_its_own_work_and_signs_through_the_view_and_api(client):
    s = make_round(2)
    b_side = s.agencies[1]
    draft_with_finding(b_side)
    client.force_login(b_side.reviewer)
    page = client.get(reverse("review:assignment", args=[b_side.assignment.pk]))
    assert page.status_code == 200 and "防火间距不足" in page.content.decode()
    pdf = client.get(reverse("review:document_version", args=[s.agencies[0].assignment.pk, s.version.pk]))
    assert pdf.status_code == 404  # another agency's assignment: not even its documents
    response = client.post(reverse("review:opinion_sign", args=[b_side.assignment.pk]), follow=True)
    assert response.status_code == 200
    assert Opinion.objects.get(assignment=b_side.assignment).state == Opinion.State.SIGNED


def test_reviewer_reads_every_document_version_inline_and_as_download(client):
    s = make_round(1)
    side = s.agencies[0]
    client.force_login(side.reviewer)
    url = reverse("review:document_version", args=[side.assignment.pk, s.version.pk])
    inline = client.get(url)
    assert inline.status_code == 200 and inline["Content-Type"] == "application/pdf"
    assert inline["Content-Disposition"].startswith("inline")
    assert b"".join(inline.streaming_content).startswith(b"%PDF")
    download = client.get(url + "?download=1")
    assert download["Content-Disposition"].startswith("attachment")
    client.force_login(s.owner)  # an owner has no assignment page
    assert client.get(url).status_code == 404


def test_api_sign_refuses_an_empty_return_with_a_clear_message(client):
    s = make_round(1)
    side = s.agencies[0]
    review.opinion_save_draft(actor=side.reviewer, assignment_id=side.assignment.pk, outcome="revise")
    op = Opinion.objects.get(assignment=side.assignment)
    client.force_login(side.reviewer)
    response = client.post(f"/api/review/opinions/{op.pk}/sign/")
    assert response.status_code == 400 and "不能签署空的退回意见" in response.json()["message"]
    op.refresh_from_db()
    assert op.state == Opinion.State.DRAFT


def test_signed_opinion_cannot_be_edited_through_the_views(client, no_tasks):
    s = make_round(2)
    side = s.agencies[0]
    op = draft_with_finding(side)
    review.opinion_sign(actor=side.reviewer, opinion_id=op.pk)
    finding = op.findings.get()
    for user in (side.reviewer, side.lead):
        client.force_login(user)
        client.post(reverse("review:opinion_save", args=[side.assignment.pk]), {"outcome": "pass", "summary": "x"})
        client.post(reverse("review:finding_update", args=[side.assignment.pk, finding.pk]), {"text": "改了"})
        client.post(reverse("review:finding_remove", args=[side.assignment.pk, finding.pk]))
        client.post(reverse("review:finding_add", args=[side.assignment.pk]), {"text": "新增"})
        api = client.post(f"/api/review/opinions/{op.pk}/sign/")
        assert api.status_code == 409
    client.force_login(s.coordinator)  # the centre reads every opinion, never writes one
    assert client.post(f"/api/review/opinions/{op.pk}/sign/").status_code == 403
    op.refresh_from_db()
    finding.refresh_from_db()
    assert (op.outcome, op.summary, op.findings.count(), finding.text) == ("revise", "", 1, "防火间距不足")
    assert Opinion.objects.filter(assignment=side.assignment).count() == 1


def test_owner_cannot_see_drafts_of_opinions_or_notices(client, run_tasks, django_capture_on_commit_callbacks):
    s = make_round(1)
    side = s.agencies[0]
    op = draft_with_finding(side)
    client.force_login(s.owner)
    assert client.get(reverse("review:assignment", args=[side.assignment.pk])).status_code == 404
    assert client.get(f"/api/review/assignments/{side.assignment.pk}/").status_code == 404
    assert client.post(f"/api/review/opinions/{op.pk}/sign/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        review.opinion_sign(actor=side.reviewer, opinion_id=op.pk, on=D(2026, 3, 9))
    notice = IssuedDocument.objects.get(kind=IssuedKind.JOINT_NOTICE)
    rounds_url = reverse("review:application_rounds", args=[s.app.pk])
    page = client.get(rounds_url)
    assert page.status_code == 200 and notice.number not in page.content.decode()
    assert client.get(reverse("review:issued_file", args=[notice.pk])).status_code == 404
    other_owner = OwnerUserFactory()
    client.force_login(other_owner)
    assert client.get(rounds_url).status_code == 404
    client.force_login(s.coordinator)  # the centre sees the draft
    assert client.get(reverse("review:issued_file", args=[notice.pk])).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):  # issuing clears the file; the task renders it
        review.notice_issue(actor=s.coordinator, notice_id=notice.pk, on=D(2026, 3, 10))
    client.force_login(s.owner)
    page = client.get(rounds_url)
    assert notice.number in page.content.decode() and "防火间距不足" in page.content.decode()
    pdf = client.get(reverse("review:issued_file", args=[notice.pk]))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_owner_answers_and_resubmits_through_the_views(client, run_tasks, django_capture_on_commit_callbacks):
    s = make_round(2)
    with django_capture_on_commit_callbacks(execute=True):
        review.opinion_save_draft(actor=s.agencies[0].reviewer, assignment_id=s.agencies[0].assignment.pk,
                                  outcome="pass")
        review.opinion_sign(actor=s.agencies[0].reviewer,
                            opinion_id=Opinion.objects.get(assignment=s.agencies[0].assignment).pk, on=D(2026, 3, 9))
        op = draft_with_finding(s.agencies[1])
        review.opinion_sign(actor=s.agencies[1].reviewer, opinion_id=op.pk, on=D(2026, 3, 9))
    notice = IssuedDocument.objects.get(kind=IssuedKind.JOINT_NOTICE)
    review.notice_issue(actor=s.coordinator, notice_id=notice.pk, on=D(2026, 3, 10))
    f = Finding.objects.get()
    client.force_login(s.agencies[1].reviewer)  # an agency cannot answer for the owner
    assert client.post(reverse("review:finding_respond", args=[s.app.pk, f.pk]),
                       {"response": "fixed", "text": "x"}).status_code == 403
    client.force_login(s.owner)
    r = client.post(reverse("review:finding_respond", args=[s.app.pk, f.pk]), {"response": "disputed", "text": ""},
                    follow=True)
    assert "答复须写明内容" in r.content.decode()
    client.post(reverse("review:finding_respond", args=[s.app.pk, f.pk]), {"response": "disputed", "text": "不适用"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("review:application_resubmit", args=[s.app.pk]))
    s.app.refresh_from_db()
    assert s.app.current_round == 2 and s.app.status == ApplicationStatus.ACCEPTED
    assert list(Assignment.objects.filter(round_number=2).values_list("agency_id", flat=True)) == [
        s.agencies[1].agency.pk]


def test_coordination_is_for_the_centre_and_decides_pauses(client):
    s = make_round(1)
    side = s.agencies[0]
    pr = review.pause_request(actor=side.reviewer, assignment_id=side.assignment.pk, reason="site_inspection",
                              reason_text="现场踏勘", expected_days=3)
    for user, status in ((side.reviewer, 403), (side.lead, 403), (s.owner, 404)):  # the owner sees no pause request
        client.force_login(user)
        assert client.get(reverse("review:coordination")).status_code == 403
        assert client.post(reverse("review:pause_decide", args=[pr.pk]), {"approve": "1"}).status_code == status
    client.force_login(CentreAdminFactory(organization=s.coordinator.organization))
    page = client.get(reverse("review:coordination"))
    assert page.status_code == 200 and "现场踏勘" in page.content.decode()
    client.force_login(s.coordinator)
    client.post(reverse("review:pause_decide", args=[pr.pk]), {"approve": "1"})
    pr.refresh_from_db()
    assert pr.status == PauseRequest.Status.APPROVED


def test_lead_sees_unassigned_work_a_reviewer_only_their_own(client):
    s = make_round(1, assign=False)
    side = s.agencies[0]
    client.force_login(side.lead)
    page = client.get(reverse("review:inbox"))
    assert [a.pk for a in page.context["page"]] == [side.assignment.pk]
    assert "待分派" in page.content.decode()
    client.force_login(side.reviewer)
    assert list(client.get(reverse("review:inbox")).context["page"]) == []
    client.force_login(side.lead)
    client.post(reverse("review:assign", args=[side.assignment.pk]),
                {"reviewer": side.reviewer.pk, "backup": side.backup.pk})
    client.force_login(side.reviewer)
    assert [a.pk for a in client.get(reverse("review:inbox")).context["page"]] == [side.assignment.pk]
    client.force_login(s.owner)
    assert client.get(reverse("review:inbox")).status_code == 403
    assert client.get("/api/review/inbox/").status_code == 403


def _many_assignments(lead, n):
    """n more assignments of the lead's agency on new applications, each with a clock and items."""
    from tests.factories import ApplicationFactory, ApplicationItemFactory, ItemFactory

    for _ in range(n):
        app = ApplicationFactory(status=ApplicationStatus.ACCEPTED, current_round=1)
        rnd = ReviewRound.objects.create(application=app, number=1)
        clock = clocks.clock_create(kind="assignment", limit_value=10)
        clocks.clock_start(clock=clock, on=D(2026, 3, 2), actor=None)
        a = Assignment.objects.create(application=app, round=rnd, round_number=1, agency=lead.organization,
                                      clock=clock, reviewer=ReviewerFactory(organization=lead.organization))
        a.items.set([ApplicationItemFactory(application=app, item=ItemFactory(workflow=app.workflow,
                                                                               agency=lead.organization))])
        grant_many([("view_assignment", lead.organization, a), ("review_assignment", lead.organization, a),
                    ("view_application", lead.organization, app)])  # as acceptance grants them


@pytest.mark.parametrize("n", [3, 30])
def test_inbox_query_count_is_constant(client, django_assert_num_queries, n):
    lead = LeadFactory()
    _many_assignments(lead, n)
    client.force_login(lead)
    client.get(reverse("review:inbox"))  # warm the session/user caches
    # session, user, its organization (header), count, the page's ids, its rows, their items and reviewers
    # (prefetched; no backup is set, so no query for them), members, workflows, the header's unread
    # notifications,
    # + the projects' budgets: which are visible (1), catalogue (4), projects, applications, assignments (3)
    with django_assert_num_queries(18):
        response = client.get(reverse("review:inbox"))
    assert len(response.context["page"]) == n


@pytest.mark.parametrize("n", [3, 30])
def test_inbox_api_query_count_is_constant(client, django_assert_num_queries, n):
    lead = LeadFactory()
    _many_assignments(lead, n)
    client.force_login(lead)
    with django_assert_num_queries(7):  # session, user, count, the page's ids, its rows, items, reviewers
        response = client.get("/api/review/inbox/")
    assert response.json()["count"] == n


def test_inbox_pages_are_the_most_urgent_first_without_gaps_or_repeats(client):
    """The inbox reads a page's ids, then its rows (jointreview/paging.py): page 1 and page 2 together are
    every assignment once, in due-date order, on the page and in the API."""
    lead = LeadFactory()
    _many_assignments(lead, 55)
    mine = Assignment.objects.filter(agency=lead.organization)
    for i, a in enumerate(mine.order_by("pk")):  # due dates out of id order, some shared
        Assignment.objects.filter(pk=a.pk).update(due_date=D(2026, 4, 1) + datetime.timedelta(days=(i * 7) % 11))
    expected = list(mine.order_by("due_date", "pk").values_list("pk", flat=True))
    client.force_login(lead)
    url = reverse("review:inbox")
    pages = [client.get(url, {"page": n}).context["page"] for n in (1, 2)]
    assert [len(p) for p in pages] == [50, 5]
    assert [a.pk for p in pages for a in p] == expected
    assert all(a.application.project.name and a.clock for p in pages for a in p)  # rows with what they show
    api = [client.get("/api/review/inbox/", {"page": n}).json() for n in (1, 2)]
    assert api[0]["count"] == 55 and api[0]["next"] and api[1]["previous"]
    assert [row["id"] for page in api for row in page["results"]] == expected


def test_inbox_filters(client):
    s = make_round(1, assign=False)
    side = s.agencies[0]
    client.force_login(side.lead)
    url = reverse("review:inbox")
    assert len(client.get(url, {"reviewer": "none"}).context["page"]) == 1
    assert len(client.get(url, {"state": "signed"}).context["page"]) == 0
    light = side.assignment.clock.light
    other = "yellow" if light != "yellow" else "green"
    assert len(client.get(url, {"light": light}).context["page"]) == 1
    assert len(client.get(url, {"light": other}).context["page"]) == 0
    assert len(client.get(url, {"workflow": str(s.app.workflow_id)}).context["page"]) == 1
    assert len(client.get(url, {"workflow": str(s.app.workflow_id + 999)}).context["page"]) == 0


def test_verify_page_is_public_and_says_nothing_more(client, run_tasks, django_capture_on_commit_callbacks):
    s = make_round(1, project_name="示范中心广场")
    side = s.agencies[0]
    with django_capture_on_commit_callbacks(execute=True):
        op = draft_with_finding(side, text="秘密的审查意见")
        review.opinion_sign(actor=side.reviewer, opinion_id=op.pk, on=D(2026, 3, 9))
    notice = IssuedDocument.objects.get(kind=IssuedKind.JOINT_NOTICE)
    draft_page = client.get(reverse("verify", args=[notice.verification_code]))
    assert draft_page.status_code == 404 and "查无此文书" in draft_page.content.decode()  # zh-Hans, the default
    review.notice_issue(actor=s.coordinator, notice_id=notice.pk, on=D(2026, 3, 10))
    page = client.get(reverse("verify", args=[notice.verification_code]))
    body = page.content.decode()
    assert page.status_code == 200
    assert notice.number in body and "示范中心广场" in body and "综合审查意见书" in body
    assert "秘密的审查意见" not in body and str(s.project.owner) not in body and s.project.code not in body
    assert client.get(reverse("verify", args=["NOSUCHCODE99"])).status_code == 404
    assert client.get(f"/verify/{notice.verification_code}/").status_code == 200


def test_round_two_assignment_page_shows_carried_findings_to_the_lead(client, run_tasks,
                                                                        django_capture_on_commit_callbacks):
    s = make_round(1)
    side = s.agencies[0]
    with django_capture_on_commit_callbacks(execute=True):
        op = draft_with_finding(side, text="楼梯宽度不足")
        review.opinion_sign(actor=side.reviewer, opinion_id=op.pk, on=D(2026, 3, 9))
    review.notice_issue(actor=s.coordinator, notice_id=IssuedDocument.objects.get().pk, on=D(2026, 3, 10))
    review.finding_respond(actor=s.owner, finding_id=Finding.objects.get().pk, response="disputed", text="已论证")
    rnd = review.application_resubmit(actor=s.owner, application_id=s.app.pk, on=D(2026, 3, 16))
    client.force_login(side.lead)
    page = client.get(reverse("review:assignment", args=[rnd.assignments.get().pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "楼梯宽度不足" in body and "已论证" in body and "第1轮" in body
