"""The peer's flow: Start -> Split -> one task per agency -> Join -> End (django-viewflow 2).

viewflow 2.4's ``Split.Next`` takes no data source (one branch per declared node), so the flow has one
``Handle`` node per agency, built for ``AGENCIES`` agencies (``PEER_AGENCIES``, default 8, like the
fan-out bench). A ``Handle`` is viewflow's task that waits until code runs it (``Flow.node.run(task)``):
the counterpart of an agency's assignment waiting for its notification. Locking: viewflow's
``SelectForUpdateLock`` (its recommendation for PostgreSQL; the default ``no_lock`` is "not suitable
when you have Join nodes")."""
from __future__ import annotations

import os

from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.lock import SelectForUpdateLock

AGENCIES = int(os.environ.get("PEER_AGENCIES", "8"))


def _start_process(self, activation, number: str, agencies: list[str]):
    activation.process.data = {"number": number, "agencies": agencies}
    return activation.process


def _review(self, activation, agency: str):
    """The agency's task: record that it was told (the counterpart of our notification row)."""
    activation.task.data = {"agency": agency, "notified": True}


def _build_flow():
    reviews = [f"review_{i}" for i in range(1, AGENCIES + 1)]
    split = flow.Split()
    for name in reviews:
        split = split.Next(getattr(this, name))
    attrs = {
        "__module__": __name__,
        "lock_impl": SelectForUpdateLock(),
        "start": flow.StartHandle(this.start_process).Next(this.split),
        "split": split,
        **{name: flow.Handle(this.review).Next(this.join) for name in reviews},
        "join": flow.Join().Next(this.end),
        "end": flow.End(),
        "start_process": _start_process,
        "review": _review,
    }
    return type("JointReviewFlow", (flow.Flow,), attrs), reviews


JointReviewFlow, REVIEW_NODES = _build_flow()
