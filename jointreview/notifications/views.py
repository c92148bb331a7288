"""The notification centre's pages: the list, open one (mark it read and go to its page), mark one
or all read, the e-mail choices. Every user's own; views parse input, call one selector or
service, render (docs/architecture.md §3.1)."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from jointreview import policy
from jointreview.forms_common import refusal_text
from jointreview.forms_filters import refused_filter_messages
from jointreview.notifications import selectors as sel
from jointreview.notifications import services as svc
from jointreview.notifications.forms import EmailChoicesForm, NotificationFilterForm
from jointreview.views.actions import run_service
from jointreview.views.common import safe_next

PAGE_SIZE = 25


@login_required
def notification_list(request):
    form = NotificationFilterForm(request.GET)
    values, errors = form.values_and_errors()
    for message in refused_filter_messages(form, errors):
        messages.error(request, message)  # the bad filter is ignored
    unread_only = bool(values["unread"])
    page = sel.notification_page(request.user, number=sel.page_number(request.GET.get("page")), size=PAGE_SIZE,
                                 unread_only=unread_only)
    return render(request, "notifications/list.html", {
        "rows": page.rows, "page": page, "unread_only": unread_only, "back": request.get_full_path(),
    })


@login_required
@require_POST
def notification_open(request, notification_id: int):
    """Mark the notification read for this person and go to its page (the list when it has none)."""
    n = policy.access_notification(request.user, notification_id)
    svc.notification_mark_read(actor=request.user, notification=n)
    return redirect(sel.notification_target(request.user, n) or reverse("notifications:list"))


@login_required
@require_POST
def notification_read(request, notification_id: int):
    n = policy.access_notification(request.user, notification_id)
    svc.notification_mark_read(actor=request.user, notification=n)
    return redirect(safe_next(request, reverse("notifications:list")))


@login_required
@require_POST
def notification_read_all(request):
    count = svc.notification_mark_all_read(actor=request.user)
    messages.success(request, ngettext("%(count)d notification marked read.", "%(count)d notifications marked read.",
                                       count) % {"count": count})
    return redirect(safe_next(request, reverse("notifications:list")))


@login_required
@require_http_methods(["GET", "POST"])
def notification_email(request):
    """The kinds that come by e-mail (the list always shows everything)."""
    choices = sel.email_choices(request.user)
    offered = [(kind, label) for kind, label, _on in choices]
    if request.method == "POST":
        form = EmailChoicesForm(request.POST, offered=offered)
        if not form.is_valid():
            messages.error(request, refusal_text(form))
            return _email_page(request, form, status=400)
        if run_service(request, lambda: svc.notification_email_choose(actor=request.user,
                                                                      kinds=form.cleaned_data["kinds"]),
                       _("Your e-mail choices are saved.")):
            return redirect("notifications:email")
        return _email_page(request, form, status=400)
    form = EmailChoicesForm(initial={"kinds": [kind for kind, _label, on in choices if on]}, offered=offered)
    return _email_page(request, form)


def _email_page(request, form, status: int = 200):
    return render(request, "notifications/email.html", {
        "form": form, "has_address": bool(request.user.email),
        "organization_email": request.user.organization.email if request.user.organization_id else "",
    }, status=status)
