"""Live view in a real browser: streamed frames in the grid, alarms in the feed within 2 s, operator actions."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from playwright.sync_api import ViewportSize

from tests.api.conftest import RunningApp, sample_config
from tests.browser.conftest import Console
from tests.browser.helpers import Commits, image_spread, wait_for, weapon_zone

FEED_LATENCY_S = 2.0
LAPTOP: ViewportSize = {"width": 1366, "height": 768}


def test_grid_shows_live_annotated_frames_state_and_zone_counts(
    make_app: Callable[..., RunningApp], open_console: Callable[..., Console]
) -> None:
    config = sample_config()
    # A second camera whose source refuses connections: its tile must say so, in another colour.
    config["cameras"].append({"id": "gone", "source": "rtsp://127.0.0.1:9/none", "open_timeout_s": 1})
    console = open_console(make_app(config), "viewer")
    page = console.page
    tile = page.locator(".tile[data-camera-id='bench']")
    tile.locator(".badge.state-running").wait_for(timeout=20_000)
    gone = page.locator(".tile[data-camera-id='gone'] .badge.state-reconnecting")
    gone.wait_for(timeout=20_000)
    assert gone.inner_text() == "reconnecting"
    colour = "el => getComputedStyle(el).color"
    assert gone.evaluate(colour) != tile.locator(".badge").evaluate(colour)
    page.wait_for_function(
        "() => document.querySelector(\".tile[data-camera-id='bench'] img.live\")?.naturalWidth > 0", timeout=20_000
    )
    assert "table" in tile.locator(".chip[data-zone='table']").inner_text()
    # The bottles alarm the weapon zone: the tile is framed red while the event is active.
    page.locator(".tile.alarm-weapon[data-camera-id='bench']").wait_for(timeout=20_000)
    first = tile.locator(".frame").screenshot()
    assert image_spread(first) > 10, "the tile shows a uniform image, not a camera frame"
    # MJPEG keeps replacing the image: the clip plays on, so a later screenshot differs.
    time.sleep(1.0)
    assert tile.locator(".frame").screenshot() != first, "the stream did not advance"
    console.shot("grid")

    # A laptop screen: grid and feed side by side, nothing pushed off to the right.
    page.set_viewport_size(LAPTOP)
    page.wait_for_timeout(200)  # one layout pass
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
    feed, frame = page.locator(".feed-panel").bounding_box(), tile.locator(".frame").bounding_box()
    assert feed is not None and frame is not None
    assert frame["x"] + frame["width"] <= feed["x"] and feed["x"] + feed["width"] <= LAPTOP["width"]
    assert frame["y"] + frame["height"] <= LAPTOP["height"], "the camera frame does not fit on a laptop screen"
    console.shot("grid-laptop")
    assert not console.errors


def test_alarm_reaches_feed_within_2s_of_commit_and_ack_goes_through_api(
    make_app: Callable[..., RunningApp], open_console: Callable[..., Console]
) -> None:
    app = make_app(sample_config(rules=False))  # no zone yet: the alarm starts after the page is live
    commits = Commits(app.service.store)
    console = open_console(app, "operator")
    page = console.page
    page.locator(".feed-status.live").wait_for(timeout=10_000)
    with app.client("operator") as api:
        assert api.post("/cameras/bench/zones", json=weapon_zone("gate")).status_code == 201
        event_id, committed = commits.first_new("gate", timeout_s=30)
        card = page.locator(f".alarm[data-event-id='{event_id}']")
        card.wait_for(timeout=FEED_LATENCY_S * 1000)
        seen = time.time()
        assert seen - committed <= FEED_LATENCY_S, f"alarm shown {seen - committed:.2f} s after its commit"
        assert "sev-weapon" in (card.get_attribute("class") or "")
        assert card.locator(".alarm-where").inner_text().startswith("bench")
        started = api.get(f"/events/{event_id}").json()["event"]["started_at"]
        site_zone = ZoneInfo(api.get("/info").json()["timezone"])
        shown = dt.datetime.fromisoformat(started).astimezone(site_zone).strftime("%H:%M:%S")
        assert card.locator("time").inner_text() == shown
        # A weapon alarm sounds (WebAudio beep, counted on <body>).
        wait_for(lambda: page.get_attribute("body", "data-alarm-sounds"), 2.0, "no alarm sound")
        console.shot("feed")
        # Filters: another type hides it, its own camera and state show it.
        page.select_option("select[name='type']", "loitering")
        card.wait_for(state="detached", timeout=2000)
        assert page.locator(".feed-list .empty").is_visible()
        page.select_option("select[name='type']", "")
        page.select_option("select[name='camera']", "bench")
        page.select_option("select[name='state']", "open")
        card.wait_for(timeout=2000)
        page.select_option("select[name='camera']", "")
        page.select_option("select[name='state']", "")

        card.locator("button[data-action='acknowledged']").click()
        detail = wait_for(
            lambda: (d := api.get(f"/events/{event_id}").json())["event"]["operator_state"] == "acknowledged" and d,
            5.0,
            "the click did not acknowledge the event",
        )
        assert [(a["action"], a["actor"]) for a in detail["actions"]] == [("acknowledged", "test-operator")]
        page.locator(f".alarm[data-event-id='{event_id}'][data-state='acknowledged']").wait_for(timeout=2000)
        assert "test-operator" in card.locator(".opstate").inner_text()

    # Dismissed elsewhere (another operator's client): the card updates in place from the stream.
    with app.client("admin") as other:
        assert other.post(f"/events/{event_id}/dismiss", json={"note": "bottle"}).status_code == 200
    page.locator(f".alarm[data-event-id='{event_id}'][data-state='dismissed']").wait_for(timeout=2000)
    assert page.locator(f".alarm[data-event-id='{event_id}']").count() == 1
    assert card.locator("button[data-action]").count() == 0  # nothing left to do on a dismissed alarm
    # Ended elsewhere (its zone removed): the same card turns to "ended".
    with app.client("operator") as other:
        assert other.delete("/cameras/bench/zones/gate").status_code == 204
    page.locator(f".alarm.ended[data-event-id='{event_id}']").wait_for(timeout=3000)
    assert card.locator(".lifecycle").inner_text() == "ended"

    # Muted, the next weapon alarm still shows but makes no sound.
    sounds = page.get_attribute("body", "data-alarm-sounds")
    page.click("button[name='mute']")
    with app.client("operator") as api:
        assert api.post("/cameras/bench/zones", json=weapon_zone("gate2")).status_code == 201
    second, _ = commits.first_new("gate2", timeout_s=30)
    page.locator(f".alarm[data-event-id='{second}']").wait_for(timeout=FEED_LATENCY_S * 1000)
    page.wait_for_timeout(300)
    assert page.get_attribute("body", "data-alarm-sounds") == sounds
    assert not console.errors


def test_event_detail_page_shows_timeline_thresholds_and_who_acted(
    make_app: Callable[..., RunningApp], open_console: Callable[..., Console]
) -> None:
    app = make_app()
    commits = Commits(app.service.store)
    event_id, _ = commits.first_new("table", timeout_s=30)
    with app.client("operator") as api:
        assert api.post(f"/events/{event_id}/ack", json={"note": "guard on the way"}).status_code == 200
    console = open_console(app, "viewer")
    console.page.goto(console.url(f"#/events/{event_id}"))
    detail = console.page.locator(f".detail[data-event-id='{event_id}']")
    detail.wait_for(timeout=5000)
    assert detail.locator(".timeline [data-record='new']").count() == 1
    acked = detail.locator(".timeline [data-record='acknowledged']")
    assert "test-operator" in acked.inner_text() and "guard on the way" in acked.inner_text()
    assert detail.locator("[data-field='acknowledged'] td").inner_text().startswith("test-operator · ")
    thresholds = dict(line.split("\t") for line in detail.locator(".thresholds").inner_text().splitlines())
    assert thresholds["min_confidence"] == "0.5" and thresholds["confirm_k"] == "2"
    console.page.wait_for_function("() => document.querySelector('.detail-snapshot')?.naturalWidth > 0")
    console.shot("detail")
    assert not console.errors


def test_cameras_past_the_stream_limit_refresh_snapshots(
    make_app: Callable[..., RunningApp], open_console: Callable[..., Console]
) -> None:
    # A browser holds at most 6 connections per host; the fifth camera on must not take one for good.
    config = sample_config(rules=False)
    gone = [{"id": f"gone{i}", "source": "rtsp://127.0.0.1:9/none", "open_timeout_s": 1} for i in range(4)]
    config["cameras"] = gone + config["cameras"]
    console = open_console(make_app(config), "viewer")
    page = console.page
    selector = ".tile[data-camera-id='bench'] img.live"
    page.wait_for_function(f'() => document.querySelector("{selector}")?.naturalWidth > 0', timeout=20_000)
    first = page.locator(selector).evaluate("img => img.src")
    assert "/cameras/bench/snapshot.jpg" in first
    # ... and fetched anew about once a second.
    page.wait_for_function(f'(before) => document.querySelector("{selector}").src !== before', arg=first)
    assert page.locator(".tile img.live[src*='stream.mjpeg']").count() == 4
    assert not console.errors
