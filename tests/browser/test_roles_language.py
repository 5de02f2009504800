"""Role-aware controls, read-only local access, and the language switch, in a real browser."""

from __future__ import annotations

from collections.abc import Callable

from tests.api.conftest import RunningApp, sample_config
from tests.browser.conftest import Console
from tests.browser.helpers import Commits


def test_viewer_sees_no_ack_or_edit_controls_and_the_api_still_refuses(
    make_app: Callable[..., RunningApp], open_console: Callable[..., Console]
) -> None:
    app = make_app()
    event_id, _ = Commits(app.service.store).first_new("table", timeout_s=30)
    console = open_console(app, "viewer")
    page = console.page
    card = page.locator(f".alarm[data-event-id='{event_id}']")
    card.wait_for(timeout=5000)
    assert card.locator("button").count() == 0
    page.goto(console.url(f"#/events/{event_id}"))
    page.locator(".detail").wait_for()
    assert page.locator(".detail button").count() == 0

    page.click("a[data-nav='zones']")
    page.locator(".zone-form").wait_for()
    assert page.locator("button[name='save'], button[name='new-zone'], button[name='delete']").count() == 0
    assert page.locator(".zone-form input:not([disabled])").count() == 0
    # Hidden is not forbidden: the login cookie this page holds is still refused by the API (sent with the
    # Origin the page's own fetch would carry, so it is the role check that answers).
    refused = page.request.post(
        f"{app.base_url}/events/{event_id}/ack", data={"note": None}, headers={"origin": app.base_url}
    )
    assert refused.status == 403
    assert refused.json()["required_roles"] == ["operator", "admin"]

    # Log out: the cookie is gone (the API says so) and a wrong key is refused with a message.
    page.click("button[name='logout']")
    page.locator("form.login").wait_for()
    assert page.request.get(f"{app.base_url}/auth/whoami").status == 401
    page.fill("input[name=key]", "gw_not-a-key")
    page.click("form.login button[type=submit]")
    page.wait_for_function("() => document.querySelector('form.login .error').textContent.includes('Login failed')")
    assert not console.errors


def test_alarm_role_gets_the_feed_only(
    make_app: Callable[..., RunningApp], open_console: Callable[..., Console]
) -> None:
    app = make_app()
    event_id, _ = Commits(app.service.store).first_new("table", timeout_s=30)
    console = open_console(app, "alarm")
    page = console.page
    page.locator(f".alarm[data-event-id='{event_id}']").wait_for(timeout=5000)
    assert page.locator(".tile, .grid-panel, a[data-nav='zones'], .alarm button").count() == 0
    assert not console.errors


def test_language_switch_persists_and_local_read_only_needs_no_login(
    make_app: Callable[..., RunningApp], open_console: Callable[..., Console]
) -> None:
    app = make_app(sample_config(rules=False), insecure_local=True)
    console = open_console(app, None)
    page = console.page
    page.locator(".who[data-role='local']").wait_for(timeout=5000)
    assert page.locator("form.login").count() == 0
    page.locator(".tile .badge.state-running").wait_for(timeout=20_000)
    assert page.inner_text("a[data-nav='live']") == "Live"
    assert page.inner_text(".feed-panel h2") == "Alarms"

    page.select_option("select[name='language']", "zh-CN")
    page.wait_for_function("() => document.querySelector(\"a[data-nav='live']\").textContent === '实时'")
    assert page.inner_text(".feed-panel h2") == "报警"
    assert page.inner_text(".tile .badge") == "运行中"
    assert page.get_attribute("html", "lang") == "zh-CN"
    page.click("button[name='mute']")
    assert page.get_attribute("button[name='mute']", "aria-pressed") == "true"
    page.reload()
    page.locator(".tile .badge.state-running").wait_for(timeout=20_000)
    assert page.inner_text("a[data-nav='zones']") == "区域"
    assert page.inner_text(".who") == "只读（本机）"
    assert page.get_attribute("button[name='mute']", "aria-pressed") == "true"  # muting is remembered too
    assert page.inner_text("button[name='mute']") == "取消静音"
    page.wait_for_function("() => document.querySelector('.tile img.live')?.naturalWidth > 0", timeout=20_000)
    console.shot("grid-zh-CN")
    assert not console.errors


def test_revoked_key_sends_the_open_console_back_to_login(
    make_app: Callable[..., RunningApp], open_console: Callable[..., Console]
) -> None:
    app = make_app(sample_config(rules=False))
    console = open_console(app, "viewer")
    console.page.locator(".tile").wait_for(timeout=10_000)
    with app.client("admin") as admin:
        (key_id,) = [k["id"] for k in admin.get("/keys").json() if k["name"] == "test-viewer"]
        assert admin.delete(f"/keys/{key_id}").status_code == 204
    # The next camera poll is refused: the console asks who it is and, being nobody now, shows the login.
    console.page.locator("form.login").wait_for(timeout=5000)
    assert console.page.locator(".tile").count() == 0
    assert not console.errors
