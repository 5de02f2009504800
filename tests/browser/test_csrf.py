"""Cross-site request forgery and framing, tried by real pages in real Chromium against a logged-in console.

The attacker's pages are served from a second HTTP server on loopback: on another port of the same host
(same-site: the SameSite=Strict cookie is sent, so the server's origin check is what stops it) and under
``localhost`` (another site: the cookie is not even sent). Each page tries every write a page can send
without a CORS preflight (HTML forms urlencoded, multipart and text/plain, and no-cors fetches) at
ack, dismiss and resolve, and frames the console.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.api.conftest import RunningApp, sample_config
from tests.browser.conftest import Console
from tests.event_records import new_record

ACTIONS = ("dismiss", "ack", "resolve")


def _attack_page(target: str, event_id: str) -> str:
    forms = []
    for i, action in enumerate(ACTIONS):
        for j, enctype in enumerate(("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")):
            forms.append(
                f'<iframe name="sink{i}{j}"></iframe>'
                f'<form id="f{i}{j}" method="post" target="sink{i}{j}" enctype="{enctype}" '
                f'action="{target}/events/{event_id}/{action}"><input name="note" value="x"></form>'
            )
    submits = "".join(f"document.getElementById('f{i}{j}').submit();" for i in range(3) for j in range(3))
    fetches = "".join(
        f"fetch('{target}/events/{event_id}/{a}', {{method: 'POST', mode: 'no-cors', credentials: 'include', "
        f"headers: {{'content-type': 'text/plain'}}, body: '{{}}'}}).catch(() => {{}});"
        f"fetch('{target}/events/{event_id}/{a}', {{method: 'POST', mode: 'no-cors', credentials: 'include'}})"
        f".catch(() => {{}});"
        for a in ACTIONS
    )
    framed = f'<iframe id="framed" src="{target}/" width="800" height="600"></iframe>'
    return (
        f"<!doctype html><html><body>{''.join(forms)}{framed}"
        f"<script>{fetches}{submits}setTimeout(() => document.title = 'done', 1500);</script></body></html>"
    )


class AttackerSite:
    def __init__(self) -> None:
        self.page = ""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = site.page.encode()
                self.send_response(200)
                self.send_header("content-type", "text/html")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def attacker() -> Iterator[AttackerSite]:
    site = AttackerSite()
    yield site
    site.server.shutdown()
    site.server.server_close()


@pytest.mark.parametrize("attacker_host", ["127.0.0.1", "localhost"], ids=["same-site-other-port", "cross-site"])
def test_pages_elsewhere_cannot_act_on_alarms_or_frame_the_console(
    make_app: Callable[..., RunningApp],
    open_console: Callable[..., Console],
    attacker: AttackerSite,
    attacker_host: str,
) -> None:
    app = make_app(sample_config(rules=False))
    app.service.store.append(new_record("ev1", camera="bench", zone="table"))
    console = open_console(app, "operator")
    attacker.page = _attack_page(app.base_url, "ev1")
    page = console.page.context.new_page()  # same browser context: the operator's login cookie is there
    page.goto(f"http://{attacker_host}:{attacker.port}/")
    page.wait_for_function("document.title === 'done'", timeout=15000)
    time.sleep(0.5)  # let the last form posts land (they would be processed before this point)

    with app.client("viewer") as viewer:
        event = viewer.get("/events/ev1").json()
        assert event["event"]["operator_state"] == "open"
        assert event["actions"] == []

    # The framed console did not render: Chromium blocked it (frame-ancestors 'none' / X-Frame-Options).
    framed = page.frame_locator("#framed")
    assert framed.locator("form.login, .who").count() == 0

    # The console itself still acts on the same alarm, with the same cookie.
    console.page.goto(console.url("#/events/ev1"))
    console.page.locator(".detail button[data-action='dismissed']").click()
    deadline = time.monotonic() + 10
    while app.service.store.get_event("ev1").event.operator_state != "dismissed":
        assert time.monotonic() < deadline, "the console's own dismiss did not go through"
        time.sleep(0.1)
    assert console.errors == []


def test_console_pages_refuse_framing(make_app: Callable[..., RunningApp]) -> None:
    app = make_app(sample_config(rules=False))
    with httpx.Client(base_url=app.base_url) as client:
        for path in ("/", "/console/index.html", "/console/js/main.js", "/healthz", "/docs"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.headers["x-frame-options"] == "DENY", path
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
        assert "script-src 'self'" in client.get("/console/index.html").headers["content-security-policy"]


def test_session_cookie_is_no_key_and_logout_revokes_it(make_app: Callable[..., RunningApp]) -> None:
    app = make_app(sample_config(rules=False))
    key = app.key("operator")
    own = {"origin": app.base_url}
    with httpx.Client(base_url=app.base_url) as browser:
        login = browser.post("/auth/login", json={"key": key})
        session = browser.cookies["gatewatch_session"]
        assert session.startswith("gws_") and key not in login.headers["set-cookie"]
        assert "secure" not in login.headers["set-cookie"].lower()  # plain http on loopback
        copied = {"cookie": f"gatewatch_session={session}"}
        assert httpx.get(f"{app.base_url}/auth/whoami", headers=copied).json()["role"] == "operator"
        # Writes by cookie need the browser's origin headers; with them the role check answers.
        assert browser.post("/events/none/ack").status_code == 403
        assert browser.post("/events/none/ack", headers=own).status_code == 404
        assert browser.post("/events/none/ack", headers={"origin": "http://127.0.0.1:1"}).status_code == 403
        assert browser.post("/events/none/ack", headers={"sec-fetch-site": "same-site"}).status_code == 403
        assert browser.post("/auth/logout", headers=own).status_code == 204
    # A copy of the cookie taken before logout is dead: the session was revoked on the server.
    assert httpx.get(f"{app.base_url}/auth/whoami", headers=copied).status_code == 401


def test_cookie_is_secure_behind_a_trusted_tls_proxy_only(make_app: Callable[..., RunningApp]) -> None:
    proxied = {"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7"}
    untrusting = make_app(sample_config(rules=False))
    trusting = make_app(sample_config(rules=False), forwarded_allow_ips="127.0.0.1")
    for app, secure in ((untrusting, False), (trusting, True)):
        login = httpx.post(f"{app.base_url}/auth/login", json={"key": app.key("viewer")}, headers=proxied)
        assert login.status_code == 200
        assert ("; secure" in login.headers["set-cookie"].lower()) is secure
