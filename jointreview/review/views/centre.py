"""The centre's coordination: pauses, joint notices, certificates."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jointreview import policy
from jointreview.review import selectors as sel
from jointreview.review import services as svc
from jointreview.review.forms import (
    PauseDecisionForm,
)
from jointreview.review.views.common import _refused, _run
from jointreview.views.common import safe_next


@login_required
@require_POST
def pause_end(request, pause_id: int):
    pr = policy.access_pause(request.user, pause_id, "end")
    _run(request, lambda: svc.pause_end(actor=request.user, pause_id=pr.pk), _("Clock resumed."))
    return redirect(safe_next(request, reverse("review:assignment", args=[pr.assignment_id])))


@login_required
def coordination(request):
    if not policy.can_coordinate(request.user):
        raise PermissionDenied(_("Coordination is for centre staff."))
    c = sel.coordination(request.user, pauses_page=request.GET.get("pauses"),
                         notices_page=request.GET.get("notices"), candidates_page=request.GET.get("candidates"))
    return render(request, "review/coordination.html", {"c": c})


@login_required
@require_POST
def pause_decide(request, pause_id: int):
    policy.access_pause(request.user, pause_id, "decide")
    approve = request.POST.get("approve") == "1"
    if refused := _refused(request, PauseDecisionForm(request.POST), lambda: coordination(request)):
        return refused
    _run(request, lambda: svc.pause_decide(actor=request.user, pause_id=pause_id, approve=approve,
                                           note=request.POST.get("note", "")),
         _("Approved; the owner was told in writing.") if approve else _("Refused."))
    return redirect("review:coordination")


@login_required
@require_POST
def notice_issue(request, notice_id: int):
    if not policy.can_issue(request.user):
        raise PermissionDenied(_("Only the centre issues joint notices."))
    _run(request, lambda: svc.notice_issue(actor=request.user, notice_id=notice_id),
         _("Joint notice issued."))
    return redirect("review:coordination")


@login_required
@require_POST
def certificate_issue(request, application_id: int):
    policy.access_application(request.user, application_id, "check")
    if not policy.can_issue(request.user):
        raise PermissionDenied(_("Only the centre issues certificates."))
    _run(request, lambda: svc.certificate_issue(actor=request.user, application_id=application_id),
         _("Certificate issued."))
    return redirect("review:coordination")
