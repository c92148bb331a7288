"""The single window in HTML: owners register projects, open applications, upload, submit; the centre
checks completeness, returns with ONE notice (一次告知) or accepts (容缺受理 with deferral rows).

Views parse input, call one selector/service, render. Permission checks are the selectors
(404 alike for missing and not yours) and the services (refusals shown as messages).
"""
from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from jointreview import policy
from jointreview.clocks.selectors import attach_budgets, budgets_for
from jointreview.forms_common import refusal_text
from jointreview.intake import services as intake
from jointreview.intake.forms import (
    CheckForm,
    DeferralForm,
    OpenApplicationForm,
    ProjectForm,
    UploadForm,
    WithdrawForm,
)
from jointreview.intake.next_step import next_step
from jointreview.intake.selectors import (
    application_items,
    application_materials,
    completeness_notices,
    intermediary_registry,
    on_time_rate,
    recent_applications,
    window_queue,
)
from jointreview.models import ApplicationStatus, CheckStatus, Deferral, Item
from jointreview.policy import (
    access_application,
    access_document_version,
    access_issued_document,
    access_project,
    access_survey_report,
    applications_for,
    projects_for,
    survey_reports_for,
)
from jointreview.services.errors import ServiceError
from jointreview.views.actions import form_refused, refuse
from jointreview.views.files import document_preparing, file_response

WINDOW_PAGE_SIZE = 50  # applications waiting for the completeness check, per page (oldest first)


# --------------------------------------------------------------------------------------------- owner


@login_required
def project_list(request):
    user = request.user
    if not policy.can_list_projects(user):
        raise PermissionDenied(_("Projects are for owners and the centre."))
    projects = list(projects_for(user).order_by("-created_at")[:200])
    return render(request, "intake/project_list.html", {"projects": projects,
                                                        "can_register": policy.can_register_project(user)})


@login_required
def project_register(request):
    if not policy.can_register_project(request.user):
        raise PermissionDenied(_("Only project owners register projects."))
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            fields = {f: form.cleaned_data[f] for f in form.Meta.fields}
            project = intake.project_register(actor=request.user, **fields)
        except ServiceError as exc:
            refuse(request, exc)  # a permission refusal is the 403 page, anything else a message
        else:
            messages.success(request, _("Registered: %(project)s") % {"project": project.name})
            return redirect("intake:project_detail", project_id=project.pk)
    return render(request, "intake/project_form.html", {"form": form})


@login_required
def project_detail(request, project_id):
    project = access_project(request.user, project_id)
    apps = list(applications_for(request.user).filter(project=project).order_by("-created_at"))
    return render(request, "intake/project_detail.html", {
        "project": project, "applications": apps,
        "budget": budgets_for(request.user, [project.pk]).get(project.pk),
        "open_form": OpenApplicationForm() if policy.can_apply(request.user, project) else None,
    })


@login_required
@require_POST
def application_open(request, project_id):
    project = access_project(request.user, project_id, "apply")
    form = OpenApplicationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a workflow."))
        return redirect("intake:project_detail", project_id=project.pk)
    try:
        app = intake.application_open(actor=request.user, project=project, workflow=form.cleaned_data["workflow"])
    except ServiceError as exc:
        refuse(request, exc)  # a permission refusal is the 403 page, anything else a message
        return redirect("intake:project_detail", project_id=project.pk)
    messages.success(request, _("Application %(number)s created: upload the required materials.") % {"number": app.number})
    return redirect("intake:application_detail", application_id=app.pk)


@login_required
def application_detail(request, application_id):
    user = request.user
    app = access_application(user, application_id, "view")
    acts = policy.application_actions(user, app)
    items = list(application_items(app))
    materials = list(application_materials(app))
    open_deferrals = set(
        Deferral.objects.filter(application=app, fulfilled_at__isnull=True).values_list("material_id", flat=True)
    )
    rows = []
    for am in materials:
        deferred_open = am.material_id in open_deferrals
        rows.append({"am": am, "versions": getattr(am.document, "all_versions", []) if am.document else [],
                     "can_upload": policy.can_upload_material(user, app, deferred_open=deferred_open),
                     "deferred_open": deferred_open})
    assignments = app.assignments.select_related("agency", "clock").order_by("agency__name")
    if not acts["sees_all_assignments"]:
        assignments = assignments.filter(pk__in=policy.agency_assignments(user).values("pk"))
    assignments = list(assignments)
    policy.prefetch_grants(user, assignments)
    for a in assignments:
        a.can_open = policy.can_view_assignment(user, a)
    context = {
        "app": app,
        "budget": budgets_for(user, [app.project_id]).get(app.project_id),
        "items": items,
        "rows": rows,
        "upload_form": UploadForm(),
        "can_submit": acts["can_submit"],
        "can_withdraw": acts["can_withdraw"],
        "can_choose": acts["can_choose"],
        "can_check": acts["can_check"],
        "missing": intake.missing_for_submit(app) if acts["editable"] else [],
        "notices": list(completeness_notices(app)) if acts["sees_completeness_notices"] else [],
        "reports": list(survey_reports_for(user, app)),
        "can_deliver": policy.can_deliver_reports(user, app),
        "assignments": assignments,
        "withdraw_form": WithdrawForm(),
        "next": next_step(user, app),
    }
    return render(request, "intake/application_detail.html", context)


@login_required
def application_choose(request, application_id, item_id):
    app = access_application(request.user, application_id, "edit")
    item = get_object_or_404(Item, pk=item_id, workflow_id=app.workflow_id, competitive=True)
    firms = list(intermediary_registry(item).prefetch_related("specialities"))
    if request.method == "POST":
        agency = next((f for f in firms if str(f.pk) == request.POST.get("agency")), None)
        if agency is None:
            messages.error(request, _("Choose a firm of the registry."))
        else:
            try:
                intake.application_choose_intermediary(actor=request.user, application=app, item=item,
                                                       agency=agency)
            except ServiceError as exc:
                refuse(request, exc)  # a permission refusal is the 403 page, anything else a message
            else:
                messages.success(request, _("%(firm)s chosen for “%(item)s”.") % {"firm": agency, "item": item.name})
                return redirect("intake:application_detail", application_id=app.pk)
    rows = [{"firm": f, "rate": on_time_rate(f)} for f in firms]
    return render(request, "intake/choose_intermediary.html", {"app": app, "item": item, "rows": rows})


@login_required
@require_POST
def material_upload(request, application_id, material_id):
    app = access_application(request.user, application_id, "edit")
    am = get_object_or_404(app.materials.select_related("material"), pk=material_id)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to upload.") if "file" in form.errors
                       else refusal_text(form))
    else:
        try:
            v = intake.document_upload(actor=request.user, application_material=am, upload=form.cleaned_data["file"],
                                       note=form.cleaned_data["note"])
        except ServiceError as exc:
            refuse(request, exc)  # a permission refusal is the 403 page, anything else a message
        else:
            messages.success(request, _("“%(material)s”: version %(version)s uploaded (sha256 %(sha)s…).") % {
                "material": am.material.name, "version": v.number, "sha": v.sha256[:12]})
    return redirect("intake:application_detail", application_id=app.pk)


@login_required
@require_POST
def application_submit(request, application_id):
    app = access_application(request.user, application_id, "edit")
    try:
        intake.application_submit(actor=request.user, application=app)
    except ServiceError as exc:
        refuse(request, exc)  # a permission refusal is the 403 page, anything else a message
    else:
        messages.success(request, _("Submitted to the window."))
    return redirect("intake:application_detail", application_id=app.pk)


@login_required
@require_POST
def application_withdraw(request, application_id):
    app = access_application(request.user, application_id, "edit")
    form = WithdrawForm(request.POST)
    if not form.is_valid():  # an over-long reason is refused (400), not silently dropped
        return form_refused(request, form, lambda: application_detail(request, app.pk))
    reason = form.cleaned_data["reason"]
    try:
        intake.application_withdraw(actor=request.user, application=app, reason=reason)
    except ServiceError as exc:
        refuse(request, exc)  # a permission refusal is the 403 page, anything else a message
    else:
        messages.success(request, _("Application withdrawn."))
    return redirect("intake:application_detail", application_id=app.pk)


# --------------------------------------------------------------------------------------------- centre


@login_required
def window(request):
    if not policy.can_use_window(request.user):
        raise PermissionDenied(_("The window is for centre staff."))
    queue = Paginator(window_queue(request.user), WINDOW_PAGE_SIZE).get_page(request.GET.get("page"))
    recent = recent_applications(request.user)
    attach_budgets(request.user, list(queue) + recent)
    return render(request, "intake/window.html", {"queue": queue, "recent": recent})


def _deferrable(am) -> bool:
    return not am.material.essential and am.material.item.allows_deferral


@login_required
def application_check(request, application_id):
    app = access_application(request.user, application_id, "check")
    materials = list(application_materials(app))
    check_forms = []
    for am in materials:
        initial = {"status": am.check_status if am.check_status in CheckStatus.values else "",
                   "note": am.check_note}
        check_forms.append((am, CheckForm(request.POST or None, prefix=f"m{am.pk}", initial=initial)))
    if request.method == "POST":
        if all(f.is_valid() for _am, f in check_forms):
            results = [{"material_id": am.pk, "status": f.cleaned_data["status"], "note": f.cleaned_data["note"]}
                       for am, f in check_forms]
            try:
                intake.completeness_check(actor=request.user, application=app, results=results)
            except ServiceError as exc:
                refuse(request, exc)  # a permission refusal is the 403 page, anything else a message
            else:
                messages.success(request, _("Check saved."))
                return redirect("intake:application_check", application_id=app.pk)
        else:
            messages.error(request, _("Choose a result for every material."))
            for am, f in check_forms:
                if f.errors:
                    messages.error(request, _("“%(material)s”: %(problems)s") % {"material": am.material.name,
                                                                                "problems": refusal_text(f)})
    deferral_forms = [(am, DeferralForm(prefix=f"d{am.pk}")) for am in materials if _deferrable(am)]
    invalid = request.method == "POST" and any(f.errors for _am, f in check_forms)
    return render(request, "intake/check.html", {
        "app": app, "check_forms": check_forms, "deferral_forms": deferral_forms,
        "notices": list(completeness_notices(app)),
        "can_act": app.status == ApplicationStatus.SUBMITTED,
    }, status=400 if invalid else 200)


@login_required
@require_POST
def application_return(request, application_id):
    app = access_application(request.user, application_id, "check")
    try:
        notice = intake.application_return(actor=request.user, application=app)
    except ServiceError as exc:
        refuse(request, exc)  # a permission refusal is the 403 page, anything else a message
        return redirect("intake:application_check", application_id=app.pk)
    count = notice.defects.count()
    messages.success(request, ngettext("Returned with one notice %(number)s (%(count)d item).",
                                       "Returned with one notice %(number)s (%(count)d items).", count)
                     % {"number": notice.number, "count": count})
    return redirect("intake:window")


@login_required
@require_POST
def application_accept(request, application_id):
    app = access_application(request.user, application_id, "check")
    deferrals = []
    for am in app.materials.select_related("material__item"):
        if not _deferrable(am):
            continue
        form = DeferralForm(request.POST, prefix=f"d{am.pk}")
        if not form.is_valid():
            messages.error(request, _("“%(material)s”: invalid deferral: %(problems)s") % {
                "material": am.material.name, "problems": refusal_text(form)})
            return redirect("intake:application_check", application_id=app.pk)
        if form.cleaned_data["defer"]:
            deferrals.append({"material_id": am.pk, "promised_date": form.cleaned_data["promised_date"],
                              "commitment": form.cleaned_data["commitment"]})
    try:
        intake.application_accept(actor=request.user, application=app, deferrals=deferrals)
    except ServiceError as exc:
        refuse(request, exc)  # a permission refusal is the 403 page, anything else a message
        return redirect("intake:application_check", application_id=app.pk)
    if deferrals:
        text = _("%(number)s accepted with gaps: sent to the agencies.")
    else:
        text = _("%(number)s accepted: sent to the agencies.")
    messages.success(request, text % {"number": app.number})
    return redirect("intake:application_detail", application_id=app.pk)


# --------------------------------------------------------------------------------------------- files


def _file_response(fieldfile, *, filename: str, content_type: str):
    """PDFs inline, anything else as a download."""
    return file_response(fieldfile, filename=filename, content_type=content_type,
                         as_attachment=content_type != "application/pdf")


@login_required
def notice_pdf(request, notice_id):
    notice = access_issued_document(request.user, notice_id)
    if not notice.file:  # never rendered in the request: the task renders it, the page reloads
        return document_preparing(request, notice)
    return _file_response(notice.file, filename=f"{notice.number}.pdf", content_type="application/pdf")


@login_required
def document_download(request, version_id):
    version = access_document_version(request.user, version_id)
    if not version.file:
        raise Http404("file missing")
    content_type = version.content_type or mimetypes.guess_type(version.original_name)[0] or "application/octet-stream"
    return _file_response(version.file, filename=version.original_name, content_type=content_type)


@login_required
@require_POST
def survey_report_deliver(request, report_id):
    report = access_survey_report(request.user, report_id, "deliver")
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose the report file.") if "file" in form.errors
                       else refusal_text(form))
    else:
        try:
            intake.survey_report_deliver(actor=request.user, report=report, upload=form.cleaned_data["file"],
                                         note=form.cleaned_data["note"])
        except ServiceError as exc:
            refuse(request, exc)  # a permission refusal is the 403 page, anything else a message
        else:
            messages.success(request, _("Report “%(title)s” delivered.") % {"title": report.title})
    return redirect("intake:application_detail", application_id=report.application_id)

