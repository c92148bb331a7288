"""Issue 8: bad input never answers 500. Each input that used to raise a server error (on PostgreSQL)
now answers 4xx with a message naming the field, and nothing is stored.

Pages and API answer in English here (``en_client``): the messages are their English ids."""
from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from jointreview.models import AuditEvent, Finding, IssuedDocument, IssuedKind, Opinion, PauseRequest
from jointreview.review import services as review
from jointreview.services.errors import ServiceError
from tests.factories import ApplicationFactory, CoordinatorFactory
from tests.jointreview.review.conftest import make_round

pytestmark = pytest.mark.django_db

ONE_MB = "审" * (1024 * 1024 // 3) + "x" * (1024 * 1024 % 3)  # 1 MiB of UTF-8


@pytest.fixture
def side(en_client, queued):
    """Round 1 with one agency; its reviewer is logged in."""
    s = make_round(1)
    side = s.agencies[0]
    side.setup = s
    en_client.force_login(side.reviewer)
    return side


def _page(response) -> str:
    return response.content.decode()


# ---------------------------------------------------------------------------------------------
# clock pauses
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("days", [99999, 61, 0, -3, "abc", "9" * 5000, ""])
def test_pause_request_with_an_impossible_length_is_refused(en_client, side, days):
    url = reverse("review:pause_request", args=[side.assignment.pk])
    response = en_client.post(url, {"reason": "testing", "reason_text": "送检", "expected_days": days})
    assert response.status_code == 400
    assert "Expected length (working days)" in _page(response)
    assert not PauseRequest.objects.exists()


def test_pause_length_limit_is_the_setting(en_client, side, settings):
    settings.JR_PAUSE_MAX_DAYS = 5
    url = reverse("review:pause_request", args=[side.assignment.pk])
    refused = en_client.post(url, {"reason": "testing", "reason_text": "送检", "expected_days": 6})
    assert refused.status_code == 400 and "at most 5 working days" in _page(refused)
    assert en_client.post(url, {"reason": "testing", "reason_text": "送检", "expected_days": 5}).status_code == 302
    assert PauseRequest.objects.get().expected_days == 5


def test_pause_request_with_a_301_character_reason_is_refused(en_client, side):
    url = reverse("review:pause_request", args=[side.assignment.pk])
    response = en_client.post(url, {"reason": "testing", "reason_text": "因" * 301, "expected_days": 3})
    assert response.status_code == 400
    page = _page(response)
    assert "Reason details" in page and "at most 300 characters" in page
    assert not PauseRequest.objects.exists()


def test_pause_service_and_model_refuse_the_same_limits(side, settings):
    """The second line: the service (and the model through full_clean) refuse without the form."""
    with pytest.raises(ServiceError) as exc:
        review.pause_request(actor=side.reviewer, assignment_id=side.assignment.pk, reason="testing",
                             reason_text="送检", expected_days=99999)
    assert exc.value.fields == {"expected_days": [exc.value.message]}
    with pytest.raises(ServiceError) as exc:
        review.pause_request(actor=side.reviewer, assignment_id=side.assignment.pk, reason="testing",
                             reason_text="因" * 301, expected_days=3)
    assert "reason_text" in exc.value.fields and exc.value.message.startswith("说明: ")  # the default language
    assert not PauseRequest.objects.exists()
    from django.core.exceptions import ValidationError

    pr = PauseRequest(assignment=side.assignment, reason="testing", reason_text="x", expected_days=61,
                      requested_by=side.reviewer)
    with pytest.raises(ValidationError) as err:
        pr.full_clean()
    assert "expected_days" in err.value.message_dict


def test_pause_decision_note_is_limited(en_client, side):
    s = side.setup
    pr = review.pause_request(actor=side.reviewer, assignment_id=side.assignment.pk, reason="testing",
                              reason_text="送检", expected_days=3)
    en_client.force_login(s.coordinator)
    response = en_client.post(reverse("review:pause_decide", args=[pr.pk]), {"approve": "0", "note": "否" * 301})
    assert response.status_code == 400 and "at most 300 characters" in _page(response)
    pr.refresh_from_db()
    assert pr.status == PauseRequest.Status.REQUESTED
    with pytest.raises(ServiceError, match="300"):
        review.pause_decide(actor=s.coordinator, pause_id=pr.pk, approve=False, note="否" * 301)
    pr.refresh_from_db()
    assert pr.status == PauseRequest.Status.REQUESTED


# ---------------------------------------------------------------------------------------------
# findings and opinions: pages
# ---------------------------------------------------------------------------------------------

OVERLONG = [("standard", 81, "Standard"), ("clause", 31, "Clause"), ("sheet", 61, "Sheet")]


@pytest.mark.parametrize(("field", "length", "label"), OVERLONG)
def test_finding_add_with_an_overlong_reference_is_refused(en_client, side, field, length, label):
    url = reverse("review:finding_add", args=[side.assignment.pk])
    response = en_client.post(url, {"text": "防火间距不足", field: "x" * length})
    assert response.status_code == 400
    page = _page(response)
    assert label in page and f"at most {length - 1} characters" in page
    assert not Finding.objects.exists() and not Opinion.objects.exists()


@pytest.mark.parametrize(("field", "length", "label"), OVERLONG)
def test_finding_update_with_an_overlong_reference_is_refused(en_client, side, field, length, label):
    finding = review.finding_add(actor=side.reviewer, assignment_id=side.assignment.pk, text="防火间距不足",
                                 standard="GB 50016-2014", clause="5.3.1", sheet="建施-01")
    url = reverse("review:finding_update", args=[side.assignment.pk, finding.pk])
    response = en_client.post(url, {"text": "改", field: "x" * length})
    assert response.status_code == 400 and label in _page(response)
    finding.refresh_from_db()
    assert (finding.text, finding.standard, finding.clause, finding.sheet) == (
        "防火间距不足", "GB 50016-2014", "5.3.1", "建施-01")


def test_a_one_megabyte_finding_is_refused_on_the_page(en_client, side):
    url = reverse("review:finding_add", args=[side.assignment.pk])
    response = en_client.post(url, {"text": ONE_MB})
    assert response.status_code == 400
    page = _page(response)
    assert "Finding text" in page and "at most 5000 characters" in page
    assert not Finding.objects.exists()


def test_the_finding_limits_hold_in_the_service_and_the_model(side):
    """Without the form: the service refuses with the field named (full_clean), nothing is stored."""
    with pytest.raises(ServiceError) as exc:
        review.finding_add(actor=side.reviewer, assignment_id=side.assignment.pk, text=ONE_MB)
    assert list(exc.value.fields) == ["text"] and exc.value.message.startswith("意见内容: ")  # the default language
    with pytest.raises(ServiceError) as exc:
        review.finding_add(actor=side.reviewer, assignment_id=side.assignment.pk, text="t", clause="5" * 31)
    assert list(exc.value.fields) == ["clause"]
    assert not Finding.objects.exists() and not Opinion.objects.exists()  # the draft went with it


def test_a_nul_in_an_opinion_summary_is_refused(en_client, side):
    review.opinion_save_draft(actor=side.reviewer, assignment_id=side.assignment.pk, outcome="revise",
                              summary="原摘要")
    url = reverse("review:opinion_save", args=[side.assignment.pk])
    response = en_client.post(url, {"outcome": "pass", "summary": "a\x00b"})
    assert response.status_code == 400 and "NUL" in _page(response)  # the guard, before any view
    op = Opinion.objects.get()
    assert (op.outcome, op.summary) == ("revise", "原摘要")
    with pytest.raises(ServiceError, match="Null characters are not allowed"):
        review.opinion_save_draft(actor=side.reviewer, assignment_id=side.assignment.pk, summary="a\x00b")
    op.refresh_from_db()
    assert op.summary == "原摘要"


def test_without_the_guard_the_form_refuses_the_nul(en_client, side, without_input_guard):
    url = reverse("review:opinion_save", args=[side.assignment.pk])
    response = en_client.post(url, {"outcome": "pass", "summary": "a\x00b"})
    assert response.status_code == 400 and "Null characters are not allowed" in _page(response)
    assert not Opinion.objects.exists()


def test_opinion_summary_and_correction_reason_are_limited(en_client, side):
    url = reverse("review:opinion_save", args=[side.assignment.pk])
    response = en_client.post(url, {"outcome": "pass", "summary": "长" * 10001})
    assert response.status_code == 400 and "at most 10000 characters" in _page(response)
    assert not Opinion.objects.exists()
    review.opinion_save_draft(actor=side.reviewer, assignment_id=side.assignment.pk, outcome="pass")
    review.opinion_sign(actor=side.reviewer, opinion_id=Opinion.objects.get().pk)
    response = en_client.post(reverse("review:opinion_correct", args=[side.assignment.pk]), {"reason": "因" * 301})
    assert response.status_code == 400 and "Correction reason" in _page(response)
    assert Opinion.objects.count() == 1
    with pytest.raises(ServiceError, match="correction reason"):  # after an English request: English
        review.opinion_correct(actor=side.reviewer, opinion_id=Opinion.objects.get().pk, reason="因" * 301)
    assert Opinion.objects.count() == 1


def test_tab_cr_and_lf_are_text(en_client, side):
    url = reverse("review:opinion_save", args=[side.assignment.pk])
    assert en_client.post(url, {"outcome": "pass", "summary": "第一行\r\n\t第二行"}).status_code == 302
    assert Opinion.objects.get().summary == "第一行\r\n\t第二行"


def test_owner_answer_to_a_finding_is_limited(en_client, side):
    s = side.setup
    op = Opinion.objects.get(pk=review.opinion_save_draft(actor=side.reviewer, assignment_id=side.assignment.pk,
                                                          outcome="revise").pk)
    finding = review.finding_add(actor=side.reviewer, assignment_id=side.assignment.pk, text="楼梯宽度不足")
    review.opinion_sign(actor=side.reviewer, opinion_id=op.pk)
    notice = review.round_consolidate(round_id=s.round.pk)
    review.notice_issue(actor=s.coordinator, notice_id=notice.pk)
    en_client.force_login(s.owner)
    url = reverse("review:finding_respond", args=[s.app.pk, finding.pk])
    response = en_client.post(url, {"response": "fixed", "text": "改" * 5001})
    assert response.status_code == 400 and "at most 5000 characters" in _page(response)
    with pytest.raises(ServiceError) as exc:
        review.finding_respond(actor=s.owner, finding_id=finding.pk, response="fixed", text="改" * 5001)
    assert list(exc.value.fields) == ["response_text"]
    finding.refresh_from_db()
    assert (finding.response, finding.response_text) == ("", "")


# ---------------------------------------------------------------------------------------------
# findings: the API
# ---------------------------------------------------------------------------------------------


def _api_post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def _api_patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


def _assert_invalid(response, *fields):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and body["message"]
    assert sorted(body["fields"]) == sorted(fields)
    return body


def test_api_adds_a_finding_and_refuses_overlong_fields(en_client, side):
    url = f"/api/review/assignments/{side.assignment.pk}/findings/"
    for field, length, _label in OVERLONG:
        body = _assert_invalid(_api_post(en_client, url, {"text": "防火间距不足", field: "x" * length}), field)
        assert f"no more than {length - 1} characters" in body["message"]
    body = _assert_invalid(_api_post(en_client, url, {"text": ONE_MB}), "text")
    assert "5000" in body["fields"]["text"][0]
    _assert_invalid(_api_post(en_client, url, {"text": "a\x00b"}), "text")  # the guard reads JSON too
    assert not Finding.objects.exists() and not Opinion.objects.exists()
    created = _api_post(en_client, url, {"text": "防火间距不足", "standard": "GB 50016-2014", "clause": "5.3.1",
                                         "mandatory": True})
    assert created.status_code == 201 and created.json()["number"] == 1
    assert Finding.objects.get().standard == "GB 50016-2014"


def test_api_updates_a_finding_and_refuses_overlong_fields(en_client, side):
    finding = review.finding_add(actor=side.reviewer, assignment_id=side.assignment.pk, text="防火间距不足")
    url = f"/api/review/assignments/{side.assignment.pk}/findings/{finding.pk}/"
    _assert_invalid(_api_patch(en_client, url, {"sheet": "建" * 61}), "sheet")
    _assert_invalid(_api_patch(en_client, url, {"text": ONE_MB}), "text")
    _assert_invalid(_api_patch(en_client, url, {"document_version": 2**64}), "document_version")
    finding.refresh_from_db()
    assert (finding.text, finding.sheet) == ("防火间距不足", "")
    ok = _api_patch(en_client, url, {"sheet": "建施-01"})
    assert ok.status_code == 200 and ok.json()["sheet"] == "建施-01" and ok.json()["text"] == "防火间距不足"


def test_api_finding_refusals_of_the_service_keep_their_status(en_client, side):
    url = f"/api/review/assignments/{side.assignment.pk}/findings/"
    refused = _api_post(en_client, url, {"text": ""})
    assert refused.status_code == 400 and refused.json()["fields"] == {"text": ["This field may not be blank."]}
    en_client.force_login(side.backup)  # B while A is present: not a writer
    forbidden = _api_post(en_client, url, {"text": "x"})
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "invalid"
    other = make_round(1).agencies[0]
    assert _api_post(en_client, f"/api/review/assignments/{other.assignment.pk}/findings/",
                     {"text": "x"}).status_code == 404
    assert not Finding.objects.exists()


# ---------------------------------------------------------------------------------------------
# filters
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("param", "value"), [
    ("state", "bogus"), ("light", "purple"), ("reviewer", "²"), ("reviewer", "9" * 20), ("reviewer", "-1"),
    ("workflow", "abc"), ("workflow", "0"),
])
def test_a_bad_inbox_filter_is_shown_and_ignored(en_client, side, param, value):
    en_client.force_login(side.lead)
    response = en_client.get(reverse("review:inbox"), {param: value})
    assert response.status_code == 200
    assert [a.pk for a in response.context["page"]] == [side.assignment.pk]  # as without the filter
    assert "ignored" in _page(response)
    assert response.context["filters"][param] == ""


@pytest.mark.parametrize(("param", "value"), [
    ("state", "bogus"), ("light", "purple"), ("reviewer", "²"), ("reviewer", "9" * 20), ("workflow", "1.5"),
])
def test_a_bad_inbox_filter_of_the_api_answers_400(en_client, side, param, value):
    en_client.force_login(side.lead)
    _assert_invalid(en_client.get("/api/review/inbox/", {param: value}), param)


def test_good_inbox_filters_still_filter(en_client, side):
    en_client.force_login(side.lead)
    assert en_client.get("/api/review/inbox/", {"reviewer": side.reviewer.pk}).json()["count"] == 1
    assert en_client.get("/api/review/inbox/", {"reviewer": "none"}).json()["count"] == 0
    assert en_client.get("/api/review/inbox/", {"state": "signed"}).json()["count"] == 0
    light = side.assignment.clock.light
    assert en_client.get("/api/review/inbox/", {"state": "in_review", "light": light}).json()["count"] == 1


@pytest.mark.parametrize("url", ["/review/", "/api/review/inbox/", "/api/clocks/", "/api/intake/applications/",
                                 "/clocks/"])
@pytest.mark.parametrize("param", ["light", "state", "status", "provisional", "reviewer", "workflow", "page"])
def test_a_nul_in_any_filter_answers_400(en_client, side, url, param):
    en_client.force_login(side.lead if url.startswith(("/review", "/api/review")) else side.setup.coordinator)
    response = en_client.get(f"{url}?{param}=%00")
    assert response.status_code == 400
    if url.startswith("/api/"):
        assert response.json()["code"] == "invalid" and list(response.json()["fields"]) == [param]
    else:
        assert "Bad request" in _page(response) and param in _page(response)


def test_clock_filters(en_client, side):
    en_client.force_login(side.setup.coordinator)
    _assert_invalid(en_client.get("/api/clocks/", {"light": "purple"}), "light")
    _assert_invalid(en_client.get("/api/clocks/", {"provisional": "maybe"}), "provisional")
    assert en_client.get("/api/clocks/", {"provisional": "0", "light": "green"}).status_code == 200
    page = en_client.get(reverse("clocks:dashboard"), {"provisional": "maybe"})
    assert page.status_code == 200 and "ignored" in _page(page) and page.context["provisional"] is False


def test_application_status_filter(en_client, side):
    en_client.force_login(side.setup.coordinator)
    _assert_invalid(en_client.get("/api/intake/applications/", {"status": "nope"}), "status")
    assert en_client.get("/api/intake/applications/", {"status": "accepted"}).json()["count"] == 1


# ---------------------------------------------------------------------------------------------
# /verify/<code>
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["abc", "x" * 100, "ÄÖÜ12345678", "<script>alert(1)", "A B C D E F G",
                                  "１２３４５６７８９０ＡＢ", "%E2%80%AE%E2%80%AE"])
def test_verify_answers_no_such_document_for_any_implausible_code(en_client, code):
    response = en_client.get(f"/verify/{code}")
    assert response.status_code == 404 and "No such document" in _page(response)
    assert "<script>alert" not in _page(response)


def test_verify_with_a_nul_answers_400_and_without_the_guard_404(en_client, settings):
    assert en_client.get("/verify/%00").status_code == 400
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("InputGuardMiddleware")]
    en_client = Client(HTTP_ACCEPT_LANGUAGE="en")  # a new handler: the middleware chain is built once
    response = en_client.get("/verify/%00")
    assert response.status_code == 404 and "No such document" in _page(response)
    assert en_client.get("/verify/AB%00CDEFGHJK").status_code == 404


def test_verify_still_finds_an_issued_document(en_client):
    doc = IssuedDocument.objects.create(kind=IssuedKind.COMPLETENESS_NOTICE, application=ApplicationFactory(),
                                        number="GZ-T-9", verification_code="ABCD2345EFGH",
                                        state=IssuedDocument.State.ISSUED, title="一次性告知书")
    assert en_client.get("/verify/abcd2345efgh").status_code == 200
    assert doc.number in _page(en_client.get("/verify/ABCD2345EFGH/"))


# ---------------------------------------------------------------------------------------------
# the request guard
# ---------------------------------------------------------------------------------------------


def test_guard_refuses_control_characters_in_form_fields_with_the_site_layout(en_client, side):
    url = reverse("review:finding_add", args=[side.assignment.pk])
    for value in ("a\x00b", "a\x01b", "a\x1bb", "a\x0bb"):
        response = en_client.post(url, {"text": value})
        page = _page(response)
        assert response.status_code == 400 and "control character" in page and "text" in page
        assert "class=\"topbar\"" in page  # the site layout
    assert not Finding.objects.exists()


def test_guard_refuses_control_characters_in_the_path_and_keys(en_client, side):
    assert en_client.get("/review/%01").status_code == 400
    assert en_client.get("/review/", {"li\x00ght": "red"}).status_code == 400
    response = en_client.get("/api/review/inbox/%0A")
    assert response.status_code == 400 and list(response.json()["fields"]) == ["path"]


def test_guard_reads_json_bodies_of_the_api(en_client, side):
    url = f"/api/review/assignments/{side.assignment.pk}/findings/"
    body = _assert_invalid(_api_post(en_client, url, {"text": "ok", "sheet": "a\x02b"}), "sheet")
    assert "control character" in body["message"]
    _assert_invalid(_api_post(en_client, url, {"text\x00": "ok"}), "text?")
    assert not Finding.objects.exists()


def test_guard_turns_an_escaped_validation_error_into_400(en_client, side, monkeypatch, caplog):
    """A service that forgot to turn full_clean's refusal into a ServiceError still answers 400 (logged)."""
    from django.core.exceptions import ValidationError

    def broken(**kwargs):
        raise ValidationError({"text": ["too long"]})

    monkeypatch.setattr("jointreview.review.api.svc.finding_add", broken)
    response = _api_post(en_client, f"/api/review/assignments/{side.assignment.pk}/findings/", {"text": "x"})
    assert response.status_code == 400 and response.json()["fields"] == {"text": ["too long"]}
    assert "escaped" in caplog.text


# ---------------------------------------------------------------------------------------------
# intake
# ---------------------------------------------------------------------------------------------


def test_withdraw_reason_is_limited_not_dropped(en_client):
    from tests.jointreview.intake.conftest import make_world

    w = make_world(1)
    from jointreview.intake import services as intake

    app = intake.application_open(actor=w.owner, project=w.project, workflow=w.workflow)
    en_client.force_login(w.owner)
    response = en_client.post(reverse("intake:application_withdraw", args=[app.pk]), {"reason": "因" * 301})
    assert response.status_code == 400 and "at most 300 characters" in _page(response)
    app.refresh_from_db()
    assert app.status == "draft"
    with pytest.raises(ServiceError, match="300"):
        intake.application_withdraw(actor=w.owner, application=app, reason="因" * 301)
    assert not AuditEvent.objects.filter(verb="application.withdraw").exists()


def test_check_note_and_deferral_commitment_are_limited(en_client):
    from jointreview.intake import services as intake
    from tests.jointreview.intake.conftest import make_world, submitted_app

    w = make_world(1)
    app = submitted_app(w)
    am = app.materials.get()
    en_client.force_login(w.centre)
    url = reverse("intake:application_check", args=[app.pk])
    response = en_client.post(url, {f"m{am.pk}-status": "defective", f"m{am.pk}-note": "缺" * 301})
    assert response.status_code == 400 and "at most 300 characters" in _page(response)
    with pytest.raises(ServiceError, match="300"):
        intake.completeness_check(actor=w.centre, application=app,
                                  results=[{"material_id": am.pk, "status": "defective", "note": "缺" * 301}])
    am.refresh_from_db()
    assert (am.check_status, am.check_note) == ("unchecked", "")
    from jointreview.models import Deferral

    deferral = Deferral(application=app, material=am.material, promised_date="2030-01-01", commitment="诺" * 501,
                        recorded_by=w.centre)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as err:
        deferral.full_clean()
    assert "commitment" in err.value.message_dict


def test_project_fields_are_checked_by_the_model_too(en_client):
    from jointreview.intake import services as intake
    from tests.factories import OwnerUserFactory

    owner = OwnerUserFactory()
    base = {"code": "2026-320500-47-01-888888", "name": "新项目", "location": "示范路1号", "flow_type": "social",
            "floor_area": 1000, "investment": 100}
    for bad in ({"name": "名" * 201}, {"location": "a\x00b"}, {"height_m": -1}, {"floor_area": 10**12}):
        with pytest.raises(ServiceError) as exc:
            intake.project_register(actor=owner, **{**base, **bad})
        assert list(exc.value.fields) == list(bad)
    en_client.force_login(owner)
    response = en_client.post(reverse("intake:project_register"), {**base, "land_acquisition": "transfer",
                                                                   "underground_area": 0, "height_m": 0,
                                                                   "name": "名" * 201})
    assert response.status_code == 200 and "at most 200 characters" in _page(response)  # the form, re-shown
    assert not owner.organization.projects.exists()


def test_calendar_import_refuses_a_nul(settings):
    from jointreview.clocks import services as clocks

    rows = [{"date": "2031-01-01", "is_workday": "0", "name": "元\x00旦", "source": "x", "line": 2}]
    with translation.override("en"), pytest.raises(ServiceError, match="line 2: the name or source contains a NUL"):
        clocks.calendar_import(rows=rows, source="国办", actor=CoordinatorFactory())


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5", "9" * 5000, "99999999999999999999", "²"])
def test_a_bad_page_number_is_never_a_server_error(en_client, side, page):
    en_client.force_login(side.lead)
    inbox = en_client.get(reverse("review:inbox"), {"page": page})
    assert inbox.status_code == 200 and [a.pk for a in inbox.context["page"]] == [side.assignment.pk]
    assert en_client.get("/api/review/inbox/", {"page": page}).status_code in (200, 404)  # DRF: "Invalid page."
    en_client.force_login(side.setup.coordinator)
    assert en_client.get(reverse("clocks:dashboard"), {"page": page}).status_code == 200
    assert en_client.get("/api/clocks/", {"page": page}).status_code in (200, 404)
