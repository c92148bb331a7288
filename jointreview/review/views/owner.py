"""Issued documents, the owner's rounds page (answers, resubmission) and the public verification page."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jointreview import policy
from jointreview.intake.next_step import next_step
from jointreview.models import Finding
from jointreview.review import selectors as sel
from jointreview.review import services as svc
from jointreview.review.forms import (
    FindingResponseForm,
)
from jointreview.review.views.common import _refused, _run
from jointreview.views.files import document_preparing, file_response


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
        "next": next_step(user, app),
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
         _("Answer saved."))
    return redirect("review:application_rounds", application_id=app.pk)


@login_required
@require_POST
def application_resubmit(request, application_id: int):
    app = policy.access_application(request.user, application_id, "edit")
    _run(request, lambda: svc.application_resubmit(actor=request.user, application_id=app.pk),
         _("Resubmitted: the next round has started."))
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
