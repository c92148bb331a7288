"""The agencies' workspace: the inbox, an assignment, its opinion, findings, pauses, attachments."""
from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jointreview import policy
from jointreview.clocks.selectors import budgets_for
from jointreview.forms_filters import InboxFilterForm, refused_filter_messages
from jointreview.models import Assignment, Finding, Opinion, Outcome, PauseReason, PauseRequest, Workflow
from jointreview.policy.portions import portion_labels
from jointreview.review import selectors as sel
from jointreview.review import services as svc
from jointreview.review.forms import (
    CorrectionForm,
    FindingForm,
    OpinionForm,
    PauseRequestForm,
)
from jointreview.review.views.common import PAGE_SIZE, _back, _int, _refused, _run
from jointreview.supervision.selectors import extension_panel
from jointreview.views.files import file_response
from projects.models import AGENCY_ROLES, User


@login_required
def inbox(request):
    user = request.user
    if not policy.can_use_inbox(user):
        raise PermissionDenied(_("The inbox is for review agencies."))
    form = InboxFilterForm(request.GET)
    filters, errors = form.values_and_errors()
    for message in refused_filter_messages(form, errors):
        messages.error(request, message)  # the bad filter is ignored
    page = Paginator(sel.inbox(user, **filters), PAGE_SIZE).get_page(request.GET.get("page"))
    budgets = budgets_for(user, {a.application.project_id for a in page.object_list})
    for a in page.object_list:
        a.project_budget = budgets.get(a.application.project_id)  # the project's remaining budget on the row
    members = list(
        User.objects.filter(organization_id=user.organization_id, role__in=AGENCY_ROLES, is_active=True)
        .order_by("display_name", "username")
    ) if policy.inbox_is_lead(user) else []
    return render(request, "review/inbox.html", {
        "page": page, "filters": filters, "states": sel.INBOX_STATES, "lights": sel.LIGHTS,
        "members": members, "is_lead": policy.inbox_is_lead(user),
        "workflows": list(Workflow.objects.filter(is_active=True).order_by("code")),
    })


@login_required
def assignment_detail(request, assignment_id: int):
    user = request.user
    a = policy.access_assignment(user, assignment_id, "view")
    opinions = sel.assignment_opinions(user, a)
    draft = next((o for o in opinions if o.state == Opinion.State.DRAFT), None)
    signed = [o for o in opinions if o.state == Opinion.State.SIGNED]
    latest_signed = signed[-1] if signed else None
    pauses = list(a.pause_requests.select_related("requested_by").order_by("-requested_at"))
    running_pause = next((p for p in pauses if p.status == PauseRequest.Status.APPROVED), None)
    actions = policy.assignment_actions(user, a, draft=draft, latest_signed=latest_signed, pauses=pauses,
                                        notice_is_issued=policy.notice_issued(a.round_id))
    history = list(
        Assignment.objects.filter(application_id=a.application_id, agency_id=a.agency_id)
        .select_related("clock", "reviewer").order_by("round_number")
    )
    members = list(
        User.objects.filter(organization_id=a.agency_id, role__in=AGENCY_ROLES, is_active=True)
        .order_by("display_name", "username")
    ) if policy.can_lead_assignment(user, a) else []
    return render(request, "review/assignment_detail.html", {
        "a": a,
        "portion": portion_labels(a),
        "versions": sel.application_document_versions(user, a),
        "opinions": opinions,
        "draft": draft,
        "latest_signed": latest_signed,
        "actions": actions,
        "can_edit": actions.can_edit,
        "can_sign": actions.can_sign,
        "can_start": actions.can_start,
        "can_correct": actions.can_correct,
        "can_assign": actions.can_assign,
        "can_pause": actions.can_pause,
        "can_end_pause": actions.can_end_pause,
        "running_pause": running_pause,
        "members": members,
        "templates": sel.finding_templates(a) if actions.can_edit else [],
        "carried": sel.carried_findings(a) if draft is None else [],
        "pauses": pauses,
        "history": history,
        **extension_panel(user, a),
        "outcomes": Outcome.choices,
        "finding_states": Finding.State.choices,
        "pause_reasons": [c for c in PauseReason.choices if c[0] != PauseReason.SUPPLEMENT],
        "is_centre": policy.can_coordinate(user),
        "attachment_accept": ".pdf,.jpg,.jpeg,.png,.dwg,.zip",
    })


@login_required
@require_POST
def assignment_assign(request, assignment_id: int):
    a = policy.access_assignment(request.user, assignment_id, "lead")
    _run(request, lambda: svc.assignment_assign(
        actor=request.user, assignment_id=a.pk, reviewer_id=_int(request.POST.get("reviewer")),
        backup_id=_int(request.POST.get("backup")),
    ), _("Reviewers assigned."))
    return _back(a.pk)


@login_required
@require_POST
def member_absent(request, assignment_id: int):
    a = policy.access_assignment(request.user, assignment_id, "lead")
    _run(request, lambda: svc.user_mark_absent(
        actor=request.user, user_id=_int(request.POST.get("user")), absent=request.POST.get("absent") == "1",
    ), _("Presence updated."))
    return _back(a.pk)


@login_required
@require_POST
def opinion_save(request, assignment_id: int):
    a = policy.access_assignment(request.user, assignment_id, "review")
    if refused := _refused(request, OpinionForm(request.POST), lambda: assignment_detail(request, a.pk)):
        return refused
    _run(request, lambda: svc.opinion_save_draft(
        actor=request.user, assignment_id=a.pk, outcome=request.POST.get("outcome", ""),
        summary=request.POST.get("summary", ""),
    ), _("Draft saved."))
    return _back(a.pk)


def _finding_values(post) -> dict:
    values = {
        "text": post.get("text", ""), "standard": post.get("standard", ""), "clause": post.get("clause", ""),
        "sheet": post.get("sheet", ""), "mandatory": post.get("mandatory") == "1",
        "document_version_id": _int(post.get("document_version")),
    }
    if post.get("state"):
        values["state"] = post["state"]
    return values


@login_required
@require_POST
def finding_add(request, assignment_id: int):
    a = policy.access_assignment(request.user, assignment_id, "review")
    if refused := _refused(request, FindingForm(request.POST), lambda: assignment_detail(request, a.pk)):
        return refused
    values = _finding_values(request.POST)
    values.pop("state", None)
    template_id = _int(request.POST.get("template"))
    draft = Opinion.objects.filter(assignment=a, state=Opinion.State.DRAFT).first()
    if draft is not None and draft.supersedes_id:
        action = lambda: svc.finding_add(actor=request.user, opinion_id=draft.pk, template_id=template_id,  # noqa: E731
                                         **values)
    else:
        action = lambda: svc.finding_add(actor=request.user, assignment_id=a.pk, template_id=template_id,  # noqa: E731
                                         **values)
    _run(request, action, _("Finding added."))
    return _back(a.pk)


def _finding_of(request, assignment_id: int, finding_id: int) -> tuple[Assignment, Finding]:
    a = policy.access_assignment(request.user, assignment_id, "review")
    f = Finding.objects.filter(pk=finding_id, opinion__assignment=a).first()
    if f is None:
        raise policy.not_found("finding")
    return a, f


@login_required
@require_POST
def finding_update(request, assignment_id: int, finding_id: int):
    a, f = _finding_of(request, assignment_id, finding_id)
    if refused := _refused(request, FindingForm(request.POST), lambda: assignment_detail(request, a.pk)):
        return refused
    if request.POST.get("only_state"):
        values = {"state": request.POST.get("state", "")}
    else:
        values = _finding_values(request.POST)
    _run(request, lambda: svc.finding_update(actor=request.user, finding_id=f.pk, **values),
         _("Finding updated."))
    return _back(a.pk)


@login_required
@require_POST
def finding_remove(request, assignment_id: int, finding_id: int):
    a, f = _finding_of(request, assignment_id, finding_id)
    _run(request, lambda: svc.finding_remove(actor=request.user, finding_id=f.pk), _("Finding removed."))
    return _back(a.pk)


@login_required
@require_POST
def opinion_sign(request, assignment_id: int):
    a = policy.access_assignment(request.user, assignment_id, "review")
    draft = Opinion.objects.filter(assignment=a, state=Opinion.State.DRAFT).first()
    if draft is None:
        messages.error(request, _("There is no draft to sign."))
        return _back(a.pk)
    _run(request, lambda: svc.opinion_sign(actor=request.user, opinion_id=draft.pk),
         _("Opinion signed; it can no longer be changed."))
    return _back(a.pk)


@login_required
@require_POST
def opinion_correct(request, assignment_id: int):
    a = policy.access_assignment(request.user, assignment_id, "review")
    latest = svc.latest_signed(a.pk)
    if latest is None:
        messages.error(request, _("There is no signed opinion to correct."))
        return _back(a.pk)
    if refused := _refused(request, CorrectionForm(request.POST), lambda: assignment_detail(request, a.pk)):
        return refused
    _run(request, lambda: svc.opinion_correct(actor=request.user, opinion_id=latest.pk,
                                              reason=request.POST.get("reason", "")),
         _("A correction draft was created."))
    return _back(a.pk)


@login_required
@require_POST
def pause_request(request, assignment_id: int):
    a = policy.access_assignment(request.user, assignment_id, "review")
    form = PauseRequestForm(request.POST)
    if refused := _refused(request, form, lambda: assignment_detail(request, a.pk)):
        return refused
    _run(request, lambda: svc.pause_request(
        actor=request.user, assignment_id=a.pk, reason=request.POST.get("reason", ""),
        reason_text=request.POST.get("reason_text", ""), expected_days=form.cleaned_data["expected_days"],
    ), _("Pause requested."))
    return _back(a.pk)


@login_required
def document_version(request, assignment_id: int, version_id: int):
    """Inline PDF view (or ?download=1) of a version of the application's documents within what the
    user may read (the agency: its portion and the shared materials)."""
    a = policy.access_assignment(request.user, assignment_id, "view")
    dv = policy.access_assignment_version(request.user, a, version_id)
    download = request.GET.get("download") == "1" or dv.content_type != "application/pdf"
    return file_response(dv.file, filename=dv.original_name, as_attachment=download,
                         content_type=dv.content_type or mimetypes.guess_type(dv.original_name)[0])


@login_required
@require_POST
def attachment_upload(request, assignment_id: int):
    """Attach a file (multipart field ``file``) to the assignment's draft opinion."""
    a = policy.access_assignment(request.user, assignment_id, "review")
    draft = Opinion.objects.filter(assignment=a, state=Opinion.State.DRAFT).first()
    upload = request.FILES.get("file")
    if draft is None:
        messages.error(request, _("There is no draft: a signed opinion's attachments cannot change; make a "
                                  "correction first."))
    elif upload is None:
        messages.error(request, _("Choose a file to attach."))
    else:
        _run(request, lambda: svc.opinion_attach(actor=request.user, opinion_id=draft.pk, upload=upload),
             _("Attachment added."))
    return _back(a.pk)


@login_required
@require_POST
def attachment_remove(request, attachment_id: int):
    att = policy.access_opinion_attachment(request.user, attachment_id, "review")
    _run(request, lambda: svc.opinion_attachment_remove(actor=request.user, attachment_id=att.pk),
         _("Attachment removed."))
    return _back(att.opinion.assignment_id)


@login_required
def attachment_download(request, attachment_id: int):
    att = policy.access_opinion_attachment(request.user, attachment_id)
    return file_response(att.file, filename=att.original_name, fallback_name=f"attachment-{att.pk}",
                         as_attachment=True, content_type=att.content_type or "application/octet-stream")
