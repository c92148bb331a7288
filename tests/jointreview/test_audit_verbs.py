"""Audit verbs are an enum (issue 9): a verb not listed in jointreview/audit/verbs.py is refused."""
import pytest

from jointreview.audit.services import audit_record
from jointreview.audit.verbs import AuditVerb
from jointreview.models import AuditEvent
from tests.factories import OwnerUserFactory

pytestmark = pytest.mark.django_db


def test_a_listed_verb_is_recorded_and_a_free_string_refused():
    user = OwnerUserFactory()
    event = audit_record(actor=user, verb=AuditVerb.USER_CHANGE, target=user)
    assert AuditEvent.objects.get(pk=event.pk).verb == "user.change"
    with pytest.raises(ValueError, match="unknown audit verb"):
        audit_record(actor=user, verb="user.renamed_somehow", target=user)
    assert AuditEvent.objects.count() == 1
