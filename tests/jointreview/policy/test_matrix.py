"""The permission matrix, generated from the URL configuration (issue 8).

Every URL pattern and API route of ``jointreview.urls`` must have a row in
``jointreview.policy.table.TABLE``; for each row, each role of the table requests the route on its
own object and on a foreign one and gets the status the table says. Each request runs in a savepoint
that is rolled back, so a POST by one role changes nothing for the next. The admin's own URLs are
covered by tests/foundation/test_admin.py (its site asks one question: may this user use the
admin?) and by one row here.
"""
from __future__ import annotations

import os
import shutil
import tempfile

from django.db import transaction
from django.test import TestCase, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from jointreview.policy.table import ROLES, TABLE
from tests.jointreview.policy.world import build_world


def all_routes(patterns=None, namespace: str = "") -> set[str]:
    """Every named URL pattern (namespaced) of the URL configuration, the admin's apart."""
    out: set[str] = set()
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or ""
            if ns == "admin":
                out.add("admin:index")
                continue
            out |= all_routes(p.url_patterns, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(p, URLPattern):
            if p.name is None:
                raise AssertionError(f"unnamed URL pattern {p.pattern}: name it and give it a row in the table")
            out.add(namespace + p.name)
    return out


def test_every_route_has_a_row():
    covered = {row.route for row in TABLE}
    missing = sorted(all_routes() - covered)
    assert not missing, f"routes without a row in jointreview/policy/table.py: {missing}"
    stale = sorted(covered - all_routes())
    assert not stale, f"rows for routes that no longer exist: {stale}"


class PermissionMatrix(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.media_dir = tempfile.mkdtemp(prefix="jr-matrix-")  # the world's files, for every request
        cls._media = override_settings(MEDIA_ROOT=cls.media_dir)
        cls._media.enable()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls._media.disable()
        shutil.rmtree(cls.media_dir, ignore_errors=True)

    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def _url(self, row, scope: str) -> str:
        objects = self.world[scope]
        kwargs = {}
        for name, key in row.kwargs.items():
            value = objects[key]
            kwargs[name] = value if isinstance(value, (str, int)) else value.pk
        return reverse(row.route, kwargs=kwargs)

    def _status(self, role: str, method: str, url: str) -> int:
        self.client.logout()
        if role != "anonymous":
            self.client.force_login(self.world["users"][role])
        with transaction.atomic():
            response = getattr(self.client, method.lower())(url)
            transaction.set_rollback(True)
        return response.status_code

    def test_matrix(self):
        with self.settings(MEDIA_ROOT=self.media_dir):
            self._run_matrix()

    def _run_matrix(self):
        failures, observed = [], []
        for row in TABLE:
            for scope in ("own", "foreign") if row.foreign is not None else ("own",):
                url = self._url(row, scope)
                got = {role: self._status(role, row.method, url) for role in ROLES}
                observed.append((row, scope, " ".join(str(got[r]) for r in ROLES)))
                want = row.expected(scope)
                bad = {r: (want[r], got[r]) for r in ROLES if want[r] != got[r]}
                if bad:
                    failures.append(f"{row.method} {url} ({row.route}, {scope}): "
                                    + ", ".join(f"{r} wanted {w} got {g}" for r, (w, g) in bad.items()))
        if os.environ.get("JR_MATRIX_PRINT"):
            for row, scope, codes in observed:
                print(f"OBSERVED {row.route} {row.method} {scope} {codes}")
        assert not failures, "\n".join(failures)


def test_readme_permission_table_is_generated_from_the_table():
    """The README shows exactly the table the matrix test asserts (python manage.py permissions_table)."""
    from pathlib import Path

    from jointreview.policy.table import markdown

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    start, end = "<!-- permissions-table:start -->\n", "<!-- permissions-table:end -->"
    assert start in readme and end in readme, "README.md lacks the generated permissions table markers"
    shown = readme.split(start, 1)[1].split(end, 1)[0]
    assert shown == markdown(), "README.md's permission table is stale: run python manage.py permissions_table"
