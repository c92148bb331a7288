"""The notify hot path has two implementations: one SQL statement on PostgreSQL and the ORM elsewhere
(the SQLite demo). They must write the same rows and keep the same guarantees."""
import pytest
from django.db import connection

from jointreview.intake import fanout
from jointreview.intake import services as intake
from jointreview.models import Assignment, AuditEvent, Notification, NotifyStatus
from tests.jointreview.intake.conftest import ready_app

pytestmark = pytest.mark.django_db


def written(a: Assignment) -> dict:
    n = Notification.objects.get(assignment=a)
    audit = AuditEvent.objects.get(verb="assignment.notify", target_id=str(a.pk))
    a.refresh_from_db()
    return {
        "notify_status": a.notify_status, "attempts": a.notify_attempts, "notified": a.notified_at is not None,
        "key": n.key, "org": n.organization_id, "kind": n.kind, "subject": n.subject, "body": n.body,
        "application": n.application_id,
        "audit": (audit.actor_id, audit.target_type, audit.application_id, audit.before, audit.after),
    }


def normalised(rows: dict, a: Assignment) -> dict:
    """Replace what differs by construction (ids of this assignment and its notification)."""
    out = dict(rows)
    n = Notification.objects.get(assignment=a)
    out["key"] = out["key"].replace(str(a.pk), "<id>")
    out["org"] = "<agency>"
    out["body"] = out["body"].replace(a.agency.name, "<agency>")
    actor, target_type, app_id, before, after = out["audit"]
    out["audit"] = (actor, target_type, app_id, before, {**after, "notification": after["notification"] == n.pk})
    return out


def test_postgresql_statement_and_orm_path_write_the_same_rows(world):
    assert connection.vendor == "postgresql"
    app = ready_app(world)
    intake.application_accept(actor=world.centre, application=app)
    first, second = list(app.assignments.order_by("pk")[:2])
    assert fanout._notify_postgresql(first.pk) is not None
    assert fanout._notify_portable(second.pk) is not None
    sql_rows, orm_rows = written(first), written(second)
    assert sql_rows["notify_status"] == NotifyStatus.SENT and sql_rows["attempts"] == 1
    assert normalised(sql_rows, first) == normalised(orm_rows, second)
    assert "已受理" in orm_rows["body"] and app.number in orm_rows["subject"]


@pytest.mark.parametrize("path", ["_notify_postgresql", "_notify_portable"])
def test_each_path_claims_once(world, path):
    app = ready_app(world)
    intake.application_accept(actor=world.centre, application=app)
    a = app.assignments.first()
    notify = getattr(fanout, path)
    assert notify(a.pk) is not None
    assert notify(a.pk) is None  # the second delivery finds the row claimed
    assert Notification.objects.filter(assignment=a).count() == 1
    assert AuditEvent.objects.filter(verb="assignment.notify", target_id=str(a.pk)).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_prepared_statement_is_prepared_again_on_a_new_connection(world):
    """PostgreSQL keeps a prepared statement per connection: after a reconnect (a worker's connection
    too old, or broken) the notify prepares it again instead of failing."""
    app = ready_app(world)
    intake.application_accept(actor=world.centre, application=app)
    first, second = list(app.assignments.order_by("pk")[:2])
    assert fanout.assignment_notify(assignment_id=first.pk) is True
    connection.close()
    assert fanout.assignment_notify(assignment_id=second.pk) is True
    assert fanout.assignment_notify(assignment_id=second.pk) is False
    assert Notification.objects.filter(assignment__in=[first, second]).count() == 2


@pytest.fixture
def client_side_binding():
    """The database connection as JR_DB_PREPARE_THRESHOLD=off opens it: parameters bound on the client,
    nothing prepared by psycopg (the notify then PREPAREs its statement itself)."""
    options = connection.settings_dict["OPTIONS"]
    saved = dict(options)
    options.pop("server_side_binding", None)
    options.pop("prepare_threshold", None)
    connection.close()
    yield
    connection.close()
    options.clear()
    options.update(saved)


@pytest.mark.django_db(transaction=True)
def test_with_client_side_binding_the_statement_is_prepared_by_name(world, client_side_binding):
    app = ready_app(world)
    intake.application_accept(actor=world.centre, application=app)
    first, second = list(app.assignments.order_by("pk")[:2])
    assert fanout.assignment_notify(assignment_id=first.pk) is True
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = %s", [fanout.PREPARED_NAME])
        assert cursor.fetchone()[0] == 1
    connection.close()  # a new connection prepares it again
    assert fanout.assignment_notify(assignment_id=second.pk) is True
    assert fanout.assignment_notify(assignment_id=second.pk) is False
    assert Notification.objects.filter(assignment__in=[first, second]).count() == 2
