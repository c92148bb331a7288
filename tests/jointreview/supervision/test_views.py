"""The supervision pages: who sees which record, answering and closing by clicking through the forms,
extensions from the assignment page, bad input, a constant query count."""
from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from jointreview.models import Clock, ExtensionRequest, SupervisionRecord
from jointreview.supervision.services import escalation_sweep
from tests.factories import ReviewerFactory
from tests.jointreview.supervision.conftest import RED_DAY, YELLOW_DAY, accepted_round, lights_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def red(case):
    lights_on(RED_DAY)
    escalation_sweep(today=RED_DAY)
    return SupervisionRecord.objects.get(assignment=case.agencies[0].assignment)


def test_an_addressee_lists_reads_and_answers_their_record(en_client, case, red):
    side = case.agencies[0]
    en_client.force_login(side.reviewer)
    listing = en_client.get(reverse("supervision:list"))
    assert red.number in listing.content.decode()
    page = en_client.get(reverse("supervision:detail", args=[red.pk])).content.decode()
    assert "A case is past its time limit" in page and "Send the answer" in page
    response = en_client.post(reverse("supervision:answer", args=[red.pk]), {"response": "专家论证已完成, 明日出具意见"})
    assert response.status_code == 302
    red.refresh_from_db()
    assert red.status == "answered" and red.responded_by == side.reviewer


def test_the_coordinator_closes_an_answered_record(en_client, case, red):
    red.status, red.response, red.responded_by = "answered", "处理中", case.agencies[0].lead
    red.save()
    en_client.force_login(case.coordinator)
    assert "Close this record" in en_client.get(reverse("supervision:detail", args=[red.pk])).content.decode()
    assert en_client.post(reverse("supervision:close", args=[red.pk]), {"note": "已核实"}).status_code == 302
    red.refresh_from_db()
    assert red.status == "closed" and red.closed_by == case.coordinator and red.close_note == "已核实"


def test_nobody_reads_or_answers_another_agencys_record(en_client, case, red):
    other = accepted_round(1)  # another case, another agency
    stranger = other.agencies[0].reviewer
    en_client.force_login(stranger)
    assert red.number not in en_client.get(reverse("supervision:list")).content.decode()
    assert en_client.get(reverse("supervision:detail", args=[red.pk])).status_code == 404
    assert en_client.post(reverse("supervision:answer", args=[red.pk]), {"response": "x"}).status_code == 404
    same_agency_not_addressed = ReviewerFactory(organization=case.agencies[0].agency)
    en_client.force_login(same_agency_not_addressed)
    assert en_client.get(reverse("supervision:detail", args=[red.pk])).status_code == 404
    en_client.force_login(case.owner)
    assert en_client.get(reverse("supervision:detail", args=[red.pk])).status_code == 404
    red.refresh_from_db()
    assert red.status == "open"


def test_a_too_long_answer_is_refused_with_400(en_client, case, red):
    en_client.force_login(case.agencies[0].reviewer)
    response = en_client.post(reverse("supervision:answer", args=[red.pk]), {"response": "长" * 2001})
    assert response.status_code == 400
    assert "at most 2000" in response.content.decode()
    red.refresh_from_db()
    assert red.status == "open"


def test_the_list_runs_a_constant_number_of_queries(client, case, django_assert_max_num_queries):
    lights_on(YELLOW_DAY)
    escalation_sweep(today=YELLOW_DAY)
    client.force_login(case.coordinator)
    client.get(reverse("supervision:list"))  # warm the session and the calendar
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("supervision:list"))
    lights_on(RED_DAY)
    escalation_sweep(today=RED_DAY)
    lights_on(datetime.date(2026, 3, 23))
    escalation_sweep(today=datetime.date(2026, 3, 23))
    assert SupervisionRecord.objects.count() >= 3
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("supervision:list"))


def test_an_extension_asked_and_approved_from_the_assignment_page(en_client, case):
    side = case.agencies[0]
    url = reverse("review:assignment", args=[side.assignment.pk])
    en_client.force_login(side.reviewer)
    assert "Ask for an extension" in en_client.get(url).content.decode()
    assert en_client.post(reverse("supervision:extension_request", args=[side.assignment.pk]),
                          {"reason": ""}).status_code == 400
    en_client.post(reverse("supervision:extension_request", args=[side.assignment.pk]), {"reason": "需检测"})
    ext = ExtensionRequest.objects.get()
    page = en_client.get(url).content.decode()
    assert "Ask for an extension" not in page and "Approve the extension" not in page  # asked; not theirs to decide
    en_client.force_login(side.lead)
    assert "Approve the extension" in en_client.get(url).content.decode()
    listed = en_client.get(reverse("supervision:list")).content.decode()
    assert "Clock extensions to decide" in listed
    before = Clock.objects.get(pk=side.assignment.clock_id).due_date
    response = en_client.post(reverse("supervision:extension_decide", args=[ext.pk]), {"decision": "approve"})
    assert response.status_code == 302 and response.url == url
    ext.refresh_from_db()
    assert ext.status == "approved" and Clock.objects.get(pk=side.assignment.clock_id).due_date > before
