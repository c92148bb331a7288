"""Two people (or two sweeps) doing the same thing at the same moment, against PostgreSQL with real
threads, each on its own connection: exactly one winner, a clear message to the other, consistent
rows and audit. Both callers enter the service together (a barrier); each thread closes its own
connection at the end.

Covered elsewhere: two concurrent accepts (intake/test_fanout_integration.py, real processes), two
escalation sweeps (supervision/test_concurrency.py).
"""
from __future__ import annotations

import datetime
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone, translation

from jointreview.intake import fanout
from jointreview.models import (
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    AuditEvent,
    Finding,
    IssuedDocument,
    IssuedKind,
    Notification,
    Opinion,
    ReviewRound,
)
from jointreview.review import services as review
from jointreview.services.errors import ConflictError, ServiceError
from tests.factories import CoordinatorFactory, DocumentVersionFactory
from tests.jointreview.review.conftest import make_round

pytestmark = pytest.mark.django_db(transaction=True)
D = datetime.date


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at the same moment, one thread each (in English, so refusals read as their
    msgids); what each returned or raised, in order."""
    barrier = threading.Barrier(len(calls))
    outcome: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            with translation.override("en"):
                outcome[i] = call()
        except BaseException as exc:  # noqa: BLE001 - returned to the test
            outcome[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a racer hung (a deadlock?)"
    return outcome


def winner_and_loser(outcome: list[Any]) -> tuple[Any, ServiceError]:
    """Exactly one call succeeded; the other was refused with a ServiceError."""
    won = [o for o in outcome if not isinstance(o, BaseException)]
    lost = [o for o in outcome if isinstance(o, BaseException)]
    assert len(won) == 1 and len(lost) == 1, outcome
    assert isinstance(lost[0], ServiceError), repr(lost[0])
    return won[0], lost[0]


@pytest.fixture
def no_broker(monkeypatch):
    """Tasks enqueued by name are dropped (what they would do is not under test)."""
    monkeypatch.setattr("jointreview.services.queue.enqueue", lambda name, **kw: None)


def draft(side, outcome: str, findings: int = 0) -> int:
    review.opinion_save_draft(actor=side.reviewer, assignment_id=side.assignment.pk, outcome=outcome, summary="审查意见")
    for i in range(findings):
        review.finding_add(actor=side.reviewer, assignment_id=side.assignment.pk, text=f"意见{i + 1}",
                           standard="GB 50016-2014", clause="5.3.1", mandatory=True)
    return Opinion.objects.get(assignment=side.assignment, state=Opinion.State.DRAFT).pk


def sign(side, outcome: str, findings: int = 0) -> Opinion:
    return review.opinion_sign(actor=side.reviewer, opinion_id=draft(side, outcome, findings), on=D(2026, 3, 9))


def audits(verb: str, **kw) -> int:
    return AuditEvent.objects.filter(verb=verb, **kw).count()


def stored_pdfs(root) -> list[str]:
    """The issued (not draft) documents' PDFs in the media folder: one per issued document, none from a
    loser of a race (what becomes of a draft's PDF once issued is the render's business)."""
    return sorted(str(p.relative_to(root)) for p in (root / "issued").rglob("*.pdf")
                  if p.is_file() and not p.name.endswith("-draft.pdf"))


def test_last_two_signatures_at_once_one_round_completion_one_joint_notice(run_tasks, settings):
    s = make_round(3)
    sign(s.agencies[0], "pass")
    drafts = [(side.reviewer, draft(side, outcome, findings))
              for side, outcome, findings in ((s.agencies[1], "revise", 1), (s.agencies[2], "conditional", 0))]
    outcome = race(*(lambda r=r, o=o: review.opinion_sign(actor=r, opinion_id=o, on=D(2026, 3, 9))
                     for r, o in drafts))
    assert not any(isinstance(o, BaseException) for o in outcome), outcome
    assert Opinion.objects.filter(assignment__round=s.round, state=Opinion.State.SIGNED).count() == 3
    assert set(Assignment.objects.filter(round=s.round).values_list("status", flat=True)) == {AssignmentStatus.SIGNED}
    assert ReviewRound.objects.get(pk=s.round.pk).completed_at is not None
    assert audits("round.complete", target_id=str(s.round.pk)) == 1
    assert [n for n, _kw in run_tasks].count("jointreview.consolidate_round") == 1
    notice = IssuedDocument.objects.get(round=s.round, kind=IssuedKind.JOINT_NOTICE)
    assert [ag["outcome"] for ag in notice.content["agencies"]] == ["pass", "revise", "conditional"]
    assert notice.file and audits("notice.draft") == 1
    assert sorted(p.name for p in (settings.MEDIA_ROOT / "issued").rglob("*.pdf")) == [notice.file.name.split("/")[-1]]


def _ready_notice(run_tasks, outcomes=("pass", "revise")):
    s = make_round(len(outcomes))
    for side, outcome in zip(s.agencies, outcomes, strict=True):
        sign(side, outcome, 1 if outcome == "revise" else 0)
    return s, IssuedDocument.objects.get(round=s.round, kind=IssuedKind.JOINT_NOTICE)


def test_two_coordinators_issue_the_same_joint_notice_at_once(run_tasks, settings, client):
    s, notice = _ready_notice(run_tasks)
    other = CoordinatorFactory(organization=s.coordinator.organization)
    code = notice.verification_code
    outcome = race(*(lambda c=c: review.notice_issue(actor=c, notice_id=notice.pk, on=D(2026, 3, 10))
                     for c in (s.coordinator, other)))
    issued, refused = winner_and_loser(outcome)
    assert isinstance(refused, ConflictError) and refused.message == "This joint notice is already issued."
    notice.refresh_from_db()
    assert notice.state == IssuedDocument.State.ISSUED and notice.issued_by_id == issued.issued_by.pk
    assert notice.verification_code == code and notice.file
    assert IssuedDocument.objects.filter(application=s.app).count() == 1
    assert audits("notice.issue") == 1 and audits("application.revision") == 1
    assert Notification.objects.filter(key__startswith=f"notice-{notice.pk}-issued").count() == 3  # owner + 2
    s.app.refresh_from_db()
    assert s.app.status == ApplicationStatus.REVISION
    # one issued PDF is stored (the loser rendered nothing)
    assert stored_pdfs(settings.MEDIA_ROOT) == [notice.file.name]
    # the one who lost, trying again from the page, is told plainly
    client.force_login(other)
    page = client.post(f"/review/notices/{notice.pk}/issue/", HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "This joint notice is already issued." in page.content.decode()
    assert audits("notice.issue") == 1


def test_two_coordinators_issue_the_same_certificate_at_once(run_tasks, settings, client):
    s, notice = _ready_notice(run_tasks, ("pass", "conditional"))
    review.notice_issue(actor=s.coordinator, notice_id=notice.pk, on=D(2026, 3, 10))
    other = CoordinatorFactory(organization=s.coordinator.organization)
    outcome = race(*(lambda c=c: review.certificate_issue(actor=c, application_id=s.app.pk, on=D(2026, 3, 11))
                     for c in (s.coordinator, other)))
    cert, refused = winner_and_loser(outcome)
    assert isinstance(refused, ConflictError)
    assert refused.message == "The certificate of this application is already issued."
    certs = IssuedDocument.objects.filter(application=s.app, kind=IssuedKind.CERTIFICATE)
    assert [(c.pk, c.verification_code) for c in certs] == [(cert.pk, cert.verification_code)]
    assert certs.get().file
    assert audits("document.issue") == 1 and audits("application.approved") == 1
    assert Notification.objects.filter(kind="certificate").count() == 1
    s.app.refresh_from_db()
    assert s.app.status == ApplicationStatus.APPROVED
    notice.refresh_from_db()
    assert stored_pdfs(settings.MEDIA_ROOT) == sorted([notice.file.name, certs.get().file.name])
    client.force_login(other)
    page = client.post(f"/review/applications/{s.app.pk}/certificate/", HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "The certificate of this application is already issued." in page.content.decode()
    assert certs.count() == 1


def _in_revision(run_tasks):
    """A round whose notice asked agency 2 to revise; the owner answered and uploaded a new version."""
    s, notice = _ready_notice(run_tasks)
    review.notice_issue(actor=s.coordinator, notice_id=notice.pk, on=D(2026, 3, 10))
    finding = Finding.objects.get(opinion__assignment=s.agencies[1].assignment)
    review.finding_respond(actor=s.owner, finding_id=finding.pk, response="fixed", text="已修改")
    DocumentVersionFactory(document=s.version.document, number=2, uploaded_by=s.owner)
    return s


def test_owner_resubmitting_twice_at_once_opens_one_next_round(run_tasks):
    s = _in_revision(run_tasks)
    outcome = race(*(lambda: review.application_resubmit(actor=s.owner, application_id=s.app.pk, on=D(2026, 3, 16))
                     for _ in range(2)))
    rnd, refused = winner_and_loser(outcome)
    assert isinstance(refused, ConflictError)
    assert refused.message == "The application is accepted, in review: there is nothing to resubmit."
    assert list(ReviewRound.objects.filter(application=s.app).values_list("number", flat=True)) == [1, 2]
    assert Assignment.objects.filter(round=rnd).count() == 1
    assert audits("application.resubmit") == 1
    assert Notification.objects.filter(kind="assignment", assignment__round=rnd).count() == 1


def test_owner_resubmitting_while_the_agency_corrects_and_signs(run_tasks):
    """The owner resubmits while the agency that asked for revision tries to correct and sign its
    round-1 opinion: the notice is issued, so the correction is refused with a message and nothing of
    it is left; the next round opens once."""
    s = _in_revision(run_tasks)
    side = s.agencies[1]
    signed = Opinion.objects.get(assignment=side.assignment, state=Opinion.State.SIGNED)

    def correct_and_sign():
        new = review.opinion_correct(actor=side.reviewer, opinion_id=signed.pk, reason="笔误")
        return review.opinion_sign(actor=side.reviewer, opinion_id=new.pk, on=D(2026, 3, 16))

    outcome = race(
        lambda: review.application_resubmit(actor=s.owner, application_id=s.app.pk, on=D(2026, 3, 16)),
        correct_and_sign,
    )
    rnd, refused = winner_and_loser(outcome)
    assert isinstance(rnd, ReviewRound) and rnd.number == 2
    assert refused.message == "The joint notice of this round is issued: the opinion can no longer be corrected."
    assert list(Opinion.objects.filter(assignment=side.assignment).values_list("version", "state")) == [
        (1, Opinion.State.SIGNED)]
    assert audits("opinion.correct") == 0 and audits("application.resubmit") == 1
    new = Assignment.objects.get(round=rnd)
    assert new.agency_id == side.agency.pk and new.previous_id == side.assignment.pk
    s.app.refresh_from_db()
    assert s.app.status == ApplicationStatus.ACCEPTED and s.app.current_round == 2


def test_a_correction_and_the_issue_of_the_notice_at_once(run_tasks):
    """Write skew: opinion_correct checks that the notice is not issued, notice_issue that no
    correction is a draft. At once, either the correction comes first (and the issue is refused until
    it is signed) or the issue does (and the correction is refused) - never an issued notice with a
    draft correction that nobody can sign any more."""
    for _ in range(3):  # the race goes either way: a few tries
        s, notice = _ready_notice(run_tasks, ("pass", "pass"))
        signed = Opinion.objects.get(assignment=s.agencies[0].assignment, state=Opinion.State.SIGNED)
        outcome = race(
            lambda: review.opinion_correct(actor=s.agencies[0].reviewer, opinion_id=signed.pk, reason="笔误"),
            lambda: review.notice_issue(actor=s.coordinator, notice_id=notice.pk, on=D(2026, 3, 10)),
        )
        winner_and_loser(outcome)
        notice.refresh_from_db()
        drafts = Opinion.objects.filter(assignment__round=s.round, state=Opinion.State.DRAFT).count()
        if notice.state == IssuedDocument.State.ISSUED:
            assert drafts == 0 and isinstance(outcome[0], ConflictError)
        else:
            assert drafts == 1 and isinstance(outcome[1], ConflictError)


def test_two_consolidation_sweeps_at_once_one_notice_one_pdf(monkeypatch, settings):
    """Rounds completed while the broker was away: two sweeps at once (and their tasks) leave one
    joint notice per round, each with one stored PDF."""
    monkeypatch.setattr("jointreview.services.queue.enqueue", lambda name, **kw: None)  # the lost publish
    setups = [make_round(2, project_name=f"楼{i}") for i in range(2)]
    for s in setups:
        for side in s.agencies:
            sign(side, "pass")
    assert not IssuedDocument.objects.exists()
    ReviewRound.objects.update(completed_at=timezone.now() - datetime.timedelta(hours=1))  # long lost
    import tasks.jobs  # noqa: F401 - registers every task
    from tasks.app import app as celery_app

    ran: Counter = Counter()
    lock = threading.Lock()

    def run_now(name, **kwargs):
        with lock:
            ran[(name, tuple(sorted(kwargs.items())))] += 1
        celery_app.tasks[name].apply(kwargs=kwargs, throw=True)

    monkeypatch.setattr("jointreview.services.queue.enqueue", run_now)
    outcome = race(review.consolidation_sweep, review.consolidation_sweep)
    assert not any(isinstance(o, BaseException) for o in outcome), outcome
    for s in setups:
        notice = IssuedDocument.objects.get(round=s.round, kind=IssuedKind.JOINT_NOTICE)
        assert notice.file
    # each sweep may send a round's consolidation (at most one each); the task is idempotent
    consolidations = {kw: n for (name, kw), n in ran.items() if name == "jointreview.consolidate_round"}
    assert len(consolidations) == 2 and set(consolidations.values()) <= {1, 2}, ran
    assert audits("notice.draft") == 2
    drafted = Counter(Notification.objects.filter(kind="notice_drafted").values_list("key", flat=True))
    assert len(drafted) == 2 * 2 and set(drafted.values()) == {1}  # 2 rounds x 2 centres (one per make_round)
    files = sorted(str(p.relative_to(settings.MEDIA_ROOT)) for p in settings.MEDIA_ROOT.rglob("*.pdf"))
    assert files == sorted(IssuedDocument.objects.values_list("file", flat=True)), files  # no orphan
    assert review.consolidation_sweep() == 0


def test_two_fanout_sweeps_at_once_notify_each_agency_once(run_tasks):
    """Assignment notifications lost at accept time (still pending a while later): two fan-out sweeps
    at once (and the notify tasks they send, run at once in their threads) tell each agency once.
    (Two mail sweeps at once: notifications/test_mail.py; two escalation sweeps: supervision.)"""
    s = make_round(4)
    Assignment.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=5))
    outcome = race(fanout.fanout_sweep, fanout.fanout_sweep)
    assert not any(isinstance(o, BaseException) for o in outcome), outcome
    assert sum(o["redispatched"] for o in outcome) >= 4 and all(o["failed"] == 0 for o in outcome)
    assigned = Counter(Notification.objects.filter(kind="assignment").values_list("assignment_id", flat=True))
    assert assigned == Counter({side.assignment.pk: 1 for side in s.agencies})
    assert Counter(AuditEvent.objects.filter(verb="assignment.notify").values_list("target_id", flat=True)) == (
        Counter({str(side.assignment.pk): 1 for side in s.agencies}))
    assert set(Assignment.objects.values_list("notify_status", flat=True)) == {"sent"}
    assert fanout.fanout_sweep(older_than_s=0) == {"redispatched": 0, "failed": 0}


def test_a_consolidation_and_the_issue_of_the_notice_at_once(run_tasks, monkeypatch):
    """A correction was signed (its consolidation task is on its way) while the coordinator issues the
    notice: the consolidation, finding the notice issued by the time it writes, leaves it as issued -
    no redraft recorded after the issue, the issued content has the correction."""
    from jointreview.review.services import consolidation

    s, notice = _ready_notice(run_tasks, ("pass", "pass"))
    monkeypatch.setattr("jointreview.services.queue.enqueue", lambda name, **kw: None)  # the task: run below
    signed = Opinion.objects.get(assignment=s.agencies[0].assignment, state=Opinion.State.SIGNED)
    new = review.opinion_correct(actor=s.agencies[0].reviewer, opinion_id=signed.pk, reason="笔误")
    review.opinion_sign(actor=s.agencies[0].reviewer, opinion_id=new.pk, on=D(2026, 3, 9))
    slow, real = threading.local(), consolidation._notice_content

    def content(*args, **kwargs):  # the consolidation builds slowly: the issue overtakes it
        built = real(*args, **kwargs)
        if getattr(slow, "on", False):
            time.sleep(0.5)
        return built

    monkeypatch.setattr(consolidation, "_notice_content", content)

    def consolidate():
        slow.on = True
        return review.round_consolidate(round_id=s.round.pk, on=D(2026, 3, 9))

    outcome = race(consolidate, lambda: review.notice_issue(actor=s.coordinator, notice_id=notice.pk,
                                                            on=D(2026, 3, 10)))
    assert not any(isinstance(o, BaseException) for o in outcome), outcome
    notice.refresh_from_db()
    assert notice.state == IssuedDocument.State.ISSUED
    assert [ag["version"] for ag in notice.content["agencies"]] == [2, 1]
    assert notice.content["date"] == "2026-03-10"
    events = list(AuditEvent.objects.filter(target_id=str(notice.pk), verb__startswith="notice.")
                  .order_by("pk").values_list("verb", flat=True))
    assert events[-1] == "notice.issue" and events.count("notice.issue") == 1, events


def test_the_reviewer_and_the_lead_sign_the_same_opinion_at_once(no_broker, client):
    s = make_round(2)
    side = s.agencies[0]
    op = draft(side, "pass")
    outcome = race(*(lambda who=who: review.opinion_sign(actor=who, opinion_id=op, on=D(2026, 3, 9))
                     for who in (side.reviewer, side.lead)))
    signed, refused = winner_and_loser(outcome)
    assert isinstance(refused, ConflictError) and refused.message == "This opinion is already signed."
    assert Opinion.objects.get(pk=op).signed_by_id == signed.signed_by.pk
    assert audits("opinion.sign") == 1 and audits("assignment.signed") == 1
    assert Assignment.objects.get(pk=side.assignment.pk).status == AssignmentStatus.SIGNED
    assert ReviewRound.objects.get(pk=s.round.pk).completed_at is None  # the other agency has not signed
    # the one who lost, trying again through the API, gets a 409 saying why
    loser = side.lead if signed.signed_by.pk == side.reviewer.pk else side.reviewer
    client.force_login(loser)
    response = client.post(f"/api/review/opinions/{op}/sign/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409 and "This opinion is already signed." in response.content.decode()
    assert audits("opinion.sign") == 1


def test_two_renders_of_one_document_at_once_store_one_file(run_tasks, settings):
    """A render task delivered twice (a redelivery, a sweep and the original) at the same moment: one
    file recorded, none left over."""
    from jointreview.documents.services import issued_document_render

    s, notice = _ready_notice(run_tasks, ("pass", "pass"))
    IssuedDocument.objects.filter(pk=notice.pk).update(file="", sha256="")
    for p in (settings.MEDIA_ROOT / "issued").rglob("*.pdf"):
        p.unlink()
    outcome = race(*(lambda: issued_document_render(document_id=notice.pk) for _ in range(2)))
    assert not any(isinstance(o, BaseException) for o in outcome), outcome
    notice.refresh_from_db()
    assert notice.file and len(notice.sha256) == 64
    files = [str(p.relative_to(settings.MEDIA_ROOT)) for p in (settings.MEDIA_ROOT / "issued").rglob("*.pdf")]
    assert files == [notice.file.name]


@pytest.fixture
def slow_locks(monkeypatch):
    """Every review row lock (assignment, opinion, pause request) is held a moment before the service
    goes on (a pause request's longer): two services that take the same locks in different orders
    then deadlock every time."""
    from jointreview.review.services import attachments, common, findings, opinions, pauses

    for module in (common, opinions, findings, attachments, pauses):
        for name in ("_lock_assignment", "_lock_opinion", "_lock_pause"):
            real = getattr(module, name, None)
            if real is None:
                continue

            def held(*args, _real=real, _s=0.6 if name == "_lock_pause" else 0.3, **kwargs):
                locked = _real(*args, **kwargs)
                time.sleep(_s)
                return locked

            monkeypatch.setattr(module, name, held)


def only_refusals(outcome: list[Any]) -> None:
    """Every racer either succeeded or was refused with a message (no deadlock, no server error)."""
    errors = [o for o in outcome if isinstance(o, BaseException) and not isinstance(o, ServiceError)]
    assert not errors, errors


def test_the_reviewer_edits_while_the_lead_signs(no_broker, slow_locks):
    """Editing the draft takes the assignment, then the opinion; signing must take them in that order
    too, or each waits for the other (PostgreSQL breaks the deadlock with an error: a 500)."""
    s = make_round(1)
    side = s.agencies[0]
    op = draft(side, "pass")
    outcome = race(
        lambda: review.opinion_save_draft(actor=side.reviewer, assignment_id=side.assignment.pk, outcome="pass",
                                          summary="修改后的意见"),
        lambda: review.opinion_sign(actor=side.lead, opinion_id=op, on=D(2026, 3, 9)),
    )
    only_refusals(outcome)
    assert isinstance(outcome[1], Opinion)  # the signature wins or waits for the edit
    assert Opinion.objects.get(pk=op).state == Opinion.State.SIGNED
    assert audits("opinion.sign") == 1
    if isinstance(outcome[0], BaseException):  # the edit came too late: refused, nothing changed
        assert Opinion.objects.get(pk=op).summary == "审查意见" and audits("opinion.edit") == 1


def test_the_coordinator_decides_a_pause_while_the_reviewer_signs(no_broker, slow_locks):
    """Deciding a pause took the pause request, then the assignment; signing takes the assignment and
    then refuses the open pause requests: the same order now (assignment first), no deadlock."""
    s = make_round(1)
    side = s.agencies[0]
    pause = review.pause_request(actor=side.reviewer, assignment_id=side.assignment.pk, reason="expert_review",
                                 reason_text="专家论证", expected_days=5)
    op = draft(side, "pass")
    outcome = race(
        lambda: review.pause_decide(actor=s.coordinator, pause_id=pause.pk, approve=True, on=D(2026, 3, 5)),
        lambda: review.opinion_sign(actor=side.reviewer, opinion_id=op, on=D(2026, 3, 9)),
    )
    only_refusals(outcome)
    assert isinstance(outcome[1], Opinion) and Opinion.objects.get(pk=op).state == Opinion.State.SIGNED
    pause.refresh_from_db()
    # decided first: approved, then ended by the signature; or refused by the signature, and the
    # coordinator's decision refused with a message
    assert pause.status in ("ended", "refused"), pause.status
    if pause.status == "refused":
        assert isinstance(outcome[0], ConflictError)
