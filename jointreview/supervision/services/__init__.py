"""The supervision area's services: the escalation sweep (ladder), alerts, records, extensions."""
from .extensions import extension_decide, extension_request
from .ladder import (
    budget_transitions_alert,
    clock_alerts,
    deferral_alerts,
    escalation_sweep,
    leader_cutoff,
    unanswered_escalate,
)
from .records import supervision_answer, supervision_close

__all__ = [
    "budget_transitions_alert", "clock_alerts", "deferral_alerts", "escalation_sweep", "extension_decide",
    "extension_request", "leader_cutoff", "supervision_answer", "supervision_close", "unanswered_escalate",
]
