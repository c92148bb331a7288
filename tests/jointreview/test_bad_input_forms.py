"""Issue 8, generic: every form of every page that takes input, as the user of the right role on a seeded
object, gets an over-long value and a NUL value in each of its fields in turn. No answer is a server
error, and every refusal comes from the forms, services and models themselves: the walk runs without
the control-character guard (whose fallback would otherwise turn an escaped error into a 400), so an
exception a view lets through fails the test with its traceback."""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import resolve, reverse

from jointreview.intake import services as intake
from jointreview.models import FindingTemplate, Opinion
from jointreview.review import services as review
from tests.factories import PDF_BYTES, ItemFactory, MaterialFactory
from tests.jointreview.intake.conftest import make_world, upload_all
from tests.jointreview.review.conftest import make_round

pytestmark = pytest.mark.django_db

OVERLONG = "长" * 100_001  # longer than any limit (the longest is an opinion summary: 10,000)


@dataclass
class Form:
    page: str
    action: str
    method: str
    multipart: bool
    fields: dict[str, str] = field(default_factory=dict)  # name -> the value the page would send
    files: list[str] = field(default_factory=list)


class _FormParser(HTMLParser):
    def __init__(self, page: str):
        super().__init__()
        self.page, self.forms, self._form, self._textarea, self._select = page, [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = Form(self.page, a.get("action") or self.page, (a.get("method") or "get").lower(),
                              a.get("enctype") == "multipart/form-data")
            self.forms.append(self._form)
        elif tag == "option":
            self._option(a)
        elif self._form is None or not a.get("name") or a["name"] == "csrfmiddlewaretoken":
            return
        elif tag == "input":
            self._input(a)
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form.fields[a["name"]] = ""
        elif tag == "select":
            self._select = a["name"]
            self._form.fields[a["name"]] = None  # the first option, unless one is selected

    def _option(self, a):
        if self._form is not None and self._select:
            if self._form.fields[self._select] is None or "selected" in a:
                self._form.fields[self._select] = a.get("value", "")

    def _input(self, a):
        kind = (a.get("type") or "text").lower()
        if kind == "file":
            self._form.files.append(a["name"])
        elif kind in ("checkbox", "radio"):
            if "checked" in a or a["name"] not in self._form.fields:
                self._form.fields[a["name"]] = a.get("value", "on") if "checked" in a else ""
        elif kind not in ("submit", "button", "reset", "image"):
            self._form.fields[a["name"]] = a.get("value", "")

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def forms_of(client: Client, url: str) -> list[Form]:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = _FormParser(url)
    parser.feed(response.content.decode())
    for form in parser.forms:
        form.fields = {k: "" if v is None else v for k, v in form.fields.items()}  # a select without options
    return [f for f in parser.forms if f.fields]  # a form without fields (sign, remove ...) takes no input


def _seed():
    """Objects in the states that show every input form, and who sees them."""
    s = make_round(3)
    writing, pausing, signed = s.agencies
    FindingTemplate.objects.create(speciality=writing.item.speciality, standard="GB 50016", clause="5.3.1",
                                   text="防火间距不足")
    review.opinion_save_draft(actor=writing.reviewer, assignment_id=writing.assignment.pk, outcome="revise",
                              summary="摘要")
    review.finding_add(actor=writing.reviewer, assignment_id=writing.assignment.pk, text="防火间距不足")
    review.pause_request(actor=pausing.reviewer, assignment_id=pausing.assignment.pk, reason="testing",
                         reason_text="送检", expected_days=3)
    review.opinion_save_draft(actor=signed.reviewer, assignment_id=signed.assignment.pk, outcome="pass")
    review.opinion_sign(actor=signed.reviewer, opinion_id=Opinion.objects.get(assignment=signed.assignment).pk)

    answered = make_round(1)  # an issued notice asking for revision: the owner answers its finding
    a = answered.agencies[0]
    review.opinion_save_draft(actor=a.reviewer, assignment_id=a.assignment.pk, outcome="revise")
    review.finding_add(actor=a.reviewer, assignment_id=a.assignment.pk, text="楼梯宽度不足")
    review.opinion_sign(actor=a.reviewer, opinion_id=Opinion.objects.get(assignment=a.assignment).pk)
    notice = review.round_consolidate(round_id=answered.round.pk)
    review.notice_issue(actor=answered.coordinator, notice_id=notice.pk)

    w = make_world(1)  # the window: a submitted application with a material that may be deferred
    deferrable = ItemFactory(workflow=w.workflow, agency=w.agencies[0], allows_deferral=True, order=9)
    MaterialFactory(item=deferrable, essential=False)
    MaterialFactory(item=deferrable, essential=True)
    app = intake.application_open(actor=w.owner, project=w.project, workflow=w.workflow)
    upload_all(w, app)
    intake.application_submit(actor=w.owner, application=app)

    return [
        (writing.reviewer, reverse("review:assignment", args=[writing.assignment.pk])),
        (writing.lead, reverse("review:assignment", args=[writing.assignment.pk])),
        (signed.reviewer, reverse("review:assignment", args=[signed.assignment.pk])),
        (writing.lead, reverse("review:inbox")),
        (s.coordinator, reverse("review:coordination")),
        (s.coordinator, reverse("clocks:dashboard")),
        (answered.owner, reverse("review:application_rounds", args=[answered.app.pk])),
        (w.centre, reverse("intake:application_check", args=[app.pk])),
        (w.owner, reverse("intake:project_register")),
        # last: a reason with a control character other than NUL is text to the form, and withdraws
        (w.owner, reverse("intake:application_detail", args=[app.pk])),
    ]


# every input a person types, by view and field: the walk must reach each of them
MUST_REACH = {
    ("review:opinion_save", "summary"), ("review:finding_add", "text"), ("review:finding_add", "standard"),
    ("review:finding_add", "clause"), ("review:finding_add", "sheet"), ("review:finding_update", "state"),
    ("review:pause_request", "reason_text"), ("review:pause_request", "expected_days"),
    ("review:opinion_correct", "reason"), ("review:pause_decide", "note"), ("review:finding_respond", "text"),
    ("review:assign", "reviewer"), ("review:inbox", "workflow"), ("clocks:dashboard", "light"),
    ("intake:application_withdraw", "reason"), ("intake:application_check", "-note"),
    ("intake:application_accept", "-commitment"), ("intake:project_register", "name"),
    ("intake:project_register", "floor_area"),
}


def _walk(pages, bad_values: dict[str, str]):
    """Post (or get) every form of every page with each bad value in each field in turn; yield
    (view, field, kind of value, response)."""
    for user, url in pages:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        for form in forms_of(client, url):
            view = resolve(form.action.split("?")[0]).view_name
            for name in form.fields:
                for label, bad in bad_values.items():
                    data = {**form.fields, name: bad}
                    if form.method == "get":
                        response = client.get(form.action, data)
                    else:
                        if form.multipart:
                            data.update({f: SimpleUploadedFile("a.pdf", PDF_BYTES, "application/pdf")
                                         for f in form.files})
                        response = client.post(form.action, data)
                    yield view, name, label, response


def test_no_form_field_answers_500_to_overlong_or_nul_values(without_input_guard, queued):
    reached: set[tuple[str, str]] = set()
    refused = 0
    for view, name, label, response in _walk(_seed(), {"over-long": OVERLONG, "NUL": "a\x00b"}):
        reached.add((view, name))
        assert response.status_code < 500, (view, name, label)
        refused += response.status_code == 400
    missing = {(v, n) for v, n in MUST_REACH if not any(rv == v and n in rn for rv, rn in reached)}
    assert not missing, f"the walk did not reach {missing}"
    assert refused > 40  # the forms' refusals answer 400, with the page and a message


def test_the_guard_answers_400_to_control_characters_in_every_field(queued):
    seen = 0
    for view, name, label, response in _walk(_seed(), {"SOH": "a\x01b", "ESC": "a\x1bb", "NUL": "\x00"}):
        assert response.status_code == 400, (view, name, label)
        assert "control character" in response.content.decode(), (view, name, label)
        seen += 1
    assert seen > 100


def test_upload_note_is_limited(en_client, queued):
    w = make_world(1)
    app = intake.application_open(actor=w.owner, project=w.project, workflow=w.workflow)
    am = app.materials.get()
    en_client.force_login(w.owner)
    url = reverse("intake:material_upload", args=[app.pk, am.pk])
    pdf = SimpleUploadedFile("a.pdf", PDF_BYTES, "application/pdf")
    response = en_client.post(url, {"file": pdf, "note": "注" * 301}, follow=True)
    assert "at most 300 characters" in response.content.decode()
    from jointreview.services.errors import ServiceError

    with pytest.raises(ServiceError, match="upload note"):  # after an English request: English
        intake.document_upload(actor=w.owner, application_material=am, upload=("a.pdf", PDF_BYTES), note="注" * 301)
    am.refresh_from_db()
    assert am.document is None
