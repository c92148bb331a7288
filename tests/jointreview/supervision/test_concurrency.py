"""Sweeps running at the same time on PostgreSQL (real threads, separate connections): every transition
is alerted exactly once."""
from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from django.db import connection

from jointreview.models import Deferral, SupervisionRecord
from jointreview.supervision.services import alerts, ladder
from tests.factories import MaterialFactory
from tests.jointreview.supervision.conftest import RED_DAY, accepted_round, lights_on

pytestmark = pytest.mark.django_db(transaction=True)


def _run_concurrently(n: int, target) -> list[BaseException]:
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def run():
        try:
            barrier.wait(timeout=10)
            target()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


@pytest.mark.parametrize("slow", [False, True], ids=["plain", "slow-alert-holding-the-locks"])
def test_concurrent_sweeps_alert_each_transition_once(monkeypatch, slow):
    s = accepted_round(4)
    material = MaterialFactory(item=s.agencies[0].item)
    Deferral.objects.create(application=s.app, material=material, promised_date=RED_DAY.replace(day=10),
                            commitment="补交", recorded_by=s.coordinator)
    lights_on(RED_DAY)
    if slow:  # the first sweep holds its row locks while it writes the alerts: the others run meanwhile
        real = alerts.alerts_raise

        def slow_raise(items, *, today):
            time.sleep(0.5)
            return real(items, today=today)

        monkeypatch.setattr(ladder, "alerts_raise", slow_raise)
    errors = _run_concurrently(6, lambda: ladder.escalation_sweep(today=RED_DAY))
    assert errors == []
    per_subject = Counter(SupervisionRecord.objects.values_list("source", "clock_id", "deferral_id"))
    assert per_subject and set(per_subject.values()) == {1}, per_subject
    # every assignment (4) got its red record, the overdue deferral its record
    assert SupervisionRecord.objects.filter(source="clock", assignment__isnull=False).count() == 4
    assert SupervisionRecord.objects.filter(source="deferral").count() == 1
    # and a later run finds nothing new
    assert ladder.escalation_sweep(today=RED_DAY) == {"clocks": 0, "budgets": 0, "escalated": 0, "deferrals": 0}
