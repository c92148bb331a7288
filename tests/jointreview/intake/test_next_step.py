"""No dead ends: "what happens next and who acts", for each application state and each role, with the
link to where that person acts (jointreview/intake/next_step.py), and the panel on the pages."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from jointreview.intake import services as intake
from jointreview.intake.next_step import next_step
from jointreview.models import Application, ApplicationStatus, IssuedDocument, IssuedKind, Opinion
from jointreview.review import services as review
from tests.browser.support import accepted_app, assignment_of, make_world, submitted_app
from tests.factories import PDF_BYTES

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tasks_inline(monkeypatch, django_capture_on_commit_callbacks):
    """Tasks run at once, and what services queue on commit runs (the joint notice is drafted by a task)."""
    import tasks.jobs  # noqa: F401 - registers every task
    from tasks.app import app as celery_app

    monkeypatch.setattr("jointreview.services.queue.enqueue",
                        lambda name, **kw: celery_app.tasks[name].apply(kwargs=kw, throw=True))
    global _commit
    _commit = django_capture_on_commit_callbacks


_commit = None


def steps(w, app):
    """key, yours and urls of the panel for owner, coordinator, fire lead and fire reviewer."""
    app = Application.objects.get(pk=app.pk)
    fire = w.sides[0]
    out = {}
    for role, user in (("owner", w.owner), ("centre", w.coordinator), ("lead", fire.lead),
                       ("reviewer", fire.reviewer)):
        with translation.override("en"):
            s = next_step(user, app)
        out[role] = (s.key, s.yours, [url for _label, url in s.links])
    return out


def app_page(app, anchor=""):
    return reverse("intake:application_detail", args=[app.pk]) + anchor


def doc_url(app, kind):
    doc = IssuedDocument.objects.filter(application=app, kind=kind, state="issued").latest("pk")
    return reverse("review:issued_file", args=[doc.pk])


def sign_all(w, app, outcome_for_fire="pass"):
    with _commit(execute=True):
        _sign_all(w, app, outcome_for_fire)


def _sign_all(w, app, outcome_for_fire):
    for s in w.sides:
        a = assignment_of(app, s)
        outcome = outcome_for_fire if s is w.sides[0] else "pass"
        review.opinion_save_draft(actor=s.reviewer, assignment_id=a.pk, outcome=outcome, summary="意见")
        if outcome == "revise":
            review.finding_add(actor=s.reviewer, assignment_id=a.pk, text="防火分区面积超限")
        review.opinion_sign(actor=s.reviewer, opinion_id=Opinion.objects.get(assignment=a).pk)


def test_draft_submitted_and_returned():
    w = make_world()
    app = intake.application_open(actor=w.owner, project=w.project, workflow=w.workflow)
    s = steps(w, app)
    assert s["owner"] == ("owner_prepares", True, [app_page(app, "#materials")])
    assert s["centre"] == ("owner_prepares", False, [])

    for am in app.materials.all():
        intake.document_upload(actor=w.owner, application_material=am, upload=("drawing.pdf", PDF_BYTES))
    intake.application_submit(actor=w.owner, application=app)
    s = steps(w, app)
    assert s["owner"] == ("window_checks", False, [])
    assert s["centre"] == ("window_checks", True, [reverse("intake:application_check", args=[app.pk])])

    first = app.materials.first()
    intake.completeness_check(actor=w.coordinator, application=app, results=[
        {"material_id": am.pk, "status": "missing" if am.pk == first.pk else "ok"} for am in app.materials.all()])
    intake.application_return(actor=w.coordinator, application=app)
    notice = doc_url(app, IssuedKind.COMPLETENESS_NOTICE)
    s = steps(w, app)
    # the owner reads the one-time notice, then supplements on the application page
    assert s["owner"] == ("owner_supplements", True, [notice, app_page(app, "#materials")])
    assert s["centre"] == ("owner_supplements", False, [notice])


def test_in_review_each_agency_role_is_sent_to_its_assignment():
    w = make_world()
    app = accepted_app(w, assign=False)
    a = assignment_of(app, w.sides[0])
    rounds = reverse("review:application_rounds", args=[app.pk])
    s = steps(w, app)
    assert s["lead"] == ("agency_reviews", True, [reverse("review:assignment", args=[a.pk])])
    assert s["owner"] == ("agencies_review", False, [rounds])
    assert s["centre"] == ("agencies_review", False, [rounds])
    with translation.override("en"):
        assert next_step(w.sides[0].lead, app).text == "Assign a reviewer to your agency's portion."

    review.assignment_assign(actor=w.sides[0].lead, assignment_id=a.pk, reviewer_id=w.sides[0].reviewer.pk)
    with translation.override("en"):
        assert next_step(w.sides[0].reviewer, app).text == "Review your agency's portion and sign the opinion."
    # an agency whose opinion is signed waits for the others
    review.opinion_save_draft(actor=w.sides[0].reviewer, assignment_id=a.pk, outcome="pass", summary="ok")
    review.opinion_sign(actor=w.sides[0].reviewer, opinion_id=Opinion.objects.get(assignment=a).pk)
    s = steps(w, app)
    assert s["reviewer"] == ("agencies_review", False, [rounds])


def test_joint_notice_revision_resubmit_certificate():
    w = make_world()
    app = accepted_app(w)
    sign_all(w, app, outcome_for_fire="revise")
    s = steps(w, app)
    assert s["centre"] == ("centre_issues_notice", True, [reverse("review:coordination")])
    assert s["owner"][:2] == ("centre_issues_notice", False)

    draft = IssuedDocument.objects.get(application=app, kind=IssuedKind.JOINT_NOTICE)
    review.notice_issue(actor=w.coordinator, notice_id=draft.pk)
    notice = doc_url(app, IssuedKind.JOINT_NOTICE)
    rounds = reverse("review:application_rounds", args=[app.pk])
    s = steps(w, app)
    # the owner: the joint notice, then the answer/resubmit page
    assert s["owner"] == ("owner_revises", True, [notice, rounds])
    assert s["centre"] == ("owner_revises", False, [notice, rounds])
    assert s["reviewer"] == ("owner_revises", False, [notice, rounds])

    for f in review_findings(app):
        review.finding_respond(actor=w.owner, finding_id=f.pk, response="fixed", text="已修改")
    fire_material = app.materials.get(material__item__agency=w.sides[0].agency)
    intake.document_upload(actor=w.owner, application_material=fire_material, upload=("v2.pdf", PDF_BYTES))
    with _commit(execute=True):
        review.application_resubmit(actor=w.owner, application_id=app.pk)
    app.refresh_from_db()
    a2 = app.assignments.get(round_number=2)
    s = steps(w, app)
    assert s["reviewer"] == ("agency_reviews", True, [reverse("review:assignment", args=[a2.pk])])

    review.opinion_save_draft(actor=w.sides[0].reviewer, assignment_id=a2.pk, outcome="pass", summary="ok")
    op = Opinion.objects.get(assignment=a2, state="draft")
    for f in op.findings.all():
        review.finding_update(actor=w.sides[0].reviewer, finding_id=f.pk, state="closed")
    with _commit(execute=True):
        review.opinion_sign(actor=w.sides[0].reviewer, opinion_id=op.pk)
    notice2 = IssuedDocument.objects.get(application=app, kind=IssuedKind.JOINT_NOTICE, round__number=2)
    review.notice_issue(actor=w.coordinator, notice_id=notice2.pk)
    s = steps(w, app)
    assert s["centre"] == ("centre_issues_certificate", True, [reverse("review:coordination")])
    assert s["owner"][:2] == ("centre_issues_certificate", False)

    review.certificate_issue(actor=w.coordinator, application_id=app.pk)
    cert = doc_url(app, IssuedKind.CERTIFICATE)
    s = steps(w, app)
    for role in ("owner", "centre", "reviewer"):
        assert s[role] == ("done_approved", False, [cert]), role


def review_findings(app):
    from jointreview.models import Finding

    return Finding.objects.filter(opinion__assignment__application=app, opinion__outcome="revise")


def test_final_states_close_the_case():
    w = make_world()
    app = submitted_app(w)
    intake.application_withdraw(actor=w.owner, application=app, reason="项目调整")
    assert steps(w, app)["owner"] == ("done_withdrawn", False, [])
    Application.objects.filter(pk=app.pk).update(status=ApplicationStatus.REJECTED)
    assert steps(w, app)["centre"] == ("done_rejected", False, [])


def test_pages_show_the_panel_and_the_first_contact_coordinator(en_client):
    w = make_world()
    app = accepted_app(w)
    sign_all(w, app, outcome_for_fire="revise")
    review.notice_issue(actor=w.coordinator,
                        notice_id=IssuedDocument.objects.get(application=app, kind=IssuedKind.JOINT_NOTICE).pk)
    en_client.force_login(w.owner)
    page = en_client.get(app_page(app)).content.decode()
    assert 'data-step="owner_revises"' in page
    assert doc_url(app, IssuedKind.JOINT_NOTICE) in page
    assert f'href="{reverse("review:application_rounds", args=[app.pk])}"' in page
    assert f"first-contact coordinator: {w.coordinator}" in page
    # the rounds page carries the same panel and links back to the application
    page = en_client.get(reverse("review:application_rounds", args=[app.pk])).content.decode()
    assert 'data-step="owner_revises"' in page and f'href="{app_page(app)}"' in page


def test_coordinator_pages_link_applications_assignments_and_certificates(client):
    w = make_world()
    app = accepted_app(w)
    sign_all(w, app)
    cert = review.certificate_issue(actor=w.coordinator, application_id=app.pk)
    client.force_login(w.coordinator)
    page = client.get(reverse("review:coordination")).content.decode()
    assert f'href="{reverse("review:issued_file", args=[cert.pk])}"' in page
    assert f'href="{app_page(app)}"' in page
    page = client.get(app_page(app)).content.decode()
    assert f'href="{reverse("review:issued_file", args=[cert.pk])}"' in page
    a = assignment_of(app, w.sides[0])
    assert f'href="{reverse("review:assignment", args=[a.pk])}"' in page


def test_open_deferrals_are_the_owners_next_step_until_delivered(django_capture_on_commit_callbacks):
    from jointreview.models import Deferral

    w = make_world()
    app = accepted_app(w)
    Deferral.objects.create(application=app, material=w.sides[0].material, promised_date=app.accepted_on,
                            commitment="按期补交", recorded_by=w.coordinator)
    s = steps(w, app)
    assert s["owner"] == ("owner_delivers_deferred", True, [app_page(app, "#materials")])
    assert s["centre"][0] == "agencies_review"  # the agencies still review meanwhile
    sign_all(w, app)
    assert steps(w, app)["centre"][0] == "centre_issues_notice"
    review.notice_issue(actor=w.coordinator,
                        notice_id=IssuedDocument.objects.get(application=app, kind=IssuedKind.JOINT_NOTICE).pk)
    s = steps(w, app)
    # every agency passed: the centre sees why no certificate yet, the owner what to deliver
    assert s["centre"] == ("owner_delivers_deferred", False, [app_page(app, "#materials")])
    assert s["owner"][:2] == ("owner_delivers_deferred", True)
