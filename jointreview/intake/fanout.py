"""The fan-out after acceptance: notify each agency of its assignment, exactly once (docs/architecture.md §4).

The database is the source of truth: ``application_accept`` commits one Assignment per agency with
``notify_status=pending`` and, on commit, enqueues ``jointreview.notify_assignment`` per assignment
(``dispatch_notify_many``: one hook, one producer, one Redis pipeline).

- ``assignment_notify`` claims the row with a conditional update (pending -> sent) and creates the
  in-app Notification (unique ``key``) in the same transaction: a retry, a duplicate delivery, a
  worker killed mid-task (nothing committed -> the redelivered task does the work) or two deliveries
  at once never create a second notification. Its e-mail copy goes out from
  ``services.mail.notification_email_sweep`` (beat), off this hot path, with retries.
- ``fanout_sweep`` (beat, every 60 s) re-dispatches assignments still pending after N seconds
  (a publish lost between commit and broker, a broker down at accept time) and marks them failed
  after ``settings.JR_FANOUT_MAX_ATTEMPTS`` re-dispatches, telling the centre.

Tasks are sent by name through ``services.queue`` (services never import ``tasks``).
"""
from __future__ import annotations

import logging
import weakref
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from jointreview.audit.notifications import NotificationKind
from jointreview.audit.services import audit_record, notify_centre
from jointreview.audit.verbs import AuditVerb
from jointreview.models import Assignment, AuditEvent, Notification, NotifyStatus
from jointreview.services.queue import enqueue_after_commit, enqueue_many_after_commit
from projects.models import Organization

log = logging.getLogger(__name__)

NOTIFY_TASK = "jointreview.notify_assignment"


def dispatch_notify(assignment_id: int) -> None:
    """Enqueue the notification of one assignment when the current transaction commits (at once
    outside one); a broker failure is logged (the row stays pending and fanout_sweep re-dispatches it)."""
    enqueue_after_commit(NOTIFY_TASK, assignment_id=assignment_id)


def dispatch_notify_many(assignment_ids: list[int]) -> None:
    """``dispatch_notify`` for each of ``assignment_ids`` (an accept's agencies), published together on
    commit through one producer; each failure is logged as ``dispatch_notify``'s is."""
    enqueue_many_after_commit(NOTIFY_TASK, [{"assignment_id": pk} for pk in assignment_ids])


def notify_key(assignment_id: int) -> str:
    return f"assignment-{assignment_id}-assigned"


def assignment_notify(*, assignment_id: int) -> bool:
    """Tell the agency of a new assignment. Idempotent: returns False if it was already done.

    One transaction: claim the row with a conditional update (pending -> sent), create the in-app
    notification (its unique ``key`` is a second guard) and the audit event. A worker killed before
    the commit leaves nothing behind, so the redelivered task does the work; a second delivery finds
    the row claimed and does nothing. The e-mail copy is sent by the mail sweep (``services.mail``).

    Its commit is asynchronous on PostgreSQL (``synchronous_commit=off`` for this transaction only):
    if the server itself crashes within ~0.2 s the claim, the notification and the audit event are
    lost together, the row is pending again and the sweep re-dispatches it; nothing is ever
    half-done. This is the fan-out's hot path (8 per accepted application),
    so on PostgreSQL it runs as one statement (``_notify_sql``), prepared once per connection (the
    planning cost more than the execution); elsewhere (the SQLite demo) through the ORM
    (``_notify_portable``).
    """
    try:
        if connection.vendor == "postgresql":
            row = _notify_postgresql(assignment_id)
        else:
            row = _notify_portable(assignment_id)
    except IntegrityError:
        log.warning("assignment %s already has its notification; nothing sent", assignment_id)
        return False
    return row is not None  # None: already sent (or failed, or no such assignment)


_SQL: dict[str, str] = {}
# the notify statement is prepared once per database connection (planning it cost more than running
# it: ~0.6 ms of ~1 ms): by psycopg when parameters are bound on the server (the default), otherwise
# (JR_DB_PREPARE_THRESHOLD=off) with PREPARE here; the raw connections that hold it (a new connection
# prepares it again)
_PREPARED: weakref.WeakSet = weakref.WeakSet()
_PARAMS = (("sent", "text"), ("pending", "text"), ("now", "timestamptz"), ("id", "bigint"), ("key", "text"),
           ("kind", "text"))
PREPARED_NAME = "jr_notify_assignment"


def _notify_postgresql(assignment_id: int):
    if "notify" not in _SQL:
        _SQL["notify"] = _prepare_sql(_notify_sql())
    params = {"sent": NotifyStatus.SENT, "pending": NotifyStatus.PENDING, "now": timezone.now(),
              "id": assignment_id, "key": notify_key(assignment_id), "kind": NotificationKind.ASSIGNMENT.value}
    with connection.cursor() as cursor:  # one statement: atomic by itself, one round trip
        if connection.settings_dict["OPTIONS"].get("server_side_binding"):
            # parameters bound on the server (settings.env: JR_DB_PREPARE_THRESHOLD): psycopg prepares the
            # statement itself once it has run prepare_threshold times on the connection
            if "plain" not in _SQL:
                _SQL["plain"] = _notify_sql()
            cursor.execute(_SQL["plain"], params)
            return cursor.fetchone()
        if connection.connection not in _PREPARED:
            cursor.execute(_SQL["notify"])
            _PREPARED.add(connection.connection)
        cursor.execute(f"EXECUTE {PREPARED_NAME}({', '.join(['%s'] * len(_PARAMS))})",
                       [params[name] for name, _type in _PARAMS])
        return cursor.fetchone()


def _prepare_sql(sql: str) -> str:
    """``PREPARE`` of the notify statement, its named parameters numbered ($1...) in ``_PARAMS`` order."""
    for number, (name, _type) in enumerate(_PARAMS, start=1):
        sql = sql.replace(f"%({name})s", f"${number}")
    return f"PREPARE {PREPARED_NAME}({', '.join(t for _n, t in _PARAMS)}) AS {sql}"


def _notify_portable(assignment_id: int):
    with transaction.atomic():
        claimed = Assignment.objects.filter(pk=assignment_id, notify_status=NotifyStatus.PENDING).update(
            notify_status=NotifyStatus.SENT, notify_attempts=F("notify_attempts") + 1, notified_at=timezone.now()
        )
        if not claimed:
            return None
        a = Assignment.objects.select_related(
            "agency", "application__project", "application__workflow"
        ).get(pk=assignment_id)
        notification = Notification.objects.create(
            key=notify_key(a.pk), organization=a.agency, kind=NotificationKind.ASSIGNMENT,
            params=_notification_params(a), application=a.application, assignment=a,
        )
        audit_record(actor=None, verb=AuditVerb.ASSIGNMENT_NOTIFY, target=a, application=a.application,
                     before={"notify_status": NotifyStatus.PENDING},
                     after={"notify_status": NotifyStatus.SENT, "notification": notification.pk})
    return (notification.pk,)


def _notification_params(a: Assignment) -> dict:
    """The parameters of the agency's notification (NotificationKind.ASSIGNMENT); ``_notify_sql``
    builds the same object in SQL."""
    app = a.application
    return {"agency": a.agency.name, "number": app.number, "project": app.project.name,
            "workflow": app.workflow.name, "due": a.due_date.isoformat() if a.due_date else "",
            "round": a.round_number}


def _notify_sql() -> str:
    """PostgreSQL: the whole of ``_notify_portable`` as ONE statement (claim, notification, audit event,
    asynchronous commit), returning the new notification's id. Table names from the models' meta; values
    are parameters. ``test_fanout_paths`` checks that both paths write the same rows."""
    from jointreview.models import Application, Workflow
    from projects.models import Project

    return f"""
        WITH cfg AS (SELECT set_config('synchronous_commit', 'off', true) AS v),
        claimed AS (
            UPDATE {Assignment._meta.db_table}
               SET notify_status = %(sent)s, notify_attempts = notify_attempts + 1, notified_at = %(now)s
             WHERE id = %(id)s AND notify_status = %(pending)s
            RETURNING id, application_id, agency_id, due_date, round_number
        ),
        info AS (
            SELECT c.id, c.application_id, c.agency_id, c.round_number, o.name AS agency_name,
                   ap.number, p.name AS project, w.name AS workflow,
                   coalesce(to_char(c.due_date, 'YYYY-MM-DD'), '') AS due, cfg.v
              FROM claimed c
              JOIN {Organization._meta.db_table} o ON o.id = c.agency_id
              JOIN {Application._meta.db_table} ap ON ap.id = c.application_id
              JOIN {Project._meta.db_table} p ON p.id = ap.project_id
              JOIN {Workflow._meta.db_table} w ON w.id = ap.workflow_id
             CROSS JOIN cfg
        ),
        n AS (
            INSERT INTO {Notification._meta.db_table} (key, organization_id, user_id, kind, params,
                        application_id, assignment_id, created_at, emailed_at)
            SELECT %(key)s, agency_id, NULL, %(kind)s,
                   jsonb_build_object('agency', agency_name, 'number', number, 'project', project,
                                      'workflow', workflow, 'due', due, 'round', round_number),
                   application_id, id, %(now)s, NULL
              FROM info
            RETURNING id
        ),
        a AS (
            INSERT INTO {AuditEvent._meta.db_table} (at, actor_id, verb, target_type, target_id, application_id,
                        before, after, note)
            SELECT %(now)s, NULL, 'assignment.notify', 'jointreview.Assignment', info.id::text,
                   info.application_id, '{{"notify_status": "pending"}}'::jsonb,
                   jsonb_build_object('notify_status', 'sent', 'notification', n.id), ''
              FROM info CROSS JOIN n
        )
        SELECT n.id FROM n
    """  # noqa: S608


def fanout_sweep(*, older_than_s: int = 60, batch: int = 200) -> dict[str, int]:
    """Re-dispatch pending assignment notifications older than ``older_than_s`` seconds.

    Safe to run twice at once (rows are claimed with ``skip_locked``). After
    ``JR_FANOUT_MAX_ATTEMPTS`` re-dispatches a row is marked failed and the centre is told.
    """
    cutoff = timezone.now() - timedelta(seconds=older_than_s)
    max_attempts = settings.JR_FANOUT_MAX_ATTEMPTS
    redispatch: list[int] = []
    failed = 0
    with transaction.atomic():
        rows = list(
            Assignment.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(notify_status=NotifyStatus.PENDING, created_at__lt=cutoff)
            .select_related("agency", "application")
            .order_by("pk")[:batch]
        )
        for a in rows:
            if a.notify_attempts >= max_attempts:
                Assignment.objects.filter(pk=a.pk, notify_status=NotifyStatus.PENDING).update(
                    notify_status=NotifyStatus.FAILED
                )
                audit_record(
                    actor=None, verb=AuditVerb.ASSIGNMENT_NOTIFY_FAILED, target=a, application=a.application,
                    before={"notify_status": "pending", "attempts": a.notify_attempts},
                    after={"notify_status": "failed"},
                )
                _tell_centre_failed(a)
                failed += 1
            else:
                redispatch.append(a.pk)
        if redispatch:
            Assignment.objects.filter(pk__in=redispatch).update(notify_attempts=F("notify_attempts") + 1)
        for pk in redispatch:
            dispatch_notify(pk)
    return {"redispatched": len(redispatch), "failed": failed}


def _tell_centre_failed(a: Assignment) -> None:
    notify_centre(key=f"assignment-{a.pk}-notify-failed", kind=NotificationKind.FANOUT_FAILED,
                  params={"number": a.application.number, "agency": a.agency.name, "attempts": a.notify_attempts},
                  application=a.application, assignment=a)


def assignment_notify_failed(*, assignment_id: int, error: str = "") -> None:
    """Called when the notify task gave up (retries exhausted): log it; the sweep decides on FAILED."""
    log.error("notify task for assignment %s gave up: %s", assignment_id, error)
