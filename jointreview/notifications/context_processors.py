"""The header's unread count (templates/base.html): one query, and only when a page shows it."""
from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from jointreview.notifications.selectors import UNREAD_CAP, unread_count


def unread(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def shown() -> str:
        count = unread_count(user)
        return f"{UNREAD_CAP - 1}+" if count >= UNREAD_CAP else str(count)

    return {"NOTIFICATIONS_UNREAD": SimpleLazyObject(shown)}
