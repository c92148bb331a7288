"""THE permission table: for every route (URL name) and HTTP method, the status each role gets on
its own object and on a foreign one (an object of another owner and another agency).

``tests/jointreview/policy/test_matrix.py`` enumerates every URL pattern of the URL configuration
and API, and asserts each row here against the running site; a route without a row fails it. The
README's "Who may do what" table is generated from this module (``python manage.py
permissions_table``) and checked against it by the same test file.

Statuses: 200 page or file; 302 redirect (a POST that was allowed: the result is a message on the
next page; for ``anonymous``: to the login page); 403 the user sees the object but may not do this
(or the page is not for the role); 404 missing or not yours (alike); 405 method not allowed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("anonymous", "owner", "other_owner", "reviewer_a", "reviewer_b", "other_reviewer", "lead", "coordinator",
         "centre_admin", "leader")
ROLE_LABELS = {
    "anonymous": "anonymous",
    "owner": "owner (建设单位)",
    "other_owner": "another owner",
    "reviewer_a": "reviewer A (A角)",
    "reviewer_b": "reviewer B (B角, A present)",
    "other_reviewer": "another agency's reviewer (same application)",
    "lead": "agency lead",
    "coordinator": "coordinator",
    "centre_admin": "centre admin",
    "leader": "centre leader (中心负责人)",
}


@dataclass(frozen=True)
class Row:
    route: str                     # URL name, with namespace
    method: str                    # GET / POST
    own: str                       # statuses in ROLES order, space-separated
    foreign: str | None = None     # the same on a foreign object; None: the route takes no object
    kwargs: dict[str, str] = field(default_factory=dict)  # URL kwarg -> object of the world
    what: str = ""                 # what the row shows, for the README

    def expected(self, scope: str) -> dict[str, int]:
        codes = self.own if scope == "own" else self.foreign
        values = [int(c) for c in codes.split()]
        if len(values) != len(ROLES):
            raise ValueError(f"{self.route}: {len(values)} statuses for {len(ROLES)} roles")
        return dict(zip(ROLES, values, strict=True))


A = {"assignment_id": "assignment"}
APP = {"application_id": "application"}
SV = {"record_id": "record"}
N_OWNER = {"notification_id": "owner_notification"}
N_AGENCY = {"notification_id": "agency_notification"}
N_PERSONAL = {"notification_id": "personal_notification"}
N_CENTRE = {"notification_id": "centre_notification"}

#        anon owner o-own rev-A rev-B o-rev lead coord admin leader
TABLE: list[Row] = [
    Row("home", "GET", "302 200 200 200 200 200 200 200 200 200", what="home page"),
    Row("healthz", "GET", "200 200 200 200 200 200 200 200 200 200", what="health check"),
    Row("login", "GET", "200 200 200 200 200 200 200 200 200 200", what="login form"),
    Row("logout", "POST", "302 302 302 302 302 302 302 302 302 302", what="log out"),
    Row("keepalive", "POST", "302 204 204 204 204 204 204 204 204 204", what="stay signed in (idle warning)"),
    Row("language", "POST", "400 400 400 400 400 400 400 400 400 400", what="choose the page language (no code given: 400)"),
    Row("password_change", "GET", "302 200 200 200 200 200 200 200 200 200", what="change own password"),
    Row("password_change_done", "GET", "302 200 200 200 200 200 200 200 200 200", what="password changed"),
    Row("admin:index", "GET", "302 302 302 302 302 302 302 302 200 302", what="the admin (catalogue, users, calendar)"),
    Row("api-schema", "GET", "403 200 200 200 200 200 200 200 200 200", what="OpenAPI schema"),
    Row("api-docs", "GET", "302 200 200 200 200 200 200 200 200 200", what="API docs"),
    Row("verify", "GET", "200 200 200 200 200 200 200 200 200 200", kwargs={"code": "verification_code"}, what="public check of an issued document"),
    Row("verify_slash", "GET", "200 200 200 200 200 200 200 200 200 200", kwargs={"code": "verification_code"}, what="public check (with slash)"),
    Row("clocks:dashboard", "GET", "302 403 403 403 403 403 403 200 200 200", what="deadlines dashboard"),
    Row("clocks-api:list", "GET", "403 403 403 403 403 403 403 200 200 200", what="clocks API"),
    Row("review:inbox", "GET", "302 403 403 200 200 200 200 403 403 403", what="agency inbox"),
    Row("review:coordination", "GET", "302 403 403 403 403 403 403 200 200 200", what="coordination worklist"),
    Row("review:assignment", "GET", "302 404 404 200 200 404 200 200 200 200", foreign="302 404 404 404 404 404 404 200 200 200", kwargs=A, what="assignment page"),
    Row("review:assign", "POST", "302 404 404 403 403 404 302 403 403 403", foreign="302 404 404 404 404 404 404 403 403 403", kwargs=A, what="assign reviewers A/B"),
    Row("review:member_absent", "POST", "302 404 404 403 403 404 302 403 403 403", foreign="302 404 404 404 404 404 404 403 403 403", kwargs=A, what="mark a member absent"),
    Row("review:opinion_save", "POST", "302 404 404 302 403 404 302 403 403 403", foreign="302 404 404 404 404 404 404 403 403 403", kwargs=A, what="save the draft opinion"),
    Row("review:opinion_sign", "POST", "302 404 404 302 403 404 302 403 403 403", foreign="302 404 404 404 404 404 404 403 403 403", kwargs=A, what="sign the opinion"),
    Row("review:opinion_correct", "POST", "302 404 404 302 403 404 302 403 403 403", foreign="302 404 404 404 404 404 404 403 403 403", kwargs=A, what="correct a signed opinion"),
    Row("review:finding_add", "POST", "302 404 404 302 403 404 302 403 403 403", foreign="302 404 404 404 404 404 404 403 403 403", kwargs=A, what="add a finding"),
    Row("review:finding_update", "POST", "302 404 404 302 403 404 302 403 403 403", foreign="302 404 404 404 404 404 404 403 403 403", kwargs={**A, "finding_id": "finding"}, what="change a finding"),
    Row("review:finding_remove", "POST", "302 404 404 302 403 404 302 403 403 403", foreign="302 404 404 404 404 404 404 403 403 403", kwargs={**A, "finding_id": "finding"}, what="remove a finding"),
    Row("review:pause_request", "POST", "302 404 404 400 403 404 400 403 403 403", foreign="302 404 404 404 404 404 404 403 403 403", kwargs=A, what="request a clock pause"),
    Row("review:document_version", "GET", "302 404 404 200 200 404 200 200 200 200", foreign="302 404 404 404 404 404 404 200 200 200", kwargs={**A, "version_id": "version"}, what="a document of the portion"),
    Row("review:pause_decide", "POST", "302 404 404 403 403 404 403 302 302 302", foreign="302 404 404 404 404 404 404 302 302 302", kwargs={"pause_id": "pause"}, what="approve/refuse a pause"),
    Row("review:pause_end", "POST", "302 404 404 302 403 404 302 302 302 302", foreign="302 404 404 404 404 404 404 302 302 302", kwargs={"pause_id": "pause"}, what="end a pause"),
    Row("review:notice_issue", "POST", "302 403 403 403 403 403 403 302 302 302", foreign="302 403 403 403 403 403 403 302 302 302", kwargs={"notice_id": "draft_notice"}, what="issue a joint notice"),
    Row("review:issued_file", "GET", "302 200 404 200 200 404 200 200 200 200", foreign="302 404 404 404 404 404 404 200 200 200", kwargs={"document_id": "pause_notice"}, what="an issued pause notice (PDF)"),
    Row("review:issued_file", "GET", "302 200 404 404 404 404 404 200 200 200", foreign="302 404 404 404 404 404 404 200 200 200", kwargs={"document_id": "completeness_notice"}, what="the one-time notice (PDF)"),
    Row("review:issued_file", "GET", "302 404 404 404 404 404 404 200 200 200", foreign="302 404 404 404 404 404 404 200 200 200", kwargs={"document_id": "draft_notice"}, what="a draft joint notice (PDF)"),
    Row("review:application_rounds", "GET", "302 200 404 200 200 200 200 200 200 200", foreign="302 404 404 404 404 404 404 200 200 200", kwargs=APP, what="rounds page"),
    Row("review:certificate_issue", "POST", "302 403 404 403 403 403 403 302 302 302", foreign="302 404 404 404 404 404 404 302 302 302", kwargs=APP, what="issue the certificate"),
    Row("review:finding_respond", "POST", "302 302 404 403 403 403 403 403 403 403", foreign="302 404 404 404 404 404 404 403 403 403", kwargs={**APP, "finding_id": "finding"}, what="answer a finding"),
    Row("review:application_resubmit", "POST", "302 302 404 403 403 403 403 403 403 403", foreign="302 404 404 404 404 404 404 403 403 403", kwargs=APP, what="resubmit"),
    Row("review:attachment_upload", "POST", "302 404 404 302 403 404 302 403 403 403", foreign="302 404 404 404 404 404 404 403 403 403", kwargs=A, what="attach a file to the draft"),
    Row("review:attachment_download", "GET", "302 404 404 200 200 404 200 200 200 200", foreign="302 404 404 404 404 404 404 200 200 200", kwargs={"attachment_id": "attachment"}, what="a draft's attachment"),
    Row("review:attachment_remove", "POST", "302 404 404 302 403 404 302 403 403 403", foreign="302 404 404 404 404 404 404 403 403 403", kwargs={"attachment_id": "attachment"}, what="remove a draft's attachment"),
    Row("review-api:inbox", "GET", "403 403 403 200 200 200 200 403 403 403", what="inbox API"),
    Row("review-api:assignment", "GET", "403 404 404 200 200 404 200 200 200 200", foreign="403 404 404 404 404 404 404 200 200 200", kwargs={"pk": "assignment"}, what="assignment API"),
    Row("review-api:finding_add", "POST", "403 404 404 400 403 404 400 403 403 403",
        foreign="403 404 404 404 404 404 404 403 403 403", kwargs={"pk": "assignment"},
        what="add a finding (API)"),
    Row("cockpit:cockpit", "GET", "302 403 403 403 403 403 403 200 200 200", what="coordinator cockpit (open cases, filters, counts)"),
    Row("cockpit:export_csv", "GET", "302 403 403 403 403 403 403 200 200 200", what="cockpit export (CSV)"),
    Row("cockpit:export_xlsx", "GET", "302 403 403 403 403 403 403 200 200 200", what="cockpit export (Excel)"),
    Row("review-api:finding_update", "PATCH", "403 404 404 200 403 404 200 403 403 403",
        foreign="403 404 404 404 404 404 404 403 403 403",
        kwargs={"pk": "assignment", "finding_id": "finding"}, what="change a finding (API)"),
    Row("review-api:opinion_sign", "POST", "403 404 404 200 403 404 200 403 403 403", foreign="403 404 404 404 404 404 404 403 403 403", kwargs={"pk": "opinion"}, what="sign API"),
    Row("intake:project_list", "GET", "302 200 200 403 403 403 403 200 200 200", what="projects"),
    Row("intake:project_register", "GET", "302 200 200 403 403 403 403 403 403 403", what="register a project"),
    Row("intake:project_detail", "GET", "302 200 404 404 404 404 404 200 200 200", foreign="302 404 404 404 404 404 404 200 200 200", kwargs={"project_id": "project"}, what="project page"),
    Row("intake:application_open", "POST", "302 302 404 404 404 404 404 403 403 403", foreign="302 404 404 404 404 404 404 403 403 403", kwargs={"project_id": "project"}, what="open an application"),
    Row("intake:application_detail", "GET", "302 200 404 200 200 200 200 200 200 200", foreign="302 404 404 404 404 404 404 200 200 200", kwargs=APP, what="application page"),
    Row("intake:application_choose", "GET", "302 200 404 403 403 403 403 403 403 403", foreign="302 404 404 404 404 404 404 403 403 403", kwargs={**APP, "item_id": "competitive_item"}, what="choose an intermediary"),
    Row("intake:material_upload", "POST", "302 302 404 403 403 403 403 403 403 403", foreign="302 404 404 404 404 404 404 403 403 403", kwargs={**APP, "material_id": "material"}, what="upload a document"),
    Row("intake:application_submit", "POST", "302 302 404 403 403 403 403 403 403 403", foreign="302 404 404 404 404 404 404 403 403 403", kwargs=APP, what="submit"),
    Row("intake:application_withdraw", "POST", "302 302 404 403 403 403 403 403 403 403", foreign="302 404 404 404 404 404 404 403 403 403", kwargs=APP, what="withdraw"),
    Row("intake:window", "GET", "302 403 403 403 403 403 403 200 200 200", what="intake window"),
    Row("intake:application_check", "GET", "302 403 404 403 403 403 403 200 200 200", foreign="302 404 404 404 404 404 404 200 200 200", kwargs=APP, what="completeness check"),
    Row("intake:application_return", "POST", "302 403 404 403 403 403 403 302 302 302", foreign="302 404 404 404 404 404 404 302 302 302", kwargs=APP, what="return with one notice"),
    Row("intake:application_accept", "POST", "302 403 404 403 403 403 403 302 302 302", foreign="302 404 404 404 404 404 404 302 302 302", kwargs=APP, what="accept"),
    Row("intake:notice_pdf", "GET", "302 200 404 404 404 404 404 200 200 200", foreign="302 404 404 404 404 404 404 200 200 200", kwargs={"notice_id": "completeness_notice"}, what="the one-time notice (PDF)"),
    Row("intake:notice_pdf", "GET", "302 200 404 200 200 404 200 200 200 200", foreign="302 404 404 404 404 404 404 200 200 200", kwargs={"notice_id": "pause_notice"}, what="a pause notice (PDF)"),
    Row("intake:document_download", "GET", "302 200 404 200 200 404 200 200 200 200", foreign="302 404 404 404 404 404 404 200 200 200", kwargs={"version_id": "version"}, what="a document of agency X's portion"),
    Row("intake:document_download", "GET", "302 200 404 404 404 200 404 200 200 200", foreign="302 404 404 404 404 404 404 200 200 200", kwargs={"version_id": "other_version"}, what="a document of agency Y's portion"),
    Row("intake:survey_report_deliver", "POST", "302 403 404 302 302 302 302 403 403 403", foreign="302 404 404 404 404 404 404 403 403 403", kwargs={"report_id": "report"}, what="deliver a survey report"),
    Row("supervision:list", "GET", "302 200 200 200 200 200 200 200 200 200", what="supervision records (督办): mine; the centre: all"),
    Row("supervision:detail", "GET", "302 404 404 200 200 404 200 200 200 200", foreign="302 404 404 404 404 404 404 200 200 200", kwargs=SV, what="a supervision record (addressed to A, B, lead, coordinator)"),
    Row("supervision:answer", "POST", "302 404 404 400 400 404 400 400 403 403", foreign="302 404 404 404 404 404 404 403 403 403", kwargs=SV, what="answer a supervision record (addressees; empty answer: 400)"),
    Row("supervision:close", "POST", "302 404 404 403 403 404 403 302 403 302", foreign="302 404 404 404 404 404 404 302 403 302", kwargs=SV, what="close a supervision record (coordinator, leader)"),
    Row("supervision:extension_request", "POST", "302 404 404 400 403 404 400 403 403 403", foreign="302 404 404 404 404 404 404 403 403 403", kwargs=A, what="ask for a clock extension (no reason: 400)"),
    Row("supervision:extension_decide", "POST", "302 404 404 403 403 404 400 403 403 400", foreign="302 404 404 404 404 404 404 403 403 400", kwargs={"extension_id": "extension"}, what="decide an extension asked by reviewer A (no decision: 400)"),
    Row("intake-api:application-list", "GET", "403 200 200 200 200 200 200 200 200 200", what="applications API"),
    Row("intake-api:application-detail", "GET", "403 200 404 200 200 200 200 200 200 200", foreign="403 404 404 404 404 404 404 200 200 200", kwargs={"pk": "application"}, what="application API"),
    Row("intake-api:application-accept", "POST", "403 403 404 403 403 403 403 409 409 409", foreign="403 404 404 404 404 404 404 409 409 409", kwargs={"pk": "application"}, what="accept API"),
    Row("intake-api:application-return", "POST", "403 403 404 403 403 403 403 409 409 409", foreign="403 404 404 404 404 404 404 409 409 409", kwargs={"pk": "application"}, what="return API"),
    Row("notifications:list", "GET", "302 200 200 200 200 200 200 200 200 200", what="my notifications"),
    Row("notifications:read_all", "POST", "302 302 302 302 302 302 302 302 302 302", what="mark all my notifications read"),
    Row("notifications:email", "GET", "302 200 200 200 200 200 200 200 200 200", what="my e-mail choices"),
    Row("notifications:email", "POST", "302 302 302 302 302 302 302 302 302 302", what="change my e-mail choices"),
    Row("notifications:open", "POST", "302 302 404 404 404 404 404 404 404 404", foreign="302 404 404 404 404 404 404 404 404 404", kwargs=N_OWNER, what="open a notification to the owner"),
    Row("notifications:open", "POST", "302 404 404 302 302 404 302 404 404 404", foreign="302 404 404 404 404 404 404 404 404 404", kwargs=N_AGENCY, what="open a notification to agency X"),
    Row("notifications:open", "POST", "302 404 404 302 404 404 404 404 404 404", foreign="302 404 404 404 404 404 404 404 404 404", kwargs=N_PERSONAL, what="open a notification to reviewer A alone"),
    Row("notifications:open", "POST", "302 404 404 404 404 404 404 302 302 302", foreign="302 404 404 404 404 404 404 302 302 302", kwargs=N_CENTRE, what="open a notification to the centre"),
    Row("notifications:read", "POST", "302 302 404 404 404 404 404 404 404 404", foreign="302 404 404 404 404 404 404 404 404 404", kwargs=N_OWNER, what="mark read (owner's)"),
    Row("notifications:read", "POST", "302 404 404 302 302 404 302 404 404 404", foreign="302 404 404 404 404 404 404 404 404 404", kwargs=N_AGENCY, what="mark read (agency X's)"),
    Row("notifications:read", "POST", "302 404 404 302 404 404 404 404 404 404", foreign="302 404 404 404 404 404 404 404 404 404", kwargs=N_PERSONAL, what="mark read (reviewer A's)"),
    Row("notifications-api:list", "GET", "403 200 200 200 200 200 200 200 200 200", what="my notifications (API)"),
    Row("notifications-api:read_all", "POST", "403 200 200 200 200 200 200 200 200 200", what="mark all read (API)"),
    Row("notifications-api:read", "POST", "403 200 404 404 404 404 404 404 404 404", foreign="403 404 404 404 404 404 404 404 404 404", kwargs={"pk": "owner_notification"}, what="mark read (API, owner's)"),
    Row("notifications-api:read", "POST", "403 404 404 200 200 404 200 404 404 404", foreign="403 404 404 404 404 404 404 404 404 404", kwargs={"pk": "agency_notification"}, what="mark read (API, agency X's)"),
    Row("notifications-api:read", "POST", "403 404 404 200 404 404 404 404 404 404", foreign="403 404 404 404 404 404 404 404 404 404", kwargs={"pk": "personal_notification"}, what="mark read (API, reviewer A's)"),
    Row("notifications-api:read", "POST", "403 404 404 404 404 404 404 200 200 200", foreign="403 404 404 404 404 404 404 200 200 200", kwargs={"pk": "centre_notification"}, what="mark read (API, the centre's)"),
]


SHORT = {"anonymous": "anon", "owner": "owner", "other_owner": "other owner", "reviewer_a": "reviewer A",
         "reviewer_b": "reviewer B", "other_reviewer": "other agency", "lead": "lead", "coordinator": "coord.",
         "centre_admin": "admin", "leader": "leader"}


def markdown() -> str:
    """The README's permission matrix, generated from TABLE: each cell is the status on the role's own
    object, then (after a slash) on a foreign object when the row has one."""
    from django.urls import reverse

    head = "| Route | What | " + " | ".join(SHORT[r] for r in ROLES) + " |"
    lines = [head, "|" + "---|" * (len(ROLES) + 2)]
    for row in TABLE:
        try:
            path = reverse(row.route, kwargs={k: 0 if k != "code" else "CODE" for k in row.kwargs})
            path = path.replace("/0/", "/<id>/").replace("/0.", "/<id>.").replace("CODE", "<code>")
        except Exception:  # noqa: BLE001 - a route that cannot be reversed with placeholders
            path = row.route
        own = row.expected("own")
        foreign = row.expected("foreign") if row.foreign is not None else None
        cells = [f"{own[r]}" + (f"/{foreign[r]}" if foreign else "") for r in ROLES]
        lines.append(f"| {row.method} `{path}` | {row.what} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
