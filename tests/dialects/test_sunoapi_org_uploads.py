"""sunoapi.org's upload-extend and upload-cover on the acestep engine, in process: the tiny
random ACE-Step folder (loaded as a user's would be) runs the model key ``V4_5`` maps to. The
fields are checked by the documented mode rules, the refusals name what is missing (an engine
that does not declare the operation, a folder without the audio tokenizer), and the clips are
normal clips: rendered, called back, listed by record-info, concatenated. Random weights make
noise: lengths and joins are checked, not music."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from openchirp.media.audio import decode, resample
from tests.dialects.test_sunoapi_org import ok_data, record, refused
from tests.support.callback_receiver import Receiver
from tests.support.inprocess import InProcessApp, inprocess_settings
from tests.support.neural import ACESTEP_MODEL, ACESTEP_OPTIONS, require_neural, tiny_acestep
from tests.support.wav import tone_wav

require_neural()

LYRICS = "[Verse]\nmy own tune\ncarried on"
UPLOAD_S, UPLOAD_RATE = 1.3, 22_050


def upload_wav() -> bytes:
    """A mono 16-bit wav at another rate than the model's (it resamples)."""
    return tone_wav(UPLOAD_S, UPLOAD_RATE, hz=330, level=9000, phase=0.7)


def settings_for(data: Path, model_dir: Path):  # type: ignore[no-untyped-def]
    return inprocess_settings(
        data,
        default_engine="",
        model_engines={ACESTEP_MODEL: "acestep"},
        engine_options={"acestep": {**ACESTEP_OPTIONS, "model_dir": str(model_dir)}},
        callback_allow_private=True,
        callback_retry_delay_s=0.0,
        callback_timeout_s=2.0,
    )


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_acestep(tmp_path_factory)


@pytest.fixture
def up_app(tmp_path: Path, model_dir: Path) -> Iterator[InProcessApp]:
    with InProcessApp(settings_for(tmp_path / "data", model_dir)) as running:
        yield running


def uploaded(app: InProcessApp) -> dict:
    encoded = base64.b64encode(upload_wav()).decode()
    body = {"base64Data": encoded, "fileName": "mine.wav"}
    response = app.client.post("/api/file-base64-upload", json=body)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def custom(url: str, **over: object) -> dict:
    body = {
        "uploadUrl": url,
        "customMode": True,
        "instrumental": False,
        "model": "V4_5",
        "prompt": LYRICS,
        "style": "lo-fi, tape",
        "title": "Mine",
    }
    return {**body, **over}


def post(app: InProcessApp, op: str, body: dict):  # type: ignore[no-untyped-def]
    return app.client.post(f"/api/v1/generate/{op}", json=body)


def test_the_fields_are_checked_by_the_documented_rules(up_app: InProcessApp) -> None:
    url = uploaded(up_app)["downloadUrl"]
    for op in ("upload-extend", "upload-cover"):
        refused(post(up_app, op, custom(url, style="")), 400, "style", "custom mode")
        refused(post(up_app, op, custom(url, title="")), 400, "title")
        refused(post(up_app, op, custom(url, prompt="")), 400, "prompt", "lyrics")
        described = {"uploadUrl": url, "model": "V4_5", "prompt": ""}
        refused(post(up_app, op, described), 400, "prompt")
        refused(post(up_app, op, {**described, "prompt": "x" * 501}), 413, "prompt", "500")
        missing = custom("https://example.com/not-an-upload.wav")
        refused(post(up_app, op, missing), 404, "uploadUrl")
        refused(post(up_app, op, custom(url, model="V9")), 400, "model")
        # The built-in composer runs V4: refused by name, before the fields are read.
        refused(post(up_app, op, custom(url, model="V4", style="")), 400, "'composer'", op)
    for at in (0, -1, 1.31, 99):
        msg = refused(post(up_app, "upload-extend", custom(url, continueAt=at)), 400, "continueAt")
        assert "1.30 s" in msg
    refused(post(up_app, "upload-cover", custom(url, audioWeight=1.5)), 400, "audioWeight")
    for op in ("add-vocals", "add-instrumental"):
        refused(post(up_app, op, custom(url)), 400, op, "'acestep'")


def test_a_request_makes_two_acestep_clips_and_record_info_lists_them(
    up_app: InProcessApp,
) -> None:
    up = uploaded(up_app)
    url = up["downloadUrl"]
    found = re.search(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", url)
    assert found is not None
    upload_id = found.group(0)
    task = ok_data(post(up_app, "upload-extend", custom(url, continueAt=0.6)))["taskId"]
    info = record(up_app, task)
    assert info["type"] == "UPLOAD_EXTEND" and info["operationType"] == "upload_extend"
    assert info["parentMusicId"] == upload_id and info["status"] == "PENDING"
    param = json.loads(info["param"])
    assert param["uploadUrl"] == url and param["continueAt"] == 0.6 and param["customMode"]
    ids = [s["id"] for s in info["response"]["sunoData"]]
    service = up_app.app.state.service
    user = service_user(up_app)
    rows = [service.clip_row(user, i) for i in ids]
    assert {r.engine for r in rows} == {"acestep"}  # the model's engine, not "upload"
    assert [r.render_input["continuation"] for r in rows] == [
        {"clip_id": upload_id, "continue_at": 0.6}
    ] * 2
    assert rows[0].meta["history"][0] == {
        "id": upload_id,
        "continue_at": 0.6,
        "type": "upload",
        "source": "web",
        "infill": False,
    }
    # Description mode: the lyricist writes the words; the end of the upload by default.
    task = ok_data(post(up_app, "upload-extend", {"uploadUrl": url, "prompt": "a sea song"}))
    info = record(up_app, task["taskId"])
    assert json.loads(info["param"])["continueAt"] == UPLOAD_S
    assert all(s["prompt"] for s in info["response"]["sunoData"])
    cover = custom(url, instrumental=True, prompt="", audioWeight=0.5)
    once = {"Idempotency-Key": "cover-1"}
    answer = up_app.client.post("/api/v1/generate/upload-cover", json=cover, headers=once)
    task = ok_data(answer)["taskId"]
    info = record(up_app, task)
    assert info["type"] == "UPLOAD_COVER" and info["parentMusicId"] == upload_id
    assert json.loads(info["param"])["audioWeight"] == 0.5
    again = up_app.client.post("/api/v1/generate/upload-cover", json=cover, headers=once)
    assert ok_data(again)["taskId"] == task  # a retry makes nothing new
    other = up_app.client.post(
        "/api/v1/generate/upload-cover", json={**cover, "title": "B"}, headers=once
    )
    refused(other, 400, "Idempotency-Key", "different request")  # sunoapi.org: 409 is 400


def service_user(app: InProcessApp):  # type: ignore[no-untyped-def]
    from openchirp.db import repo

    with app.worker.db.write() as conn:
        return repo.ensure_user(conn, repo.LOCAL_HANDLE)


def test_a_folder_without_the_audio_tokenizer_refuses_covers_only(
    tmp_path: Path, model_dir: Path
) -> None:
    from openchirp.engines.acestep.tiny import write_tiny

    bare = tmp_path / "acestep-no-tokenizer"
    write_tiny(bare, cover=False)
    with InProcessApp(settings_for(tmp_path / "data", bare)) as app:
        url = uploaded(app)["downloadUrl"]
        msg = refused(post(app, "upload-cover", custom(url)), 400, "upload-cover", "'acestep'")
        assert "no audio_tokenizer" in msg and "no audio_token_detokenizer" in msg
        ok_data(post(app, "upload-extend", custom(url)))


@pytest.mark.slow  # the tiny model renders six clips and a concat on the CPU
def test_extend_and_cover_render_call_back_and_concatenate(up_app: InProcessApp) -> None:
    from openchirp.db import callbacks

    owner = service_user(up_app)
    with up_app.worker.db.write() as conn:
        secret = callbacks.user_secret(conn, owner.id)
    url = uploaded(up_app)["downloadUrl"]
    with Receiver(secret=secret) as receiver:
        body = custom(url, continueAt=0.6, callBackUrl=receiver.url)
        extend = ok_data(post(up_app, "upload-extend", body))["taskId"]
        up_app.drive()
        receiver.wait_for(3)
        assert receiver.stages() == ["text", "first", "complete"]
    info = record(up_app, extend)
    assert info["status"] == "SUCCESS", info
    songs = info["response"]["sunoData"]
    for song in songs:
        assert song["duration"] == pytest.approx(1.0, abs=0.06)  # the engine's length
        pcm, rate = mp3_of(up_app, song["audioUrl"])
        assert rate == 48_000 and abs(len(pcm) / rate - 1.0) < 0.06

    whole = up_app.client.post("/api/concat", json={"clip_id": songs[0]["id"]})
    assert whole.status_code == 200, whole.text
    up_app.drive()
    service = up_app.app.state.service
    row = service.clip_row(service_user(up_app), whole.json()["id"])
    assert row.status == "complete" and row.meta["duration"] == pytest.approx(1.6, abs=0.02)
    song, rate = decode(service.storage.fetch(row.wav_key))
    first, own = decode_upload()
    head = resample(first, own, rate)[: round(0.6 * rate)]
    assert rate == 48_000 and np.allclose(song[: len(head) - 500], head[:-500], atol=1e-3)
    assert abs(len(song) / rate - 1.6) < 0.01  # the upload to 0.6 s, then the extension
    cut = round(0.6 * rate)
    assert np.abs(song[cut] - song[cut - 1]).max() < 0.05  # no step at the join

    cover = custom(url, instrumental=True, prompt="", audioWeight=0.8)
    task = ok_data(post(up_app, "upload-cover", cover))["taskId"]
    up_app.drive()
    info = record(up_app, task)
    assert info["status"] == "SUCCESS", info
    for song in info["response"]["sunoData"]:
        assert song["duration"] == pytest.approx(1.28, abs=0.06)  # the upload's, whole frames
        pcm, rate = mp3_of(up_app, song["audioUrl"])
        assert rate == 48_000 and abs(len(pcm) / rate - 1.28) < 0.06


def decode_upload() -> tuple[np.ndarray, int]:
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".wav") as f:
        f.write(upload_wav())
        f.flush()
        return decode(Path(f.name))


def mp3_of(app: InProcessApp, url: str) -> tuple[np.ndarray, int]:
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".mp3") as f:
        f.write(app.client.get(url).content)
        f.flush()
        return decode(Path(f.name))
