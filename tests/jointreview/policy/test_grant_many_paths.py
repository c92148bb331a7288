"""grant_many has two implementations: one SQL statement for every direct grant table on PostgreSQL,
Django's bulk inserts elsewhere (the SQLite demo). They must write the same grants, leave existing
grants alone, and read permission ids that are current after a flush."""
import pytest
from django.contrib.auth.models import Permission
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection

from jointreview.models import Assignment
from jointreview.policy import core
from jointreview.policy.core import grant_many, has_grant, permission_ids
from tests.factories import AgencyFactory, AssignmentFactory, DocumentFactory, LeadFactory

pytestmark = pytest.mark.django_db

TABLES = ("jointreview_assignmentgroupobjectpermission", "jointreview_applicationgroupobjectpermission",
          "projects_documentgroupobjectpermission")


def grants_in_tables() -> set[tuple]:
    rows = set()
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT permission_id, group_id, content_object_id FROM {table}")  # noqa: S608
            rows |= {(table, *row) for row in cursor.fetchall()}
    return rows


def some_grants():
    a = AssignmentFactory()
    other = AgencyFactory()
    doc = DocumentFactory()
    return a, [("jointreview.view_assignment", a.agency, a), ("jointreview.review_assignment", a.agency, a),
               ("view_application", a.agency, a.application), ("view_document", a.agency, doc),
               ("view_document", other, doc)]


def clear() -> None:
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608


def test_the_statement_and_the_orm_path_write_the_same_grants(monkeypatch):
    assert connection.vendor == "postgresql"
    a, grants = some_grants()
    clear()
    grant_many(grants)
    by_statement = grants_in_tables()
    assert len(by_statement) == 5
    clear()
    monkeypatch.setattr(connection, "vendor", "sqlite")  # the demo's path: bulk inserts
    grant_many(grants)
    assert grants_in_tables() == by_statement


def test_existing_grants_are_left_alone_and_the_grant_is_seen_by_the_policy():
    a, grants = some_grants()
    clear()
    grant_many(grants[:2])
    grant_many(grants)  # two of them again, three new: no error, no duplicate
    assert len(grants_in_tables()) == 5
    lead = LeadFactory(organization=a.agency)
    assert has_grant(lead, "review_assignment", Assignment.objects.get(pk=a.pk))


def test_permission_ids_are_read_again_after_post_migrate():
    perm = Permission.objects.get(codename="view_assignment")
    key = (perm.content_type_id, "view_assignment")
    assert permission_ids({key})[key] == perm.pk
    assert key in core._PERMISSION_IDS
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")  # as migrate and a flush do
    assert key not in core._PERMISSION_IDS
