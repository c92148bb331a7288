"""A review round with an accepting coordinator, a centre leader and dated sweeps (the clocks start on
Monday 2026-03-02 with 10 working days: due Monday 2026-03-16)."""
from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from jointreview.clocks import services as clocks
from jointreview.models import Application, Clock
from projects.models import Role
from tests.factories import UserFactory
from tests.jointreview.review.conftest import make_round

YELLOW_DAY = datetime.date(2026, 3, 13)   # Friday: 1 working day left
RED_DAY = datetime.date(2026, 3, 17)      # Tuesday: 1 working day late
LEADER_DAY = datetime.date(2026, 3, 19)   # Thursday: 3 working days late (JR_ESCALATION_LEADER_DAYS)


def leader_of(setup):
    return UserFactory(organization=setup.coordinator.organization, role=Role.CENTRE_LEADER)


def accepted_round(n: int = 1):
    s = make_round(n)
    Application.objects.filter(pk=s.app.pk).update(accepted_by=s.coordinator, accepted_at=timezone.now())
    s.app.refresh_from_db()
    s.leader = leader_of(s)
    return s


def lights_on(day: datetime.date) -> None:
    """What the clock sweep leaves behind on ``day`` (re-evaluated as of that day)."""
    Clock.objects.update(evaluated_on=None)
    clocks.clock_sweep(today=day)


@pytest.fixture
def case(db):
    return accepted_round(1)
