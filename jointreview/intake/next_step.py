"""What happens next, and who acts (no dead ends): ONE place computes, for the user looking at an
application, the next step of the case, who takes it and the link to where they act.

``next_step(user, app)`` returns a :class:`NextStep` for every application state and every role that
may see the application (owner, centre, agency). Pages show it as a panel; tests check each state x
role. Two queries at most (the application's issued documents, its open assignments), whatever the
state. The links come from the policy's own rules: an owner gets the joint notice and the
answer/resubmit page, the certificate once issued, the one-time notice while returned.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext as _

from jointreview import policy
from jointreview.models import (
    OPEN_ASSIGNMENT_STATUSES,
    Application,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    Deferral,
    IssuedDocument,
    IssuedKind,
)

OWNER, CENTRE, AGENCY = "owner", "centre", "agency"


@dataclass(frozen=True)
class NextStep:
    key: str                      # stable code of the situation (tests, CSS)
    actor: str                    # who acts, in words
    text: str                     # what happens next
    yours: bool                   # the viewer is the one who acts
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, url): where to act or read

    @property
    def url(self) -> str:
        return self.links[0][1] if self.links else ""


@dataclass
class _Facts:
    """What the decision needs, read in two queries."""

    app: Application
    role: str
    one_time_notice: IssuedDocument | None = None
    joint_notice: IssuedDocument | None = None       # the latest issued one
    draft_notice: IssuedDocument | None = None
    certificate: IssuedDocument | None = None
    open_assignments: list[Assignment] = field(default_factory=list)
    mine: Assignment | None = None                   # the viewer's agency's open assignment
    deferrals_open: int = 0


def role_of(user, app: Application) -> str:
    if policy.can_edit_application(user, app):
        return OWNER
    if policy.can_coordinate(user):
        return CENTRE
    return AGENCY


def _facts(user, app: Application) -> _Facts:
    facts = _Facts(app=app, role=role_of(user, app))
    docs = IssuedDocument.objects.filter(
        application=app, kind__in=[IssuedKind.COMPLETENESS_NOTICE, IssuedKind.JOINT_NOTICE, IssuedKind.CERTIFICATE],
    ).only("pk", "kind", "state", "number", "round_id").order_by("created_at", "pk")
    for doc in docs:
        issued = doc.state == IssuedDocument.State.ISSUED
        if doc.kind == IssuedKind.COMPLETENESS_NOTICE and issued:
            facts.one_time_notice = doc
        elif doc.kind == IssuedKind.JOINT_NOTICE:
            if issued:
                facts.joint_notice = doc
            else:
                facts.draft_notice = doc
        elif doc.kind == IssuedKind.CERTIFICATE and issued:
            facts.certificate = doc
    if app.status == ApplicationStatus.ACCEPTED:
        facts.open_assignments = list(
            Assignment.objects.filter(application=app, status__in=OPEN_ASSIGNMENT_STATUSES)
            .only("pk", "status", "agency_id").order_by("pk")
        )
        if facts.role == AGENCY and user.organization_id:
            facts.mine = next((a for a in facts.open_assignments if a.agency_id == user.organization_id), None)
        if facts.role in (OWNER, CENTRE):
            facts.deferrals_open = Deferral.objects.filter(application=app, fulfilled_at__isnull=True).count()
    return facts


def next_step(user, app: Application) -> NextStep:
    """The next step of ``app`` as ``user`` sees it (the caller has checked the user may view it)."""
    facts = _facts(user, app)
    handler = _BY_STATUS.get(app.status, _final)
    return handler(facts)


# --------------------------------------------------------------------------------------------- links


def _page(app: Application, anchor: str = "") -> str:
    return reverse("intake:application_detail", args=[app.pk]) + anchor


def _doc(doc: IssuedDocument) -> str:
    return reverse("review:issued_file", args=[doc.pk])


def _rounds(app: Application) -> str:
    return reverse("review:application_rounds", args=[app.pk])


def _centre() -> str:
    return _("the centre")


def _owner() -> str:
    return _("the owner")


def _you() -> str:
    return _("you")


# --------------------------------------------------------------------------------------------- states


def _draft(f: _Facts) -> NextStep:
    if f.role == OWNER:
        return NextStep("owner_prepares", _you(), _("Upload every required material, then submit."), True,
                        [(_("Upload the materials"), _page(f.app, "#materials"))])
    return NextStep("owner_prepares", _owner(), _("The owner is preparing the application."), False)


def _submitted(f: _Facts) -> NextStep:
    if f.role == CENTRE:
        return NextStep("window_checks", _you(), _("Check the materials: accept, or return with one notice."), True,
                        [(_("Check completeness"), reverse("intake:application_check", args=[f.app.pk]))])
    return NextStep("window_checks", _("the centre's window"),
                    _("The window checks that the materials are complete (one notice lists every gap)."), False)


def _returned(f: _Facts) -> NextStep:
    links = [(_("Read the one-time notice"), _doc(f.one_time_notice))] if f.one_time_notice else []
    if f.role == OWNER:
        links.append((_("Supplement the materials"), _page(f.app, "#materials")))
        return NextStep("owner_supplements", _you(),
                        _("Supplement what the one-time notice lists, then submit again."), True, links)
    if f.role == CENTRE:
        return NextStep("owner_supplements", _owner(),
                        _("Waiting for the owner to supplement the materials."), False, links)
    return NextStep("owner_supplements", _owner(), _("Waiting for the owner to supplement the materials."), False)


def _accepted(f: _Facts) -> NextStep:
    if f.role == OWNER and f.deferrals_open:
        return NextStep("owner_delivers_deferred", _you(),
                        _("Deliver the deferred materials by the promised dates: the certificate waits for them."),
                        True, [(_("Deliver the deferred materials"), _page(f.app, "#materials"))])
    if f.draft_notice is not None:
        return _notice_to_issue(f)
    if f.open_assignments:
        return _agencies_review(f)
    return _certificate_next(f)


def _notice_to_issue(f: _Facts) -> NextStep:
    if f.role == CENTRE:
        return NextStep("centre_issues_notice", _you(), _("Every opinion is in: issue the joint notice."), True,
                        [(_("Issue the joint notice"), reverse("review:coordination"))])
    return NextStep("centre_issues_notice", _centre(),
                    _("Every opinion is in: the centre is issuing the joint notice."), False)


def _agencies_review(f: _Facts) -> NextStep:
    if f.role == AGENCY and f.mine is not None:
        text = (_("Assign a reviewer to your agency's portion.") if f.mine.status == AssignmentStatus.UNASSIGNED
                else _("Review your agency's portion and sign the opinion."))
        return NextStep("agency_reviews", _you(), text, True,
                        [(_("Open the assignment"), reverse("review:assignment", args=[f.mine.pk]))])
    count = len(f.open_assignments)
    text = _("%(count)d agencies are reviewing in parallel.") % {"count": count} if count > 1 else \
        _("An agency is reviewing.")
    links = [(_("See the assignments"), _rounds(f.app))] if f.role in (CENTRE, AGENCY) else []
    if f.role == OWNER:
        links = [(_("Follow the review rounds"), _rounds(f.app))]
    return NextStep("agencies_review", _("the agencies"), text, False, links)


def _certificate_next(f: _Facts) -> NextStep:
    if f.role == CENTRE:
        if f.deferrals_open:
            return NextStep("owner_delivers_deferred", _owner(),
                            _("Every agency passed; the owner still owes deferred materials."), False,
                            [(_("See the materials"), _page(f.app, "#materials"))])
        return NextStep("centre_issues_certificate", _you(), _("Every agency passed: issue the certificate."), True,
                        [(_("Issue the certificate"), reverse("review:coordination"))])
    return NextStep("centre_issues_certificate", _centre(), _("Every agency passed: the centre issues the certificate."),
                    False)


def _revision(f: _Facts) -> NextStep:
    links = [(_("Read the joint notice"), _doc(f.joint_notice))] if f.joint_notice else []
    if f.role == OWNER:
        links.append((_("Answer the findings and resubmit"), _rounds(f.app)))
        return NextStep("owner_revises", _you(),
                        _("Read the joint notice, answer every finding, upload the revised documents, then resubmit."),
                        True, links)
    links.append((_("See the rounds"), _rounds(f.app)))
    return NextStep("owner_revises", _owner(),
                    _("Waiting for the owner to answer the joint notice and resubmit."), False, links)


def _approved(f: _Facts) -> NextStep:
    links = [(_("Download the certificate"), _doc(f.certificate))] if f.certificate else []
    return NextStep("done_approved", _("nobody"), _("Approved: the certificate is issued. Nothing left to do."),
                    False, links)


def _final(f: _Facts) -> NextStep:
    if f.app.status == ApplicationStatus.REJECTED:
        links = [(_("Read the joint notice"), _doc(f.joint_notice))] if f.joint_notice else []
        return NextStep("done_rejected", _("nobody"), _("Not approved: the case is closed."), False, links)
    return NextStep("done_withdrawn", _("nobody"), _("Withdrawn: the case is closed."), False)


_BY_STATUS = {
    ApplicationStatus.DRAFT: _draft,
    ApplicationStatus.SUBMITTED: _submitted,
    ApplicationStatus.RETURNED: _returned,
    ApplicationStatus.ACCEPTED: _accepted,
    ApplicationStatus.REVISION: _revision,
    ApplicationStatus.APPROVED: _approved,
}
