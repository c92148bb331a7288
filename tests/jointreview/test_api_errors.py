"""One error body for every API error (issue 9): {"code", "message", "fields"}, with the status the
policy or the service says: not yours 404, seen but not allowed 403, invalid 400, conflict 409."""
from __future__ import annotations

import pytest

from jointreview.intake import services as intake
from tests.factories import OwnerUserFactory
from tests.jointreview.intake.conftest import make_world, ready_app

pytestmark = pytest.mark.django_db

SHAPE = {"code", "message", "fields"}


@pytest.fixture
def world(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr("jointreview.services.queue.enqueue", lambda name, **kw: None)
    return make_world(n_agencies=1)


def test_every_refusal_has_the_one_shape(en_client, world):
    app = ready_app(world)
    url = f"/api/intake/applications/{app.pk}/accept/"
    cases = []
    en_client.force_login(OwnerUserFactory())
    cases.append((en_client.post(url, {}, content_type="application/json"), 404, "not_found"))
    en_client.force_login(world.owner)
    cases.append((en_client.post(url, {}, content_type="application/json"), 403, "forbidden"))
    en_client.force_login(world.centre)
    cases.append((en_client.post(url, {"deferrals": [{"material_id": "x"}]}, content_type="application/json"),
                  400, "invalid"))
    cases.append((en_client.post(url, {}, content_type="application/json"), 200, None))
    cases.append((en_client.post(url, {}, content_type="application/json"), 409, "already_accepted"))
    cases.append((en_client.get("/api/intake/applications/?status=bogus"), 400, "invalid"))
    en_client.logout()
    cases.append((en_client.get("/api/intake/applications/"), 403, "not_authenticated"))
    for response, status, code in cases:
        assert response.status_code == status, response.content
        if code is None:
            continue
        body = response.json()
        assert set(body) == SHAPE and body["code"] == code and body["message"], body
    invalid = cases[2][0].json()
    assert "deferrals" in invalid["fields"] and "deferrals" in invalid["message"]


def test_a_conflict_from_the_service_keeps_its_status_and_message(en_client, world):
    app = ready_app(world)
    intake.application_accept(actor=world.centre, application=app)
    en_client.force_login(world.centre)
    response = en_client.post(f"/api/intake/applications/{app.pk}/return/")
    assert response.status_code == 409 and set(response.json()) == SHAPE
