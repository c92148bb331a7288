"""电子监察 pages: "my 督办" (supervision records), a record with its answer and closing forms, and the
clock extension actions (asked for on the assignment page, decided there or from the list)."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jointreview import policy
from jointreview.models import SupervisionStatus
from jointreview.supervision import selectors as sel
from jointreview.supervision import services as svc
from jointreview.supervision.forms import AnswerForm, CloseForm, ExtensionDecisionForm, ExtensionRequestForm
from jointreview.views.actions import form_refused, run_service

PAGE_SIZE = 50


@login_required
def record_list(request):
    status = request.GET.get("status", "")
    if status and status not in SupervisionStatus.values:
        messages.error(request, _("Unknown status %(status)s: showing every record.") % {"status": status[:20]})
        status = ""
    mine = request.GET.get("mine") == "1"
    page = Paginator(sel.supervision_list(request.user, status=status, mine=mine), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "supervision/list.html", {
        "page": page, "status": status, "mine": mine, "statuses": SupervisionStatus.choices,
        "is_centre": request.user.is_centre, "extensions": sel.extensions_to_decide(request.user),
        "decision_form": ExtensionDecisionForm(),
    })


@login_required
def record_detail(request, record_id: int, answer_form=None):
    record = policy.access_supervision(request.user, record_id, "view")
    return render(request, "supervision/detail.html", {
        "r": record,
        "addressees": list(record.addressees.select_related("organization").order_by("pk")),
        "can_answer": record.status == SupervisionStatus.OPEN and policy.can_answer_supervision(request.user, record),
        "can_close": record.status == SupervisionStatus.ANSWERED and policy.can_close_supervision(request.user),
        "answer_form": answer_form or AnswerForm(),
        "close_form": CloseForm(),
        "chain": _chain(record),
    })


def _chain(record) -> list:
    """The records this one escalated from, oldest first (a short chain: three levels at most)."""
    out, current = [], record.escalated_from
    while current is not None and len(out) < 5:
        out.insert(0, current)
        current = current.escalated_from
    return out


@login_required
@require_POST
def record_answer(request, record_id: int):
    policy.access_supervision(request.user, record_id, "answer")
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return form_refused(request, form, lambda: record_detail(request, record_id, answer_form=form))
    run_service(request, lambda: svc.supervision_answer(actor=request.user, record=record_id,
                                                        response=form.cleaned_data["response"]),
                _("Answer recorded; the coordinator has been told."))
    return redirect("supervision:detail", record_id=record_id)


@login_required
@require_POST
def record_close(request, record_id: int):
    policy.access_supervision(request.user, record_id, "close")
    form = CloseForm(request.POST)
    if not form.is_valid():
        return form_refused(request, form, lambda: record_detail(request, record_id))
    run_service(request, lambda: svc.supervision_close(actor=request.user, record=record_id,
                                                       note=form.cleaned_data["note"]),
                _("Supervision record closed."))
    return redirect("supervision:detail", record_id=record_id)


@login_required
@require_POST
def extension_request(request, assignment_id: int):
    a = policy.access_assignment(request.user, assignment_id, "view")
    if not policy.can_request_extension(request.user, a):
        policy.access_assignment(request.user, assignment_id, "review")  # the 403 with its reason
    form = ExtensionRequestForm(request.POST)
    if not form.is_valid():
        return form_refused(request, form, lambda: redirect("review:assignment", assignment_id=a.pk))
    run_service(request, lambda: svc.extension_request(actor=request.user, assignment_id=a.pk,
                                                       reason=form.cleaned_data["reason"]),
                _("Extension requested; the agency lead decides."))
    return redirect("review:assignment", assignment_id=a.pk)


@login_required
@require_POST
def extension_decide(request, extension_id: int):
    ext = policy.access_extension(request.user, extension_id, "decide")
    form = ExtensionDecisionForm(request.POST)
    if not form.is_valid():
        return form_refused(request, form, lambda: redirect("review:assignment", assignment_id=ext.assignment_id))
    approve = form.cleaned_data["decision"] == "approve"
    run_service(request, lambda: svc.extension_decide(actor=request.user, extension_id=ext.pk, approve=approve,
                                                      note=form.cleaned_data["note"]),
                _("Extension approved: the due date moved.") if approve else _("Extension refused."))
    if request.POST.get("next") == "list":
        return redirect("supervision:list")
    return redirect("review:assignment", assignment_id=ext.assignment_id)
