"""The clocks dashboard (电子监察): every running clock with its light, the projects' 40-day
timelines and the missing-calendar warning. Centre users only (coordinator/admin)."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from jointreview import policy
from jointreview.clocks.selectors import (
    budgets_for,
    calendar_warning,
    clock_counts,
    clock_list,
    clock_subject,
    project_timelines,
    recent_deadline_changes,
)
from jointreview.forms_filters import ClockFilterForm, refused_filter_messages
from jointreview.models import Light

PAGE_SIZE = 50
TIMELINES = 25  # the projects' 40-day timelines shown (red first, then yellow)


def _require_centre(user) -> None:
    if not policy.can_watch_clocks(user):
        raise PermissionDenied(_("The clocks dashboard is for centre staff only."))


@login_required
def dashboard(request):
    _require_centre(request.user)
    light = request.GET.get("light", "")
    if light and light not in Light.values:
        messages.error(request, _("Unknown light “%(light)s”: showing every clock.") % {"light": light})
        light = ""
    form = ClockFilterForm(request.GET)
    values, errors = form.values_and_errors()
    errors.pop("light", None)  # told above, in its own words
    for message in refused_filter_messages(form, errors):
        messages.error(request, message)  # the bad filter is ignored
    provisional = values["provisional"]
    today = timezone.localdate()
    page = Paginator(clock_list(request.user, light=light, provisional=provisional), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    counts = clock_counts(request.user)
    rows = [{"clock": clock, **clock_subject(clock)} for clock in page.object_list]
    budgets = budgets_for(request.user, {row["project"].pk for row in rows if row["project"] is not None}, today=today)
    for row in rows:
        row["budget"] = budgets.get(row["project"].pk) if row["project"] is not None else None
    context = {
        "rows": rows,
        "page": page,
        "light": light,
        "provisional": provisional,
        "lights": [(value, label, counts.get(value, 0)) for value, label in Light.choices],
        "timelines": project_timelines(request.user, today=today, limit=TIMELINES),
        "changes": list(recent_deadline_changes(request.user)),
        "missing_years": calendar_warning(today=today),
        "today": today,
        "show_import_hint": request.user.is_centre_admin,
    }
    return render(request, "clocks/dashboard.html", context)
