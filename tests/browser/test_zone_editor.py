"""Zone editor in a real browser: a polygon drawn with mouse clicks is saved, validated, and alarms."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page

from tests.api.conftest import RunningApp, sample_config
from tests.browser.conftest import Console
from tests.browser.helpers import Commits

# The table top of the bottle clip, where the bottles stand (normalised x, y).
DRAWN = [(0.05, 0.3), (0.95, 0.3), (0.95, 0.95), (0.05, 0.95)]


def click_points(page: Page, points: list[tuple[float, float]]) -> None:
    box = page.locator("canvas.editor-canvas").bounding_box()
    assert box is not None
    for x, y in points:
        page.mouse.click(box["x"] + x * box["width"], box["y"] + y * box["height"])


def open_editor(console: Console) -> Page:
    page = console.page
    page.click("a[data-nav='zones']")
    page.wait_for_function("() => document.querySelector('img.editor-frame')?.naturalWidth > 0", timeout=20_000)
    page.locator(".zone-form").wait_for()
    return page


def test_zone_drawn_with_clicks_is_validated_persisted_and_fires(
    make_app: Callable[..., RunningApp], open_console: Callable[..., Console]
) -> None:
    app = make_app(sample_config(rules=False))
    commits = Commits(app.service.store)
    console = open_console(app, "operator")
    page = open_editor(console)
    page.fill("input[name='id']", "drawn")
    page.check("input[name='weapon.enabled']")
    page.check("input[name='weapon.classes'][value='bottle']")
    page.fill("input[name='weapon.min_confidence']", "0.5")

    # Two points are no polygon: the server's 422 lands next to the drawing, with its field path.
    click_points(page, DRAWN[:2])
    page.click("button[name='save']")
    polygon_error = page.locator("[data-path='polygon'] > .field-error")
    polygon_error.wait_for(state="visible", timeout=5000)
    assert polygon_error.inner_text().strip()
    with app.client("viewer") as api:
        assert api.get("/cameras/bench/zones").json() == []

        click_points(page, [(0.97, 0.97), DRAWN[3], (0.5, 0.6)])
        assert page.locator(".point-count").inner_text() == "5 points"
        # Drag the third point where it belongs; right-click the stray fifth one away.
        box = page.locator("canvas.editor-canvas").bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + 0.97 * box["width"], box["y"] + 0.97 * box["height"])
        page.mouse.down()
        page.mouse.move(box["x"] + DRAWN[2][0] * box["width"], box["y"] + DRAWN[2][1] * box["height"], steps=5)
        page.mouse.up()
        page.mouse.click(box["x"] + 0.5 * box["width"], box["y"] + 0.6 * box["height"], button="right")
        assert page.locator(".point-count").inner_text() == "4 points"
        page.click("button[name='save']")
        page.locator(".zone-btn[data-zone='drawn']").wait_for(timeout=5000)
        zones = api.get("/cameras/bench/zones").json()
    assert [z["id"] for z in zones] == ["drawn"]
    saved = zones[0]["polygon"]
    assert len(saved) == 4
    for (x, y), (sx, sy) in zip(DRAWN, saved, strict=True):
        assert abs(x - sx) < 0.01 and abs(y - sy) < 0.01, f"clicked {x, y}, saved {sx, sy}"
    assert zones[0]["weapon"]["classes"] == ["bottle"]
    console.shot("editor")

    # The running pipeline picked the zone up: the next frames raise an alarm in it.
    event_id, _ = commits.first_new("drawn", timeout_s=30)
    page.click("a[data-nav='live']")
    page.locator(f".alarm[data-event-id='{event_id}']").wait_for(timeout=5000)
    assert not console.errors


def test_field_errors_shown_next_to_their_field_and_schedule_windows_feed_crowding_rules(
    make_app: Callable[..., RunningApp], open_console: Callable[..., Console]
) -> None:
    app = make_app(sample_config(rules=False))
    page = open_editor(open_console(app, "operator"))
    click_points(page, DRAWN)
    page.fill("input[name='id']", "crowd")
    page.check("input[name='crowding.enabled']")
    page.fill("input[name='crowding.min_count']", "0")  # must be >= 1
    page.click("button[name='save']")
    error = page.locator("[data-path='crowding.min_count'] > .field-error")
    error.wait_for(state="visible", timeout=5000)
    assert "1" in error.inner_text()
    classes = page.locator("[data-path='crowding.min_count']").get_attribute("class") or ""
    assert classes.split().count("invalid") == 1
    with app.client("viewer") as api:
        assert api.get("/cameras/bench/zones").json() == []

        # A schedule window that ends before it starts is refused, with the error on that window.
        page.click(".schedules summary")
        page.fill("input[name='schedule-name']", "pickup")
        page.fill(".window input[name='start']", "17:30")
        page.fill(".window input[name='end']", "16:00")
        page.click("button[name='save-schedule']")
        window_error = page.locator(".window[data-path='windows.0'] > .field-error")
        window_error.wait_for(state="visible", timeout=5000)
        assert "after start" in window_error.inner_text()
        assert api.get("/schedules").json() == {}
        page.fill(".window input[name='start']", "16:00")
        page.fill(".window input[name='end']", "17:30")
        page.click("button[name='save-schedule']")
        # The saved schedule becomes a choice of the crowding rule, without losing what was typed.
        page.check("input[name='schedule.pickup']", timeout=5000)
        schedule = api.get("/schedules").json()["pickup"]
        assert [(w["days"], w["start"][:5], w["end"][:5]) for w in schedule["windows"]] == [
            (["mon", "tue", "wed", "thu", "fri"], "16:00", "17:30")
        ]
        assert page.input_value("input[name='crowding.min_count']") == "0"
        page.fill("input[name='crowding.min_count']", "5")
        page.fill("input[name='schedule.pickup.min_count']", "3")
        page.click("button[name='save']")
        page.locator(".zone-btn[data-zone='crowd']").wait_for(timeout=5000)
        crowding = api.get("/cameras/bench/zones/crowd").json()["crowding"]
    assert (crowding["min_count"], crowding["schedules"]) == (5, {"pickup": {"min_count": 3, "min_density": None}})
