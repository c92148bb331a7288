"""The agencies' workspace, the centre's coordination, the owner's rounds page and the public
verification page. Views parse input, call one selector or service, render (docs/architecture.md §3.1)."""
from __future__ import annotations

import mimetypes
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from jointreview import policy
from jointreview.forms_common import refusal_text
from jointreview.forms_filters import InboxFilterForm, refused_filter_messages
from jointreview.models import Assignment, Finding, Opinion, Outcome, PauseReason, PauseRequest, Workflow
from jointreview.policy.portions import portion_labels
from jointreview.review import selectors as sel
from jointreview.review import services as svc
from jointreview.review.forms import (
    CorrectionForm,
    FindingForm,
    FindingResponseForm,
    OpinionForm,
    PauseDecisionForm,
    PauseRequestForm,
)
from jointreview.views.actions import run_service
from jointreview.views.common import safe_next
from jointreview.views.files import document_preparing, file_response
from projects.models import AGENCY_ROLES, User

PAGE_SIZE = 100


def _run(request, action: Callable[[], object], success: str) -> bool:
    """Call a service; its refusal becomes a message (a permission refusal a 403)."""
    return run_service(request, action, success)


def _refused(request, form, page: Callable[[], HttpResponse]) -> HttpResponse | None:
    """None when the posted form is valid; else the page (``page()``) answered with 400 and the
    form's errors as a message (too long, out of range, a NUL character ...)."""
    if form.is_valid():
        return None
    messages.error(request, refusal_text(form))
    response = page()
    response.status_code = 400
    return response


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


# ---------------------------------------------------------------------------
# agency inbox and assignment
# ---------------------------------------------------------------------------


@login_required
def inbox(request):
    user = request.user
    if not policy.can_use_inbox(user):
        raise PermissionDenied("审查任务仅限审查机构 The inbox is for review agencies.")
    form = InboxFilterForm(request.GET)
    filters, errors = form.values_and_errors()
    for message in refused_filter_messages(form, errors):
        messages.error(request, message)  # the bad filter is ignored
    page = Paginator(sel.inbox(user, **filters), PAGE_SIZE).get_page(request.GET.get("page"))
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
        "outcomes": Outcome.choices,
        "finding_states": Finding.State.choices,
        "pause_reasons": [c for c in PauseReason.choices if c[0] != PauseReason.SUPPLEMENT],
        "is_centre": policy.can_coordinate(user),
        "attachment_accept": ".pdf,.jpg,.jpeg,.png,.dwg,.zip",
    })


def _back(a_id: int):
    return redirect("review:assignment", assignment_id=a_id)


@login_required
@require_POST
def assignment_assign(request, assignment_id: int):
    a = policy.access_assignment(request.user, assignment_id, "lead")
    _run(request, lambda: svc.assignment_assign(
        actor=request.user, assignment_id=a.pk, reviewer_id=_int(request.POST.get("reviewer")),
        backup_id=_int(request.POST.get("backup")),
    ), "已指派 Reviewers assigned.")
    return _back(a.pk)


@login_required
@require_POST
def member_absent(request, assignment_id: int):
    a = policy.access_assignment(request.user, assignment_id, "lead")
    _run(request, lambda: svc.user_mark_absent(
        actor=request.user, user_id=_int(request.POST.get("user")), absent=request.POST.get("absent") == "1",
    ), "已更新在岗状态 Presence updated.")
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
    ), "草稿已保存 Draft saved.")
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
    _run(request, action, "已添加意见条目 Finding added.")
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
         "意见条目已更新 Finding updated.")
    return _back(a.pk)


@login_required
@require_POST
def finding_remove(request, assignment_id: int, finding_id: int):
    a, f = _finding_of(request, assignment_id, finding_id)
    _run(request, lambda: svc.finding_remove(actor=request.user, finding_id=f.pk), "已删除 Finding removed.")
    return _back(a.pk)


@login_required
@require_POST
def opinion_sign(request, assignment_id: int):
    a = policy.access_assignment(request.user, assignment_id, "review")
    draft = Opinion.objects.filter(assignment=a, state=Opinion.State.DRAFT).first()
    if draft is None:
        messages.error(request, "没有待签发的草稿 There is no draft to sign.")
        return _back(a.pk)
    _run(request, lambda: svc.opinion_sign(actor=request.user, opinion_id=draft.pk),
         "意见已签发, 不可再修改 Opinion signed; it can no longer be changed.")
    return _back(a.pk)


@login_required
@require_POST
def opinion_correct(request, assignment_id: int):
    a = policy.access_assignment(request.user, assignment_id, "review")
    latest = svc.latest_signed(a.pk)
    if latest is None:
        messages.error(request, "没有已签发的意见 There is no signed opinion to correct.")
        return _back(a.pk)
    if refused := _refused(request, CorrectionForm(request.POST), lambda: assignment_detail(request, a.pk)):
        return refused
    _run(request, lambda: svc.opinion_correct(actor=request.user, opinion_id=latest.pk,
                                              reason=request.POST.get("reason", "")),
         "已创建更正版本 A correction draft was created.")
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
    ), "已提交暂停计时申请 Pause requested.")
    return _back(a.pk)


@login_required
@require_POST
def pause_end(request, pause_id: int):
    pr = policy.access_pause(request.user, pause_id, "end")
    _run(request, lambda: svc.pause_end(actor=request.user, pause_id=pr.pk), "已恢复计时 Clock resumed.")
    return redirect(safe_next(request, reverse("review:assignment", args=[pr.assignment_id])))


@login_required
def document_version(request, assignment_id: int, version_id: int):
    """Inline PDF view (or ?download=1) of a version of the application's documents within what the
    user may read (the agency: its portion and the shared materials)."""
    a = policy.access_assignment(request.user, assignment_id, "view")
    dv = policy.access_assignment_version(request.user, a, version_id)
    download = request.GET.get("download") == "1" or dv.content_type != "application/pdf"
    return file_response(dv.file, filename=dv.original_name, as_attachment=download,
                         content_type=dv.content_type or mimetypes.guess_type(dv.original_name)[0])


# ---------------------------------------------------------------------------
# the centre
# ---------------------------------------------------------------------------


@login_required
def coordination(request):
    if not policy.can_coordinate(request.user):
        raise PermissionDenied("审查协调仅限中心人员 Coordination is for centre staff.")
    return render(request, "review/coordination.html", {"c": sel.coordination(request.user)})


@login_required
@require_POST
def pause_decide(request, pause_id: int):
    policy.access_pause(request.user, pause_id, "decide")
    approve = request.POST.get("approve") == "1"
    if refused := _refused(request, PauseDecisionForm(request.POST), lambda: coordination(request)):
        return refused
    _run(request, lambda: svc.pause_decide(actor=request.user, pause_id=pause_id, approve=approve,
                                           note=request.POST.get("note", "")),
         "已批准, 已书面告知建设单位 Approved; the owner was told in writing." if approve else "已不予批准 Refused.")
    return redirect("review:coordination")


@login_required
@require_POST
def notice_issue(request, notice_id: int):
    if not policy.can_issue(request.user):
        raise PermissionDenied("only the centre issues joint notices")
    _run(request, lambda: svc.notice_issue(actor=request.user, notice_id=notice_id),
         "综合审查意见书已签发 Joint notice issued.")
    return redirect("review:coordination")


@login_required
@require_POST
def certificate_issue(request, application_id: int):
    policy.access_application(request.user, application_id, "check")
    if not policy.can_issue(request.user):
        raise PermissionDenied("only the centre issues certificates")
    _run(request, lambda: svc.certificate_issue(actor=request.user, application_id=application_id),
         "已出具合格文书 Certificate issued.")
    return redirect("review:coordination")


# ---------------------------------------------------------------------------
# documents the centre issued, the owner's rounds page, the public check
# ---------------------------------------------------------------------------


@login_required
def issued_file(request, document_id: int):
    doc = policy.access_issued_document(request.user, document_id)
    if not doc.file:  # never rendered in the request: the task renders it, the page reloads
        return document_preparing(request, doc)
    return file_response(doc.file, filename=f"{doc.number}.pdf", content_type="application/pdf",
                         as_attachment=request.GET.get("download") == "1")


@login_required
def application_rounds(request, application_id: int):
    user = request.user
    app = policy.access_application(user, application_id)
    rounds = sel.application_rounds(user, app)  # an agency: only its own assignments
    every = [a for rv in rounds for a in rv.assignments]
    policy.prefetch_grants(user, every)
    for a in every:
        a.can_open = policy.can_view_assignment(user, a)
    attachments = sel.issued_round_attachments(user, app)
    for rv in rounds:
        rv.attachments = attachments.get(rv.round.pk, [])
    to_answer = sel.findings_to_answer(user, app)
    acts = policy.application_actions(user, app)
    return render(request, "review/application_rounds.html", {
        "app": app, "rounds": rounds, "to_answer": to_answer, "is_owner": acts["is_owner"],
        "can_answer": acts["is_owner"] and bool(to_answer),
        "can_resubmit": acts["can_resubmit"],
        "unanswered": sum(1 for f in to_answer if not f.response),
        "documents": sel.other_issued(user, app),
        "responses": [c for c in Finding.Response.choices if c[0]],
    })


@login_required
@require_POST
def finding_respond(request, application_id: int, finding_id: int):
    app = policy.access_application(request.user, application_id, "edit")
    if not Finding.objects.filter(pk=finding_id, opinion__assignment__application=app).exists():
        raise policy.not_found("finding")
    if refused := _refused(request, FindingResponseForm(request.POST),
                           lambda: application_rounds(request, app.pk)):
        return refused
    _run(request, lambda: svc.finding_respond(actor=request.user, finding_id=finding_id,
                                              response=request.POST.get("response", ""),
                                              text=request.POST.get("text", "")),
         "已答复 Answer saved.")
    return redirect("review:application_rounds", application_id=app.pk)


@login_required
@require_POST
def application_resubmit(request, application_id: int):
    app = policy.access_application(request.user, application_id, "edit")
    _run(request, lambda: svc.application_resubmit(actor=request.user, application_id=app.pk),
         "已重新提交, 下一轮审查已开始 Resubmitted: the next round has started.")
    return redirect("review:application_rounds", application_id=app.pk)


def verify(request, code: str):
    """Public (no login): number, type, date and project name of an ISSUED document; nothing else."""
    doc = sel.verify_lookup(code)
    if doc is None:
        shown = "".join(ch for ch in code[:40] if ch.isprintable())
        return render(request, "review/verify.html", {"doc": None, "code": shown}, status=404)
    return render(request, "review/verify.html", {
        "doc": doc, "code": doc.verification_code, "kind": doc.get_kind_display(),
        "date": doc.issued_at, "project_name": doc.application.project.name,
    })


# ---------------------------------------------------------------------------
# opinion attachments (意见附件)
# ---------------------------------------------------------------------------


@login_required
@require_POST
def attachment_upload(request, assignment_id: int):
    """Attach a file (multipart field ``file``) to the assignment's draft opinion."""
    a = policy.access_assignment(request.user, assignment_id, "review")
    draft = Opinion.objects.filter(assignment=a, state=Opinion.State.DRAFT).first()
    upload = request.FILES.get("file")
    if draft is None:
        messages.error(request, "没有草稿, 已签发的意见附件不可更改 There is no draft: a signed opinion's "
                                "attachments cannot change; make a correction first.")
    elif upload is None:
        messages.error(request, "请选择文件 Choose a file to attach.")
    else:
        _run(request, lambda: svc.opinion_attach(actor=request.user, opinion_id=draft.pk, upload=upload),
             "附件已上传 Attachment added.")
    return _back(a.pk)


@login_required
@require_POST
def attachment_remove(request, attachment_id: int):
    att = policy.access_opinion_attachment(request.user, attachment_id, "review")
    _run(request, lambda: svc.opinion_attachment_remove(actor=request.user, attachment_id=att.pk),
         "附件已删除 Attachment removed.")
    return _back(att.opinion.assignment_id)


@login_required
def attachment_download(request, attachment_id: int):
    att = policy.access_opinion_attachment(request.user, attachment_id)
    return file_response(att.file, filename=att.original_name, fallback_name=f"attachment-{att.pk}",
                         as_attachment=True, content_type=att.content_type or "application/octet-stream")
