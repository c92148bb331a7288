"""Documents the centre issues (one-time notices, joint notices, certificates, pause notices).

- drafts: the centre only;
- an ISSUED document: the centre; the application's owner (every kind);
- an agency: the application's issued joint notices, certificates and acceptance opinions when it
  works on the application (grant ``view_application``); a pause notice only of its own
  assignment (``IssuedDocument.agency``); never the window's one-time notice (between the window
  and the owner).
The same rule answers at every URL that serves one (/intake/notices/<id>.pdf,
/review/documents/<id>/pdf/).
"""
from __future__ import annotations

from jointreview.models import IssuedDocument, IssuedKind

from .core import authenticated, fetch_visible, has_grant, is_agency_member, is_centre, is_owner_of

AGENCY_READABLE_KINDS = frozenset({IssuedKind.JOINT_NOTICE, IssuedKind.CERTIFICATE, IssuedKind.ACCEPTANCE_OPINION})


def can_view_issued(user, doc: IssuedDocument) -> bool:
    if not authenticated(user):
        return False
    if is_centre(user):
        return True
    if doc.state != IssuedDocument.State.ISSUED:
        return False
    if user.is_owner:
        return is_owner_of(user, doc.application.project.owner_id)
    if user.is_agency:
        if doc.kind == IssuedKind.PAUSE_NOTICE:
            return is_agency_member(user, doc.agency_id)
        return doc.kind in AGENCY_READABLE_KINDS and has_grant(user, "view_application", doc.application)
    return False


def access_issued_document(user, document_id) -> IssuedDocument:
    doc = fetch_visible(IssuedDocument.objects.select_related("application__project", "round"), document_id,
                        "document", lambda doc: can_view_issued(user, doc))
    return doc


def can_issue(user) -> bool:
    """Issue joint notices and certificates: the centre."""
    return is_centre(user)
