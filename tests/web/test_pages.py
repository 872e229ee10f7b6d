"""The web UI end to end: a real server, Debian's chromium, and what a person does on the page."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.support.server import Server, wait_for
from tests.web.conftest import TONE_ENV, shot

pytestmark = pytest.mark.e2e
LYRICS = "[Verse]\nSunlight on the water\nEchoes in the hall\n\n[Chorus]\nSing it back to me"

# Records every status each card shows (and whether it can play then), to see it change live.
RECORD_STATUSES = """() => {
  window.__seen = {};
  window.__sameDocument = true;
  const note = (card) => {
    if (!card.dataset.id) return;
    const playable = !card.querySelector('[data-f="play"]').disabled;
    (window.__seen[card.dataset.id] ||= new Set()).add(`${card.dataset.status}:${playable}`);
  };
  new MutationObserver((records) => {
    for (const r of records) {
      const card = r.target.closest?.(".card");
      if (card) note(card);
      for (const n of r.addedNodes) if (n.classList?.contains("card")) note(n);
    }
  }).observe(document.getElementById("clips"),
             {subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"]});
}"""


def until(page: Any, expression: str, timeout_ms: int = 20_000) -> None:
    """``page.wait_for_function`` without its in-page ``eval``, which the page's CSP forbids:
    each check is a DevTools evaluation, outside the policy."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout_ms} ms: {expression}"
        time.sleep(0.05)


def make_song(server: Server, lyrics: str = LYRICS) -> list[dict[str, Any]]:
    with server.client() as client:
        made = client.post(
            "/api/custom_generate",
            json={"prompt": lyrics, "tags": "folk, acoustic", "title": "River"},
        )
        assert made.status_code == 200, made.text
        return wait_for(client, [c["id"] for c in made.json()])


def card(page: Any, clip_id: str, status: str | None = None) -> Any:
    selector = f'.card[data-id="{clip_id}"]' + (f'[data-status="{status}"]' if status else "")
    return page.locator(selector)


def test_create_song_live_updates_and_play(page: Any) -> None:
    page.goto("/")
    page.evaluate(RECORD_STATUSES)
    page.fill("#lyrics", LYRICS)
    page.fill("#tags", "folk, acoustic")
    page.fill("#title", "Morning River")
    with page.expect_response("**/api/custom_generate") as answer:
        page.press("#title", "Enter")  # Enter submits
    ids = [c["id"] for c in answer.value.json()]
    assert len(ids) == 2
    for clip_id in ids:  # both cards at once, then live to complete
        card(page, clip_id).wait_for()
    for clip_id in ids:
        card(page, clip_id, "complete").wait_for(timeout=30_000)
    seen = page.evaluate(
        "Object.fromEntries(Object.entries(window.__seen).map(([k, v]) => [k, [...v]]))"
    )
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    # Watched live, and playable while still streaming.
    assert any("streaming:true" in seen.get(i, []) for i in ids), seen
    first = card(page, ids[0])
    assert first.locator('[data-f="title"]').inner_text() == "Morning River"
    assert re.fullmatch(r"0:0[34]", first.locator('[data-f="duration"]').inner_text())
    shot(page, "library.png")

    first.locator('[data-f="play"]').click()
    until(page, "document.getElementById('audio').currentTime > 0.5", 10_000)
    assert page.locator("#now-title").inner_text() == "Morning River"
    page.locator("body").click(position={"x": 5, "y": 300})  # focus off the controls
    page.keyboard.press(" ")  # space pauses
    until(page, "document.getElementById('audio').paused")


def test_api_error_is_shown_next_to_the_form(page: Any) -> None:
    page.goto("/")
    page.fill("#lyrics", "la la la")
    page.fill("#title", "x" * 81)
    page.click("#create-form button[type=submit]")
    error = page.locator("#create-error")
    error.wait_for()
    assert "title is 81 characters" in error.inner_text()
    assert "80" in error.inner_text()
    page.click(".mode[data-mode=description]")  # description mode, empty: the server explains
    assert error.is_hidden()
    page.click("#create-form button[type=submit]")
    error.wait_for()
    assert "prompt" in error.inner_text()


def test_clip_page_player_extend_concat_stems_downloads(page: Any, web_server: Server) -> None:
    source = make_song(web_server)[0]
    page.goto(f"/clip/{source['id']}")
    page.locator("#lyrics .w.timed").first.wait_for()  # word timings arrived
    until(page, "document.querySelector('#wave').width > 0")

    # Downloads: every link answers with the right type (the mp4 renders after the audio).
    page.locator("#dl-mp4[href]").wait_for(timeout=30_000)
    types = {
        "dl-mp3": "audio/mpeg",
        "dl-wav": "audio/wav",
        "dl-mp4": "video/mp4",
        "dl-cover": "image/jpeg",
    }
    for link, content_type in types.items():
        href = page.get_attribute(f"#{link}", "href")
        response = page.request.get(href)
        assert response.status == 200, (link, href)
        assert response.headers["content-type"].startswith(content_type), (link, href)

    # Play: time moves and the sung word lights up.
    page.click("#play")
    until(page, "document.getElementById('audio').currentTime > 0.3")
    page.locator("#lyrics .w.on").wait_for()
    page.click("#play")
    shot(page, "clip.png", full_page=True)

    # Extend from a click at 3/4 of the waveform: the point lands in the form and the request.
    box = page.locator("#wave").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2)
    duration = float(source["duration"])
    picked = float(page.input_value("#continue_at"))
    assert picked == pytest.approx(duration * 0.75, abs=0.1)
    assert page.input_value("#ext-tags") == "folk, acoustic"  # pre-filled from the source
    page.fill("#ext-lyrics", "[Bridge]\nCarry me home")
    with (
        page.expect_request("**/api/extend_audio") as sent,
        page.expect_response("**/api/extend_audio") as answer,
    ):
        page.click("#extend-submit")
    body = sent.value.post_data_json
    assert body["audio_id"] == source["id"]
    assert body["continue_at"] == pytest.approx(picked)
    extensions = [c["id"] for c in answer.value.json()]
    for clip_id in extensions:
        card(page, clip_id, "complete").wait_for(timeout=30_000)
    assert card(page, extensions[0]).locator('[data-f="kind"]').inner_text() == "extension"

    # Stems of the source, live on the same page.
    with page.expect_response("**/api/generate_stems") as stems:
        page.click("#stems")
    for stem in stems.value.json():
        card(page, stem["id"], "complete").wait_for(timeout=30_000)

    # The whole song from the extension's own page.
    page.goto(f"/clip/{extensions[0]}")
    assert page.is_enabled("#concat")
    with page.expect_response("**/api/concat") as whole:
        page.click("#concat")
    whole_id = whole.value.json()["id"]
    card(page, whole_id, "complete").wait_for(timeout=30_000)
    assert card(page, whole_id).locator('[data-f="kind"]').inner_text() == "whole song"
    # ...which is not itself an extension: the button stays off on its page.
    page.goto(f"/clip/{whole_id}")
    assert page.is_disabled("#concat")


def test_extend_error_and_missing_clip(page: Any, web_server: Server) -> None:
    source = make_song(web_server)[0]
    page.goto(f"/clip/{source['id']}")
    page.fill("#continue_at", "999")
    page.click("#extend-submit")
    page.locator("#extend-error").wait_for()
    assert "continue_at must be more than 0" in page.inner_text("#extend-error")
    response = page.goto("/clip/no-such-clip")
    assert response.status == 404
    assert "Song not found" in page.inner_text("h1")


def test_sign_in_with_a_key(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    data = tmp_path_factory.mktemp("web-auth")
    server = Server(
        data, f"sqlite:///{data / 'openchirp.db'}", OPENCHIRP_ANONYMOUS="false", **TONE_ENV
    ).start()
    context = browser.new_context(base_url=server.url)
    try:
        key = server.cli("keys", "create", "web", "--user", "webuser").split()[-1]
        page = context.new_page()
        response = page.goto("/")
        assert response.status == 401  # the sign-in form, not a JSON error
        assert page.inner_text("h1") == "Sign in"
        page.fill("#key", "not-a-key")
        page.press("#key", "Enter")
        assert "not valid" in page.inner_text("[role=alert]")

        page.fill("#key", key)
        page.press("#key", "Enter")
        page.wait_for_url(f"{server.url}/")
        assert page.locator("#create-form").is_visible()
        assert "webuser" in page.inner_text(".account")
        cookie = next(c for c in context.cookies() if c["name"] == "openchirp_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        assert key not in cookie["value"]  # a signed session naming the key, not the key
        # The page's own API calls carry the key.
        page.fill("#lyrics", "hello there")
        with page.expect_response("**/api/custom_generate") as answer:
            page.click("#create-form button[type=submit]")
        assert answer.value.status == 200

        page.click("text=Sign out")
        page.wait_for_url("**/signin")
        assert page.goto("/").status == 401
    finally:
        context.close()
        server.stop()


@pytest.mark.parametrize("where", ["library", "clip"])
def test_phone_width_has_no_horizontal_scroll(browser: Any, web_server: Server, where: str) -> None:
    clip = make_song(web_server)[0]
    context = browser.new_context(
        base_url=web_server.url, viewport={"width": 375, "height": 812}, is_mobile=True
    )
    try:
        page = context.new_page()
        page.goto("/" if where == "library" else f"/clip/{clip['id']}")
        page.wait_for_load_state("load")
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], width
        shot(page, f"phone-{where}.png", full_page=True)
    finally:
        context.close()


def test_events_stream_each_clip_then_end(web_server: Server) -> None:
    """The SSE contract without a browser: current state at once, then `done` when settled."""
    clip = make_song(web_server)[0]
    with web_server.client() as client:
        with client.stream("GET", "/ui/events", params={"ids": clip["id"]}) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            text = "".join(stream.iter_text())
        assert client.get("/ui/events", params={"ids": ""}).status_code == 422
    events = [block for block in text.split("\n\n") if block.startswith("event:")]
    assert events[0].startswith("event: clip\ndata: ")
    assert '"status":"complete"' in events[0]
    assert events[-1].startswith("event: done")


@pytest.mark.parametrize(
    ("path", "ready"), [("/docs", ".swagger-ui .info .title"), ("/redoc", "h1")]
)
def test_api_docs_render_offline(page: Any, web_server: Server, path: str, ready: str) -> None:
    """/docs and /redoc load only what the server serves, under its CSP (issue 15)."""
    elsewhere: list[str] = []
    violations: list[str] = []

    def only_the_server(route: Any) -> None:
        if route.request.url.startswith(web_server.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.context.route("**/*", only_the_server)
    page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else 0)
    page.goto(path)
    page.wait_for_selector(ready)
    assert "OpenChirp" in page.inner_text(ready)
    if path == "/docs":
        page.wait_for_selector(".opblock-tag-section")
    else:
        page.get_by_text("/api/custom_generate").first.wait_for()
    assert elsewhere == []
    # ReDoc's footer logo is an image on its CDN, which the policy blocks; nothing else may be.
    assert [v for v in violations if "img-src" not in v] == []
