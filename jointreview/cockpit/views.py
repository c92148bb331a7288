"""The coordinator's cockpit (centre users): every open application and assignment, filtered, counted,
sorted and paginated, one click to the case; the same view exported as CSV or Excel."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from jointreview import policy
from jointreview.cockpit import exports
from jointreview.cockpit.forms import CockpitFilterForm
from jointreview.cockpit.selectors import (
    DEFAULT_SORT,
    PAGE_SIZE,
    attach_budgets,
    cockpit_applications,
    cockpit_coordinators,
    cockpit_counts,
    cockpit_rows,
    ordered_ids,
)

SORTABLE = ("number", "project", "workflow", "status", "accepted", "light", "due", "remaining")


def _require(user) -> None:
    if not policy.can_use_cockpit(user):
        raise PermissionDenied(_("The cockpit is for the centre's staff."))


def _filtered(request):
    form = CockpitFilterForm(request.GET)
    filters = form.filters(request.user)
    qs = cockpit_applications(request.user, filters, today=timezone.localdate())
    return form, filters, qs


def _query(request, **changes) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    for key, value in changes.items():
        params.pop(key, None)
        if value:
            params[key] = value
    return params.urlencode()


def _sort_links(request, current: str) -> dict[str, dict[str, str]]:
    out = {}
    for key in SORTABLE:
        toggled = f"-{key}" if current == key else key
        out[key] = {"query": _query(request, sort=toggled),
                    "active": "asc" if current == key else "desc" if current == f"-{key}" else ""}
    return out


@login_required
def cockpit(request):
    _require(request.user)
    form, filters, qs = _filtered(request)
    page = Paginator(ordered_ids(qs, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = cockpit_rows(list(page.object_list))
    attach_budgets(rows)
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "rows": rows,
        "counts": cockpit_counts(request.user, today=timezone.localdate()),
        "sorts": _sort_links(request, filters.sort or DEFAULT_SORT),
        "query": _query(request),
        "coordinators": cockpit_coordinators(request.user),
        "budgets": any(getattr(app, "budget", None) is not None for app in rows),
    }
    return render(request, "cockpit/cockpit.html", context, status=400 if form.errors else 200)


def _export(request, fmt: str):
    _require(request.user)
    form, filters, qs = _filtered(request)
    if form.errors:  # an export of a view the user did not ask for would mislead: refuse it
        problems = "; ".join(f"{form.fields[name].label}: {' '.join(errs)}" for name, errs in form.errors.items())
        return HttpResponseBadRequest(_("Bad filter: %(problems)s") % {"problems": problems},
                                      content_type="text/plain; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        body, content_type = exports.to_csv(exports.rows(ordered_ids(qs, filters))), "text/csv; charset=utf-8"
    else:
        body = exports.to_xlsx(exports.rows(ordered_ids(qs, filters)))
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="cockpit-{stamp}.{fmt}"'
    return response


@login_required
def export_csv(request):
    return _export(request, "csv")


@login_required
def export_xlsx(request):
    return _export(request, "xlsx")
