"""The notification centre (issue 10, "notifications for people"): each person's list of the
notifications addressed to them or to their organization, read state per person, the e-mail copies'
choices per person. The notifications themselves, their kinds and texts and ``notify`` live in
``jointreview/audit`` (docs/architecture.md §3.2)."""
