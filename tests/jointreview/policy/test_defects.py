"""The defects issue 8 observed, each now refused, and the portion rules (each agency reads its own
portion of the materials, the shared ones, and the lead everything when the catalogue says so)."""
from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse

from jointreview import policy
from jointreview.accounts import services as accounts
from jointreview.intake import services as intake
from jointreview.models import AuditEvent, CalendarDay, DeadlineChange, Material
from jointreview.review import services as review
from jointreview.services.errors import PermissionDeniedError, ServiceError
from projects.models import Role, User
from tests.factories import AgencyFactory, CentreAdminFactory, ProjectFactory, ReviewerFactory

from .world import _pdf, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world()


def _get(client, user, url):
    client.force_login(user)
    return client.get(url).status_code


def test_one_time_notice_is_the_owners_at_both_urls(client, w):
    notice = w["own"]["completeness_notice"]
    for url in (reverse("intake:notice_pdf", args=[notice.pk]), reverse("review:issued_file", args=[notice.pk])):
        assert _get(client, w["users"]["owner"], url) == 200
        assert _get(client, w["users"]["lead"], url) == 404  # was 200 at /review/documents/<id>/pdf/
        assert _get(client, w["users"]["other_reviewer"], url) == 404


def test_another_agencys_pause_notice_is_not_readable(client, w):
    notice = w["own"]["pause_notice"]  # agency X's pause, with its reason; no joint notice exists
    assert notice.agency_id == w["users"]["lead"].organization_id
    for url in (reverse("intake:notice_pdf", args=[notice.pk]), reverse("review:issued_file", args=[notice.pk])):
        assert _get(client, w["users"]["reviewer_a"], url) == 200
        assert _get(client, w["users"]["other_reviewer"], url) == 404  # agency Y on the same application
        assert _get(client, w["users"]["owner"], url) == 200


def test_a_user_added_through_the_admin_joins_its_organization_group_and_both_paths_agree(client, w):
    admin = w["users"]["centre_admin"]
    agency = w["users"]["lead"].organization
    client.force_login(admin)
    response = client.post(reverse("admin:projects_user_add"), {
        "username": "new-reviewer", "password1": "a-Long-pass-phrase-42", "password2": "a-Long-pass-phrase-42",
        "usable_password": "true", "organization": agency.pk, "role": Role.AGENCY_REVIEWER, "display_name": "新人",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="new-reviewer")
    assert list(user.groups.values_list("pk", flat=True)) == [agency.group_id]
    assert AuditEvent.objects.filter(verb="user.create", target_id=str(user.pk), actor=admin).exists()
    a = w["own"]["assignment"]
    version = w["own"]["version"]
    # the assignment page, the review path and the intake path answer alike
    assert _get(client, user, reverse("review:assignment", args=[a.pk])) == 200
    assert _get(client, user, reverse("review:document_version", args=[a.pk, version.pk])) == 200
    assert _get(client, user, reverse("intake:document_download", args=[version.pk])) == 200
    assert user.has_perm("projects.view_document", version.document)  # guardian agrees with the policy
    # moved to another agency: the group follows, the old portion is gone at every path
    other = AgencyFactory()
    accounts.user_update(actor=admin, user=user, organization=other)
    user.refresh_from_db()
    assert list(user.groups.values_list("pk", flat=True)) == [other.group_id]
    assert _get(client, user, reverse("review:document_version", args=[a.pk, version.pk])) == 404
    assert _get(client, user, reverse("intake:document_download", args=[version.pk])) == 404


def test_group_tampering_is_refused_and_gives_nothing(client, w):
    admin = w["users"]["centre_admin"]
    intruder = ReviewerFactory()  # another agency's reviewer
    foreign_group = w["users"]["lead"].organization.group
    with pytest.raises(PermissionDenied), transaction.atomic():
        intruder.groups.add(foreign_group)
    with pytest.raises(PermissionDenied), transaction.atomic():
        foreign_group.user_set.add(intruder)
    # the admin offers no groups or permissions on a user, and nothing a centre admin posts adds one
    client.force_login(admin)
    page = client.get(reverse("admin:projects_user_change", args=[intruder.pk])).content.decode()
    assert 'name="groups"' not in page and 'name="user_permissions"' not in page
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 403
    # a group added behind the policy's back (raw SQL) still gives no access: grants of the
    # user's organization count, not the groups the user happens to be in
    User.groups.through.objects.bulk_create([User.groups.through(user_id=intruder.pk, group_id=foreign_group.pk)])
    version = w["own"]["version"]
    assert _get(client, intruder, reverse("intake:document_download", args=[version.pk])) == 404
    assert not policy.can_read_document(User.objects.get(pk=intruder.pk), version.document)


def test_superuser_and_staff_only_from_a_superuser(client, w):
    admin = w["users"]["centre_admin"]
    client.force_login(admin)
    url = reverse("admin:projects_user_change", args=[admin.pk])
    page = client.get(url).content.decode()
    assert 'name="is_superuser"' not in page and 'name="is_staff"' not in page  # read-only for them
    data = {"username": admin.username, "organization": admin.organization_id, "role": Role.CENTRE_ADMIN,
            "is_active": "on", "is_superuser": "on", "is_staff": "on", "display_name": "x", "phone": "",
            "first_name": "", "last_name": "", "email": "", "last_login_0": "", "last_login_1": "",
            "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"}
    client.post(url, data)
    admin.refresh_from_db()
    assert not admin.is_superuser
    with pytest.raises(PermissionDeniedError):
        accounts.user_update(actor=admin, user=admin, is_superuser=True)
    reviewer = w["users"]["reviewer_a"]
    with pytest.raises(PermissionDeniedError):
        accounts.user_update(actor=admin, user=reviewer, role=Role.CENTRE_ADMIN)
    superuser = User.objects.create_superuser("root", "root@example.org", "a-Long-pass-phrase-42")
    accounts.user_update(actor=superuser, user=reviewer, is_superuser=True)
    assert User.objects.get(pk=reviewer.pk).is_superuser
    assert AuditEvent.objects.filter(verb="user.change", target_id=str(reviewer.pk), actor=superuser).exists()


def test_beat_tasks_are_a_superusers(client, w):
    client.force_login(w["users"]["centre_admin"])
    assert client.get(reverse("admin:django_celery_beat_periodictask_changelist")).status_code == 403
    assert client.post(reverse("admin:django_celery_beat_periodictask_add"), {"name": "x"}).status_code == 403


def test_audit_rows_keep_the_actor_as_they_were(client, w):
    reviewer = w["users"]["reviewer_a"]
    event = AuditEvent.objects.filter(actor=reviewer, verb="finding.add").first() or \
        AuditEvent.objects.filter(actor=reviewer).first()
    shown = (event.actor_name, event.actor_organization)
    assert reviewer.username in shown[0] and shown[1] == reviewer.organization.name
    accounts.user_update(actor=w["users"]["centre_admin"], user=reviewer, display_name="改名后", username="renamed")
    event.refresh_from_db()
    assert (event.actor_name, event.actor_organization) == shown
    assert "renamed" not in str(event)


def test_calendar_day_in_the_admin_goes_through_the_service(client, w):
    day = datetime.date(2026, 3, 4)  # a Wednesday inside the running clocks
    client.force_login(w["users"]["centre_admin"])
    response = client.post(reverse("admin:jointreview_calendarday_add"), {
        "date": day.isoformat(), "is_workday": "", "name": "临时停工", "source": "中心通知",
    })
    assert response.status_code == 302
    assert CalendarDay.objects.filter(date=day, is_workday=False).exists()
    assert AuditEvent.objects.filter(verb="calendar.day_set", actor=w["users"]["centre_admin"]).exists()


def test_calendar_day_change_recomputes_deadlines_with_deadline_changes(django_capture_on_commit_callbacks, w,
                                                                         monkeypatch):
    monkeypatch.setattr("jointreview.services.queue.enqueue", lambda name, **kw: (_ for _ in ()).throw(
        ConnectionError("broker down")))  # the fallback recomputes in-process
    from jointreview.clocks import services as clocks
    from jointreview.models import Application

    clock = Application.objects.get(pk=w["own"]["application"].pk).clock
    clock.refresh_from_db()
    before = clock.due_date
    day = clock.started_on + datetime.timedelta(days=1)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        clocks.calendar_day_set(actor=w["users"]["centre_admin"], day=day, is_workday=False, name="临时停工",
                                source="中心通知")
    clock.refresh_from_db()
    assert clock.due_date > before
    assert DeadlineChange.objects.filter(clock=clock, old_due=before, new_due=clock.due_date).exists()


def test_a_finding_cannot_point_at_a_version_outside_the_portion(w):
    reviewer = w["users"]["reviewer_a"]
    a = w["own"]["assignment"]
    with pytest.raises(ServiceError, match="该文件版本不属于您可查阅"):  # agency Y's material, same application
        review.finding_add(actor=reviewer, assignment_id=a.pk, text="x",
                           document_version_id=w["own"]["other_version"].pk)
    with pytest.raises(ServiceError, match="该文件版本不属于您可查阅"):  # another application's document
        review.finding_add(actor=reviewer, assignment_id=a.pk, text="x",
                           document_version_id=w["foreign"]["version"].pk)
    f = review.finding_add(actor=reviewer, assignment_id=a.pk, text="ok", document_version_id=w["own"]["version"].pk)
    assert f.document_version_id == w["own"]["version"].pk


# ------------------------------------------------------------------------------------------- portions


def test_each_agency_reads_its_portion_and_the_shared_materials(client, w):
    app = w["own"]["application"]
    x, y = w["users"]["reviewer_a"], w["users"]["other_reviewer"]
    by_code = {am.material.code: am.document for am in app.materials.select_related("material", "document")}
    assert set(by_code) == {"m-x-own", "m-y-own", "site-own"}
    assert {c for c, d in by_code.items() if policy.can_read_document(x, d)} == {"m-x-own", "site-own"}
    assert {c for c, d in by_code.items() if policy.can_read_document(y, d)} == {"m-y-own", "site-own"}
    page = (client.force_login(x) or client.get(reverse("review:assignment", args=[w["own"]["assignment"].pk])))
    html = page.content.decode()
    assert 'id="portion"' in html and "x 材料" in html and "总平面图" in html and "y 材料" not in html
    shown = {v.document_id for v in page.context["versions"]}
    assert shown == {by_code["m-x-own"].pk, by_code["site-own"].pk}


def test_the_lead_reads_everything_when_the_catalogue_says_so(w):
    app0 = w["own"]["application"]
    wf = app0.workflow
    wf.lead_agency = w["users"]["lead"].organization
    wf.lead_reads_all = True
    wf.save()
    app = _second_application(w)
    x = app.assignments.get(agency=wf.lead_agency)
    assert x.reads_all
    docs = [am.document for am in app.materials.all()]
    assert all(policy.can_read_document(w["users"]["reviewer_a"], d) for d in docs)
    y_docs = [d for d in docs if not policy.can_read_document(w["users"]["other_reviewer"], d)]
    assert len(y_docs) == 1  # agency Y (not the lead) still reads only its portion + shared


def test_a_catalogue_rule_change_takes_effect_for_new_applications(w):
    app1 = w["own"]["application"]
    Material.objects.filter(code="m-x-own").update(shared=True)  # X's material now shared by everyone
    app2 = _second_application(w)
    y = w["users"]["other_reviewer"]
    doc1 = app1.materials.get(material__code="m-x-own").document
    doc2 = app2.materials.get(material__code="m-x-own").document
    y2 = app2.assignments.get(agency=y.organization)
    assert "m-x-own" in y2.portion and policy.can_read_document(y, doc2)
    # the application accepted before the change keeps the portion recorded at its acceptance
    assert "m-x-own" not in app1.assignments.get(agency=y.organization).portion
    assert not policy.can_read_document(y, doc1)


def _second_application(w):
    owner, coordinator = w["users"]["owner"], w["users"]["coordinator"]
    app0 = w["own"]["application"]
    project = ProjectFactory(owner=owner.organization, name="第二个项目")
    app = intake.application_open(actor=owner, project=project, workflow=app0.workflow)
    for am in app.materials.all():
        intake.document_upload(actor=owner, application_material=am, upload=_pdf())
    intake.application_submit(actor=owner, application=app)
    intake.completeness_check(actor=coordinator, application=app,
                              results=[{"material_id": am.pk, "status": "ok"} for am in app.materials.all()])
    return intake.application_accept(actor=coordinator, application=app, today=datetime.date(2026, 3, 2))


def test_an_upload_after_acceptance_is_granted_by_the_recorded_portion(w):
    """A revised document goes to the agencies whose portion covers it, and only to them."""
    app = w["own"]["application"]
    am = app.materials.get(material__code="m-y-own")
    from jointreview.models import Application, ApplicationStatus

    Application.objects.filter(pk=app.pk).update(status=ApplicationStatus.REVISION)
    version = intake.document_upload(actor=w["users"]["owner"], application_material=am.pk, upload=_pdf("v2.pdf"))
    assert policy.can_read_document(w["users"]["other_reviewer"], version.document)
    assert not policy.can_read_document(w["users"]["reviewer_a"], version.document)


def test_owner_never_sees_drafts(client, w):
    owner = w["users"]["owner"]
    op = w["own"]["opinion"]
    assert not policy.can_view_opinion(owner, op)
    assert _get(client, owner, reverse("review:attachment_download", args=[w["own"]["attachment"].pk])) == 404
    assert _get(client, owner, f"/api/review/assignments/{w['own']['assignment'].pk}/") == 404


def test_admin_user_is_group_member_via_any_path():
    """Created by the low-level service, a command, or the shell: the group follows."""
    agency = AgencyFactory()
    u = User.objects.create_user("shell-made", organization=agency, role=Role.AGENCY_LEAD)
    assert list(u.groups.values_list("pk", flat=True)) == [agency.group_id or Group.objects.get(
        name=f"org:{agency.pk}").pk]
    admin = CentreAdminFactory()
    assert policy.can_use_admin(admin) and not policy.can_grant_privileges(admin)


def _queries(client, user, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(user)
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["owner", "reviewer", "coordinator"])
def test_application_and_assignment_pages_cost_the_same_queries_at_any_size(client, settings, tmp_path, who):
    """No per-row permission query: 2 agencies or 6, the pages run the same number of queries."""
    from tests.jointreview.intake.conftest import make_world, ready_app

    settings.MEDIA_ROOT = tmp_path / "media"
    counts = []
    for n in (2, 6):
        world = make_world(n_agencies=n)
        app = ready_app(world)
        intake.application_accept(actor=world.centre, application=app)
        user = {"owner": world.owner, "coordinator": world.centre,
                "reviewer": world.reviewers[world.agencies[0].pk]}[who]
        urls = [reverse("intake:application_detail", args=[app.pk]),
                reverse("review:application_rounds", args=[app.pk])]
        if who != "owner":
            urls.append(reverse("review:assignment", args=[app.assignments.get(agency=world.agencies[0]).pk]))
        counts.append([_queries(client, user, url) for url in urls])
    assert counts[0] == counts[1]


def test_a_superusers_beat_edit_is_audited(admin_client):
    response = admin_client.post(reverse("admin:django_celery_beat_intervalschedule_add"),
                                 {"every": 5, "period": "minutes", "periodictask_set-TOTAL_FORMS": 0,
                                  "periodictask_set-INITIAL_FORMS": 0})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(verb="admin.add", target_type="django_celery_beat.IntervalSchedule").exists()
