"""/files, /stream and the static routes against links, long names, conditional and Range
requests (issue 15, "Files")."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from openchirp.app import create_app
from openchirp.config import Settings
from tests.support.inprocess import InProcessApp

DATA = bytes(range(256)) * 40


def files_root(app: InProcessApp) -> Path:
    return app.app.state.storage.root


def test_a_link_in_the_data_folder_is_never_followed(app: InProcessApp, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("owner key")
    root = files_root(app)
    (root / "clips" / "c").mkdir(parents=True)
    (root / "clips" / "c" / "leak.mp3").symlink_to(secret)
    (root / "clips" / "linked").symlink_to(tmp_path)  # a link to a folder, on the way
    (root / "db.json").symlink_to(app.settings.data_dir / "openchirp.db")
    for url in (
        "/files/clips/c/leak.mp3",
        "/files/clips/linked/secret.txt",
        "/files/db.json",
    ):
        for method in ("GET", "HEAD"):
            answer = app.client.request(method, url)
            assert answer.status_code == 404, (method, url, answer.content[:40])
            assert b"owner key" not in answer.content and b"SQLite" not in answer.content
    assert not app.app.state.storage.exists("clips/c/leak.mp3")
    with pytest.raises(FileNotFoundError):
        app.app.state.storage.open("clips/linked/secret.txt")


def test_a_fifo_is_not_a_file(app: InProcessApp) -> None:
    root = files_root(app)
    os.mkfifo(root / "pipe.mp3")
    assert app.client.get("/files/pipe.mp3").status_code == 404  # and does not hang


def test_a_name_too_long_is_a_404(app: InProcessApp) -> None:
    long = "a" * 300
    for url in (
        f"/files/{long}.mp3",
        f"/files/clips/{long}/audio.mp3",
        f"/files/{'/'.join(['b' * 200] * 30)}",
        f"/ui-static/{long}.css",
        f"/docs-static/{long}.js",
    ):
        answer = app.client.get(url)
        assert answer.status_code == 404, (url[:40], answer.status_code)
        assert answer.json()["error"], url[:40]


def test_conditional_and_range_requests(app: InProcessApp) -> None:
    app.app.state.storage.put("clips/c/c.wav", DATA)
    url = "/files/clips/c/c.wav"
    whole = app.client.get(url)
    assert whole.status_code == 200 and whole.content == DATA
    etag = whole.headers["etag"]
    assert "last-modified" in whole.headers and whole.headers["accept-ranges"] == "bytes"
    for match in ("*", etag, f'"x", {etag}', f"W/{etag}"):
        assert app.client.get(url, headers={"If-None-Match": match}).status_code == 304, match
    assert app.client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    # If-None-Match: * only matches something that exists.
    missing = app.client.get("/files/clips/c/none.wav", headers={"If-None-Match": "*"})
    assert missing.status_code == 404

    part = app.client.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == DATA[10:20]
    for bad in ("bytes=abc", "bytes=9-3", "bytes=", "bytes 0-1", "bytes=--1"):
        answer = app.client.get(url, headers={"Range": bad})
        assert answer.status_code == 400, bad
        assert answer.headers["content-type"] == "application/json", bad
        assert answer.json()["field"] == "Range", bad
    for beyond in (f"bytes={len(DATA)}-", "bytes=-0"):
        answer = app.client.get(url, headers={"Range": beyond})
        assert answer.status_code == 416, beyond
        assert answer.headers["content-type"] == "application/json"
        assert answer.headers["content-range"] == f"bytes */{len(DATA)}"
    # Several ranges, or another unit: the whole file (RFC 9110 lets a server ignore Range).
    assert app.client.get(url, headers={"Range": "bytes=0-1,5-6"}).content == DATA
    assert app.client.get(url, headers={"Range": "items=0-1"}).content == DATA


def test_the_growing_mp3(app: InProcessApp) -> None:
    created = app.client.post("/api/custom_generate", json={"prompt": "[Verse]\nla la"}).json()
    clip_id = created[0]["id"]
    # Make the clip streaming by hand: an mp3 with part of its bytes and no done marker.
    from openchirp.db import repo

    key = f"clips/{clip_id}/{clip_id}.mp3"
    with app.app.state.db.write() as conn:
        repo.update_clip(conn, clip_id, status="streaming", audio_key=key)
    path = files_root(app) / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(DATA[:1000])
    head = app.client.head(f"/stream/{clip_id}.mp3")
    assert head.status_code == 200
    assert "content-length" not in head.headers  # not "0": its length is not known yet
    # Seeking past what is written: a 416 in the API's shape, not the whole stream.
    beyond = app.client.get(f"/stream/{clip_id}.mp3", headers={"Range": "bytes=5000-"})
    assert beyond.status_code == 416 and beyond.json()["field"] == "Range"
    bad = app.client.get(f"/stream/{clip_id}.mp3", headers={"Range": "bytes=x-"})
    assert bad.status_code == 400
    # A link in its place is not followed.
    path.unlink()
    path.symlink_to(app.settings.data_dir / "openchirp.db")
    (path.parent / (path.name + ".done")).touch()
    answer = app.client.get(f"/stream/{clip_id}.mp3")
    assert answer.status_code == 404 and b"SQLite" not in answer.content


def test_every_operation_has_its_own_id(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # FastAPI warns "Duplicate Operation ID"
        schema = create_app(Settings(data_dir=tmp_path, workers=0), start_workers=False).openapi()
    ids = [op["operationId"] for path in schema["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))
    files = schema["paths"]["/files/{key}"]
    assert set(files) == {"get", "head"}
    for status in ("206", "400", "404", "416"):
        assert status in files["get"]["responses"]
    assert {"206", "400", "416"} <= set(
        schema["paths"]["/stream/{clip_id}.mp3"]["get"]["responses"]
    )


def test_open_beneath_refuses_links_on_the_way(tmp_path: Path) -> None:
    from openchirp.storage.beneath import open_beneath

    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "f").write_text("x")
    (tmp_path / "via").symlink_to(tmp_path / "real")
    with open_beneath(tmp_path, "real/f") as f:
        assert f.read() == b"x"
    for key in ("via/f", "real", "real/f/g", "none", "x" * 300):
        with pytest.raises(FileNotFoundError):
            open_beneath(tmp_path, key)
    with pytest.raises(ValueError):
        open_beneath(tmp_path, "../x")
