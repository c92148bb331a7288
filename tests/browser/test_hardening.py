"""Hardening seen in a browser: the lockout page after repeated failures at the real login form, the
idle-session warning, and pages that run under the Content Security Policy without a single violation
(the site, the Swagger UI, the Django admin)."""
from __future__ import annotations

import pytest
from django.utils import translation

from tests.browser.chromium import skip_without_chromium
from tests.factories import CentreAdminFactory, OwnerUserFactory, StageFactory

skip_without_chromium()  # before importing playwright

from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.browser

# Playwright's init scripts are not subject to the page's CSP: this one records every violation.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '(inline)') + ' ' + e.sourceFile));
"""


def zh(message: str) -> str:
    """What the page says to our browser (zh-CN): the zh-Hans translation once merged, else the English id."""
    with translation.override("zh-hans"):
        return translation.gettext(message)


def watch(page) -> list[str]:
    """Console errors and CSP violations of the page, as they come."""
    problems: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return problems


def violations(page, problems: list[str]) -> list[str]:
    return [p for p in problems if "Content Security Policy" in p or "Refused to" in p] + page.evaluate(
        "window.__csp || []")


def test_repeated_failures_at_the_login_form_show_the_lockout_page(page, shot):
    from jointreview.models import AuditEvent

    user = OwnerUserFactory(username="owner-typo")
    for attempt in range(5):
        page.goto("/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", f"wrong-{attempt}")
        with page.expect_response(lambda r: r.url.endswith("/accounts/login/") and r.request.method == "POST") as r:
            page.get_by_role("button", name="登录", exact=True).click()
        status = r.value.status
    assert status == 429
    expect(page.locator("h1")).to_have_text(zh("Too many failed logins"))
    expect(page.locator("main")).to_contain_text("15")
    expect(page.locator("footer")).to_be_visible()  # inside the site layout
    shot(page, "lockout")
    assert AuditEvent.objects.filter(verb="auth.lockout", target_id=str(user.pk)).count() == 1


def test_the_idle_warning_appears_before_the_session_ends(new_page, settings, shot):
    settings.JR_SESSION_IDLE_SECONDS = 6  # a 6-second session, warned 3 seconds before its end
    settings.JR_SESSION_WARN_SECONDS = 4
    page = new_page(OwnerUserFactory())
    problems = watch(page)
    page.goto("/")
    banner = page.locator("#session-timeout")
    expect(banner).to_be_hidden()
    expect(banner).to_be_visible(timeout=8_000)
    expect(banner.locator(".session-timeout-warning")).to_be_visible()
    expect(banner).to_contain_text(zh("Stay signed in"))
    shot(page, "session-warning")
    with page.expect_response(lambda r: r.url.endswith("/accounts/keepalive/")) as keepalive:
        banner.get_by_role("button").click()
    assert keepalive.value.status == 204
    expect(banner).to_be_hidden()
    # nobody clicks this time: the warning, then the end
    expect(banner.locator(".session-timeout-ended")).to_be_visible(timeout=10_000)
    expect(banner.locator(".session-timeout-warning")).to_be_hidden()
    expect(banner.get_by_role("link")).to_have_attribute("href", "/accounts/login/?next=/")
    shot(page, "session-ended")
    assert violations(page, problems) == []


def test_swagger_ui_renders_under_the_policy(new_page, shot):
    page = new_page(OwnerUserFactory())
    problems = watch(page)
    response = page.goto("/api/docs/")
    assert response.status == 200 and "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("jointreview API")
    expect(page.locator(".opblock").first).to_be_visible()
    shot(page, "swagger")
    assert violations(page, problems) == []
    assert problems == []


def test_the_site_and_the_admin_run_under_the_policy(new_page, shot):
    stage = StageFactory()
    admin = CentreAdminFactory()
    page = new_page(admin)
    problems = watch(page)
    for url in ["/", "/clocks/", "/review/coordination/", "/intake/window/", "/admin/",
                f"/admin/jointreview/stage/{stage.pk}/change/", "/admin/jointreview/item/add/",
                f"/admin/projects/user/{admin.pk}/change/", "/admin/axes/accessattempt/",
                "/admin/authtoken/tokenproxy/add/"]:
        response = page.goto(url)
        assert response.status == 200, url
        assert "default-src 'self'" in response.headers["content-security-policy"], url
        page.wait_for_load_state("load")
    # the admin's own scripts work: the item form's "add another" inline row
    page.goto("/admin/jointreview/item/add/")
    rows = page.locator(".dynamic-materials")
    before = rows.count()
    page.locator(".add-row a").first.click()
    expect(rows).to_have_count(before + 1)
    shot(page, "admin-item-add")
    assert violations(page, problems) == []
