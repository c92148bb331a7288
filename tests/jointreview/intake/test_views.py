"""The intake pages and API: allowed/denied pairs per role, 404 for other organizations, query counts."""
from __future__ import annotations

import pytest
from django.urls import reverse

from jointreview.clocks.calendar import get_calendar
from jointreview.documents import services as documents
from jointreview.intake import services as intake
from jointreview.models import Application, ApplicationStatus, Assignment, IssuedDocument
from tests.factories import PDF_BYTES, CoordinatorFactory, OwnerUserFactory, ProjectFactory, ReviewerFactory

from .conftest import PNG_BYTES, make_world, ready_app, submitted_app

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


# ----------------------------------------------------------------------------------------- projects


def test_owner_sees_only_its_own_projects(client, world, django_assert_num_queries):
    other = ProjectFactory(name="别人的项目")
    login(client, world.owner)
    ProjectFactory(owner=world.owner.organization)  # a second own project: the query count stays
    # session, user, projects (+owner, zone in one join), menu, the header's unread count
    with django_assert_num_queries(5):
        resp = client.get(reverse("intake:project_list"))
    assert resp.status_code == 200
    assert world.project.name in resp.content.decode()
    assert "别人的项目" not in resp.content.decode()
    assert client.get(reverse("intake:project_detail", args=[world.project.pk])).status_code == 200
    assert client.get(reverse("intake:project_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("intake:project_detail", args=[999999])).status_code == 404


def test_agency_cannot_list_projects(client, world):
    login(client, world.reviewers[world.agencies[0].pk])
    assert client.get(reverse("intake:project_list")).status_code == 403
    assert client.get(reverse("intake:project_detail", args=[world.project.pk])).status_code == 404


def test_centre_sees_every_project(client, world):
    login(client, world.centre)
    resp = client.get(reverse("intake:project_list"))
    assert resp.status_code == 200 and world.project.name in resp.content.decode()


def test_owner_registers_a_project_and_bad_input_is_shown(client, world):
    login(client, world.owner)
    data = {"code": "2026-320500-47-01-777777", "name": "新项目", "location": "示范路1号", "flow_type": "social",
            "land_acquisition": "transfer", "floor_area": "1000", "underground_area": "0", "height_m": "10",
            "investment": "100"}
    resp = client.post(reverse("intake:project_register"), data)
    assert resp.status_code == 302
    project = world.owner.organization.projects.get(code="2026-320500-47-01-777777")
    assert resp["Location"] == reverse("intake:project_detail", args=[project.pk])
    resp = client.post(reverse("intake:project_register"), {**data, "code": "bad"})
    assert resp.status_code == 200 and "2025-320500-47-01-123456" in resp.content.decode()


def test_centre_cannot_register_projects(client, world):
    login(client, world.centre)
    assert client.get(reverse("intake:project_register")).status_code == 403


# ----------------------------------------------------------------------------------------- applications


def test_owner_journey_open_upload_submit(client, world):
    login(client, world.owner)
    resp = client.post(reverse("intake:application_open", args=[world.project.pk]), {"workflow": world.workflow.pk})
    app = Application.objects.get(project=world.project)
    assert resp["Location"] == reverse("intake:application_detail", args=[app.pk])
    page = client.get(resp["Location"]).content.decode()
    for item in world.items:
        assert item.name in page
    am = app.materials.first()
    url = reverse("intake:material_upload", args=[app.pk, am.pk])
    from django.core.files.uploadedfile import SimpleUploadedFile

    resp = client.post(url, {"file": SimpleUploadedFile("a.pdf", PNG_BYTES)}, follow=True)
    assert "PNG" in resp.content.decode()  # the refusal is shown
    resp = client.post(url, {"file": SimpleUploadedFile("a.pdf", PDF_BYTES)}, follow=True)
    assert "已上传第 1 版" in resp.content.decode()
    resp = client.post(reverse("intake:application_submit", args=[app.pk]), follow=True)
    assert "不能提交" in resp.content.decode()
    app.refresh_from_db()
    assert app.status == ApplicationStatus.DRAFT


def test_application_detail_allowed_and_denied(client, world):
    app = ready_app(world)
    intake.application_accept(actor=world.centre, application=app)
    url = reverse("intake:application_detail", args=[app.pk])
    assert login(client, world.owner).get(url).status_code == 200
    assert login(client, world.centre).get(url).status_code == 200
    assert login(client, world.reviewers[world.agencies[0].pk]).get(url).status_code == 200
    assert login(client, OwnerUserFactory()).get(url).status_code == 404
    assert login(client, ReviewerFactory()).get(url).status_code == 404  # an agency without an assignment


def test_agency_sees_only_its_own_assignments(client, world):
    from jointreview.policy import agency_assignments, applications_for

    app = ready_app(world)
    intake.application_accept(actor=world.centre, application=app)
    other = make_world(n_agencies=1)
    other_app = ready_app(other)
    intake.application_accept(actor=other.centre, application=other_app)
    reviewer = world.reviewers[world.agencies[1].pk]
    assert list(agency_assignments(reviewer)) == list(Assignment.objects.filter(agency=world.agencies[1]))
    assert list(applications_for(reviewer)) == [app]
    assert login(client, reviewer).get(
        reverse("intake:application_detail", args=[other_app.pk])).status_code == 404
    resp = client.get(reverse("intake:application_detail", args=[app.pk]))
    assert [a.agency_id for a in resp.context["assignments"]] == [world.agencies[1].pk]


def test_window_is_for_the_centre(client, world, django_assert_num_queries):
    submitted_app(world)
    other = make_world(n_agencies=2)
    submitted_app(other)
    login(client, world.centre)
    get_calendar()  # the working-day calendar is read once per process (clocks/calendar.py), not per request
    # session, user, queue count, queue page (+counts), recent, menu, unread count; the projects' budgets (6,
    # whatever the rows)
    with django_assert_num_queries(13):
        resp = client.get(reverse("intake:window"))
    assert resp.status_code == 200 and resp.content.decode().count("/check/") == 2
    assert login(client, world.owner).get(reverse("intake:window")).status_code == 403
    assert login(client, world.reviewers[world.agencies[0].pk]).get(reverse("intake:window")).status_code == 403


def test_check_return_and_notice_pdf(client, world):
    app = submitted_app(world)
    login(client, world.centre)
    check_url = reverse("intake:application_check", args=[app.pk])
    assert client.get(check_url).status_code == 200
    data = {}
    for i, am in enumerate(app.materials.order_by("pk")):
        data[f"m{am.pk}-status"] = "ok" if i else "defective"
        data[f"m{am.pk}-note"] = "" if i else "缺少签章"
    assert client.post(check_url, data).status_code == 302
    resp = client.post(reverse("intake:application_return", args=[app.pk]))
    assert resp.status_code == 302
    notice = IssuedDocument.objects.get(application=app)
    waiting = client.get(reverse("intake:notice_pdf", args=[notice.pk]))  # the render task has not run yet
    assert waiting.status_code == 202 and 'http-equiv="refresh"' in waiting.content.decode()
    documents.issued_document_render(document_id=notice.pk)  # what the task does
    pdf = client.get(reverse("intake:notice_pdf", args=[notice.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith("inline")
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert login(client, world.owner).get(reverse("intake:notice_pdf", args=[notice.pk])).status_code == 200
    assert login(client, OwnerUserFactory()).get(reverse("intake:notice_pdf", args=[notice.pk])).status_code == 404
    assert login(client, world.reviewers[world.agencies[0].pk]).get(
        reverse("intake:notice_pdf", args=[notice.pk])).status_code == 404
    page = login(client, world.owner).get(reverse("intake:application_detail", args=[app.pk])).content.decode()
    assert "缺少签章" in page and notice.number in page


def test_owner_and_agency_cannot_use_the_window_actions(client, world):
    app = ready_app(world)
    # the owner sees its application but may not check it (403); an agency has nothing before acceptance (404)
    for user, status in ((world.owner, 403), (world.reviewers[world.agencies[0].pk], 404)):
        login(client, user)
        assert client.get(reverse("intake:application_check", args=[app.pk])).status_code == status
        assert client.post(reverse("intake:application_accept", args=[app.pk])).status_code == status
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED and not Assignment.objects.exists()


def test_accept_from_the_window_then_twice(client, world):
    app = ready_app(world)
    login(client, world.centre)
    resp = client.post(reverse("intake:application_accept", args=[app.pk]), follow=True)
    assert "已受理" in resp.content.decode()
    assert Assignment.objects.filter(application=app).count() == 3
    resp = client.post(reverse("intake:application_accept", args=[app.pk]), follow=True)
    assert "申请已受理" in resp.content.decode()
    assert Assignment.objects.filter(application=app).count() == 3


def test_document_download_permissions(client, world):
    app = ready_app(world)
    intake.application_accept(actor=world.centre, application=app)
    version = app.materials.first().document.versions.first()
    url = reverse("intake:document_download", args=[version.pk])
    for user, code in ((world.owner, 200), (world.centre, 200), (world.reviewers[world.agencies[0].pk], 200),
                       (OwnerUserFactory(), 404), (ReviewerFactory(), 404), (CoordinatorFactory(), 200)):
        resp = login(client, user).get(url)
        assert resp.status_code == code, user
        if code == 200:
            assert resp["Content-Disposition"].startswith("inline")
            assert b"".join(resp.streaming_content) == PDF_BYTES


def test_document_of_an_unaccepted_application_is_hidden_from_agencies(client, world):
    app = submitted_app(world)
    version = app.materials.first().document.versions.first()
    resp = login(client, world.reviewers[world.agencies[0].pk]).get(
        reverse("intake:document_download", args=[version.pk]))
    assert resp.status_code == 404


def test_choose_intermediary_page_shows_registry(client, world):
    from tests.factories import AgencyFactory, ItemFactory, MaterialFactory

    item = ItemFactory(workflow=world.workflow, agency=None, competitive=True, kind="intermediary")
    MaterialFactory(item=item)
    firm = AgencyFactory(agency_type="intermediary", credit_rating="AAA", credit_notes="无不良记录")
    app = intake.application_open(actor=world.owner, project=world.project, workflow=world.workflow)
    url = reverse("intake:application_choose", args=[app.pk, item.pk])
    page = login(client, world.owner).get(url).content.decode()
    assert "AAA" in page and "无不良记录" in page and "暂无记录" in page  # zh-Hans, the default language
    resp = client.post(url, {"agency": firm.pk})
    assert resp.status_code == 302
    assert app.items.get(item=item).agency == firm
    assert login(client, OwnerUserFactory()).get(url).status_code == 404


# ----------------------------------------------------------------------------------------- API


def test_api_lists_only_the_users_applications(client, world):
    app = ready_app(world)
    other = make_world(n_agencies=1)
    other_app = ready_app(other)
    data = login(client, world.owner).get("/api/intake/applications/").json()
    assert [r["number"] for r in data["results"]] == [app.number]
    assert client.get(f"/api/intake/applications/{other_app.pk}/").status_code == 404
    detail = client.get(f"/api/intake/applications/{app.pk}/").json()
    assert {i["code"] for i in detail["items"]} == {i.code for i in world.items}
    centre = login(client, world.centre).get("/api/intake/applications/").json()
    assert {r["number"] for r in centre["results"]} == {app.number, other_app.number}
    assert login(client, world.reviewers[world.agencies[0].pk]).get("/api/intake/applications/").json()[
        "results"] == []


def test_api_accept_and_errors(client, world):
    app = ready_app(world)
    url = f"/api/intake/applications/{app.pk}/accept/"
    resp = login(client, world.owner).post(url, {}, content_type="application/json")
    assert resp.status_code == 403 and resp.json()["code"] == "forbidden" and resp.json()["message"]
    assert login(client, OwnerUserFactory()).post(url, {}, content_type="application/json").status_code == 404
    resp = login(client, world.centre).post(url, {}, content_type="application/json")
    assert resp.status_code == 200 and resp.json()["status"] == "accepted"
    resp = client.post(url, {}, content_type="application/json")
    assert resp.status_code == 409 and "申请已受理" in resp.json()["message"]
    assert Assignment.objects.filter(application=app).count() == 3


def test_api_return_needs_defects(client, world):
    app = ready_app(world)
    resp = login(client, world.centre).post(f"/api/intake/applications/{app.pk}/return/")
    assert resp.status_code == 400 and "无需退回, 请受理" in resp.json()["message"]
    draft = make_world(n_agencies=1)
    d = intake.application_open(actor=draft.owner, project=draft.project, workflow=draft.workflow)
    resp = client.post(f"/api/intake/applications/{d.pk}/accept/", {}, content_type="application/json")
    assert resp.status_code == 400 and "未提交" in resp.json()["message"]
