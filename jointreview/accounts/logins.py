"""Login lockouts (django-axes): auditing one when it starts, and lifting one (the centre admin)."""
from __future__ import annotations

from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from jointreview.audit.services import audit_record_login
from jointreview.audit.verbs import AuditVerb
from jointreview.models import AuditEvent
from jointreview.services.errors import PermissionDeniedError, ServiceError
from projects.models import Role


def printable(text: str | None, limit: int = 150) -> str:
    """A login name as it was typed (anything a client sends): control characters replaced, length capped."""
    return "".join(ch if ch.isprintable() else "?" for ch in (text or ""))[:limit]


def failure_counts(*, username: str | None, ip_address: str | None) -> dict[str, int]:
    """Failed logins on record for the login name (from any address) and for the address (any names)."""

    def total(**filters) -> int:
        return AccessAttempt.objects.filter(**filters).aggregate(n=Sum("failures_since_start"))["n"] or 0

    return {
        "username": total(username=username) if username else 0,
        "ip_address": total(ip_address=ip_address) if ip_address else 0,
    }


@transaction.atomic
def login_lockout_record(*, username: str | None, ip_address: str | None) -> AuditEvent | None:
    """Audit the failure that locks a login name or an address out (axes' ``user_locked_out``).

    axes sends its signal for every failure at or past the limit; each one during a lockout also restarts
    the cool-off. Only the failure that reaches the limit changes the state, so only that one is recorded:
    one event per lockout, naming what reached the limit."""
    limit = settings.AXES_FAILURE_LIMIT
    counts = failure_counts(username=username, ip_address=ip_address)
    reached = [key for key, n in counts.items() if n == limit]
    if not reached:
        return None
    name = printable(username)
    what = " and ".join({"username": f"login name {name!r}", "ip_address": f"address {ip_address}"}[k]
                        for k in reached)
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return audit_record_login(
        actor=None, verb=AuditVerb.AUTH_LOCKOUT, username=name,
        after={"username": name, "ip_address": ip_address, "locked": reached, "failures": counts,
               "limit": limit, "cooloff_minutes": minutes},
        note=f"{what} locked out after {limit} failed logins ({minutes} min; last try: {name!r} from {ip_address})",
    )


def _require_centre_admin(actor) -> None:
    if not (getattr(actor, "is_active", False)
            and (actor.is_superuser or getattr(actor, "role", "") == Role.CENTRE_ADMIN)):
        raise PermissionDeniedError(_("Only a centre admin may lift a login lockout."))


@transaction.atomic
def login_lockout_lift(*, actor, attempt_ids: list[int]) -> int:
    """Lift the lockouts behind the chosen access attempts: every failure on record for their login
    names and for their addresses is removed (axes.utils.reset), so both may log in at once. One audit
    event per (login name, address). Returns how many attempt records went."""
    _require_centre_admin(actor)
    pairs = sorted(
        set(AccessAttempt.objects.filter(pk__in=attempt_ids).values_list("username", "ip_address")),
        key=lambda pair: (pair[0] or "", pair[1] or ""),
    )
    if not pairs:
        raise ServiceError(_("No such login attempt: the lockout has been lifted already or has expired."),
                           code="not_found")
    removed = 0
    for username, ip_address in pairs:
        before = failure_counts(username=username, ip_address=ip_address)
        if username and ip_address:
            count = reset(ip=ip_address, username=username, ip_or_username=True)
        else:
            count = reset(ip=ip_address) if ip_address else reset(username=username)
        removed += count
        name = printable(username)
        audit_record_login(
            actor=actor, verb=AuditVerb.AUTH_LOCKOUT_LIFT, username=name,
            before={"username": name, "ip_address": ip_address, "failures": before},
            after={"removed_attempts": count},
            note=f"lockout lifted for login name {name!r} and address {ip_address} by {actor.get_username()}",
        )
    return removed
