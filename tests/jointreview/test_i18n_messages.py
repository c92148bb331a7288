"""Issue 9, the Python side: labels, choices, refusals and messages are English message ids translated
per request (Simplified Chinese by default, English on request), dates in each language's format, and
issued documents Chinese whoever issues them."""
from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from jointreview.intake import services as intake
from jointreview.models import Application, ApplicationStatus, IssuedDocument, IssuedKind, Outcome
from jointreview.review import services as review
from projects.models import Project, Role
from tests.factories import CoordinatorFactory, LeadFactory, OwnerUserFactory, ReviewerFactory
from tests.jointreview.intake.conftest import make_world
from tests.jointreview.review.conftest import make_round

pytestmark = pytest.mark.django_db


def _client(user, language: str) -> Client:
    user.language = language
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    return client


def _header(response) -> str:
    html = response.content.decode()
    return html.split('<header class="topbar">', 1)[1].split("</header>", 1)[0]


def _messages(response) -> list[str]:
    return [re.sub(r"<[^>]+>", "", m).strip()
            for m in re.findall(r'<li class="(?:error|success|info|warning)">(.*?)</li>', response.content.decode(), re.S)]


# ------------------------------------------------------------------------------------------- labels

@pytest.mark.parametrize(("factory", "url", "zh", "en"), [
    (OwnerUserFactory, "/intake/projects/", "建设单位经办人", "Owner staff"),
    (ReviewerFactory, "/review/", "审查人员", "Agency reviewer"),
    (LeadFactory, "/review/", "机构负责人", "Agency lead"),
    (CoordinatorFactory, "/clocks/", "中心协调员", "Centre coordinator"),
])
def test_the_header_shows_the_role_in_the_users_language(factory, url, zh, en):
    user = factory()
    english = _header(_client(user, "en").get(url))
    assert f"· {en}" in english and zh not in english
    chinese = _header(_client(user, "zh-hans").get(url))
    assert f"· {zh}" in chinese and en not in chinese


def test_choices_and_field_labels_are_message_ids():
    with translation.override("en"):
        assert str(Role.OWNER_STAFF.label) == "Owner staff"
        assert str(ApplicationStatus.RETURNED.label) == "returned for supplement"
        assert str(Project._meta.get_field("floor_area").verbose_name) == "floor area (m²)"
        assert str(Application._meta.verbose_name) == "application"
    with translation.override("zh-hans"):
        assert str(Role.OWNER_STAFF.label) == "建设单位经办人"
        assert str(ApplicationStatus.RETURNED.label) == "一次告知补正"
        assert str(Project._meta.get_field("floor_area").verbose_name) == "总建筑面积(㎡)"
        assert str(Application._meta.verbose_name) == "联合审批申请"
        # one English word, two Chinese meanings: told apart by a context
        assert str(ApplicationStatus.APPROVED.label) == "审查通过"
        from jointreview.models import PauseRequest

        assert str(PauseRequest.Status.APPROVED.label) == "已批准"


# ------------------------------------------------------------------------------------------- refusals

def test_a_service_refusal_is_shown_in_the_users_language():
    w = make_world(1)
    app = intake.application_open(actor=w.owner, project=w.project, workflow=w.workflow)
    material = app.materials.get().material
    url = reverse("intake:application_submit", args=[app.pk])
    english = _messages(_client(w.owner, "en").post(url, follow=True))
    assert english == [f"Cannot submit; these materials or items are incomplete: “{material.item.name}”: "
                       f"“{material.name}” is missing"]
    chinese = _messages(_client(w.owner, "zh-hans").post(url, follow=True))
    assert chinese == [f"不能提交, 以下材料或事项不完整: 「{material.item.name}」缺少「{material.name}」"]
    app.refresh_from_db()
    assert app.status == ApplicationStatus.DRAFT


def test_an_api_refusal_is_answered_in_the_requested_language():
    owner = OwnerUserFactory()
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    english.force_login(owner)
    response = english.get("/api/clocks/")
    assert response.status_code == 403 and response.json()["message"] == "Clocks are visible to centre staff only."
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    chinese.force_login(owner)
    assert chinese.get("/api/clocks/").json()["message"] == "时限监察仅限中心人员。"


def test_success_messages_follow_the_language(queued):
    s = make_round(1)
    side = s.agencies[0]
    url = reverse("review:opinion_save", args=[side.assignment.pk])
    english = _messages(_client(side.reviewer, "en").post(url, {"outcome": "revise"}, follow=True))
    assert english == ["Draft saved."]
    chinese = _messages(_client(side.reviewer, "zh-hans").post(url, {"outcome": "revise"}, follow=True))
    assert chinese == ["草稿已保存。"]


# ------------------------------------------------------------------------------------------- dates

def test_dates_are_written_in_each_languages_format(queued):
    s = make_round(1)
    side = s.agencies[0]
    due = side.assignment.due_date
    url = reverse("review:assignment", args=[side.assignment.pk])
    english = _client(side.reviewer, "en").get(url).content.decode()
    assert f"due {due.day} {due:%b} {due.year}" in english and due.isoformat() not in english
    chinese = _client(side.reviewer, "zh-hans").get(url).content.decode()
    assert f"到期 {due.isoformat()}" in chinese


# ------------------------------------------------------------------------------------------- issued documents

def test_a_one_time_notice_returned_from_an_english_page_stays_chinese():
    w = make_world(1)
    app = intake.application_open(actor=w.owner, project=w.project, workflow=w.workflow)
    am = app.materials.get()
    intake.document_upload(actor=w.owner, application_material=am, upload=("a.pdf", b"%PDF-1.4\n%%EOF\n"))
    intake.application_submit(actor=w.owner, application=app)
    intake.completeness_check(actor=w.centre, application=app,
                              results=[{"material_id": am.pk, "status": "defective", "note": "缺少签章"}])
    response = _client(w.centre, "en").post(reverse("intake:application_return", args=[app.pk]), follow=True)
    notice = IssuedDocument.objects.get(application=app, kind=IssuedKind.COMPLETENESS_NOTICE)
    assert _messages(response) == [f"Returned with one notice {notice.number} (1 item)."]
    assert [d["problem_label"] for d in notice.content["defects"]] == ["不符合要求"]


@pytest.mark.usefixtures("run_tasks")  # the round's consolidation drafts the notice in-process
def test_a_joint_notice_issued_from_an_english_page_keeps_chinese_labels(django_capture_on_commit_callbacks):
    s = make_round(1)
    side = s.agencies[0]
    with django_capture_on_commit_callbacks(execute=True):
        review.opinion_save_draft(actor=side.reviewer, assignment_id=side.assignment.pk, outcome=Outcome.REVISE)
        review.finding_add(actor=side.reviewer, assignment_id=side.assignment.pk, text="防火间距不足")
        draft = side.assignment.opinions.get()
        review.opinion_sign(actor=side.reviewer, opinion_id=draft.pk, on=datetime.date(2026, 3, 9))
    notice = IssuedDocument.objects.get(kind=IssuedKind.JOINT_NOTICE)
    response = _client(s.coordinator, "en").post(reverse("review:notice_issue", args=[notice.pk]), follow=True)
    assert _messages(response) == ["Joint notice issued."]
    notice.refresh_from_db()
    assert notice.state == IssuedDocument.State.ISSUED
    agency = notice.content["agencies"][0]
    assert agency["outcome_label"] == "修改后复审"
    assert [f["state_label"] for group in agency["groups"] for f in group["findings"]] == ["未关闭"]
