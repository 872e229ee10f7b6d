"""Dialect C, sunoapi.org, in this process: every route, every status it reports, the error
shapes and the limits. ``app.drive()`` runs the jobs, so each state is the one the test set up."""

from __future__ import annotations

import base64
import json
import re

import pytest

from openchirp.api.dialects.sunoapi_org import shape
from tests.support.inprocess import BASE_URL, InProcessApp, inprocess_settings
from tests.support.wav import tone_wav

LYRICS = "[Verse]\nStars they shine above me\nMoonlight softly glows\n\n[Chorus]\nStarry night"
HEX = re.compile(r"^[0-9a-f]{32}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def custom(**over: object) -> dict:
    body = {
        "customMode": True,
        "instrumental": False,
        "model": "V4_5",
        "prompt": LYRICS,
        "style": "synthwave",
        "title": "Neon",
        "callBackUrl": "https://example.com/callback",
    }
    return {**body, **over}


def ok_data(response) -> object:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == 200 and body["msg"] == "success", body
    return body["data"]


def refused(response, status: int, *words: str) -> str:  # type: ignore[no-untyped-def]
    """An error in sunoapi.org's shape: code is the HTTP status, data is null."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "msg", "data"} and body["code"] == status
    assert body["data"] is None
    for word in words:
        assert word in body["msg"], body["msg"]
    return body["msg"]


def generate(app: InProcessApp, **over: object) -> str:
    task = ok_data(app.client.post("/api/v1/generate", json=custom(**over)))["taskId"]
    assert HEX.match(task)
    return task


def record(app: InProcessApp, task: str) -> dict:
    return ok_data(app.client.get("/api/v1/generate/record-info", params={"taskId": task}))


def finished(app: InProcessApp, **over: object) -> tuple[str, dict]:
    task = generate(app, **over)
    app.drive()
    info = record(app, task)
    assert info["status"] == "SUCCESS", info
    return task, info


# -- generate and record-info ------------------------------------------------------------------


def test_generate_then_record_info_through_every_state(app: InProcessApp) -> None:
    task = generate(app)
    info = record(app, task)
    assert info["taskId"] == task and info["response"]["taskId"] == task
    assert info["status"] == "PENDING" and info["type"] == "GENERATE"
    assert info["operationType"] == "generate" and info["parentMusicId"] == ""
    assert info["errorCode"] is None and info["errorMessage"] is None
    param = json.loads(info["param"])
    assert param == {
        "customMode": True,
        "instrumental": False,
        "prompt": LYRICS,
        "style": "synthwave",
        "title": "Neon",
        "negativeTags": "",
        "model": "V4_5",
    }
    songs = info["response"]["sunoData"]
    assert len(songs) == 2 and all(UUID.match(s["id"]) for s in songs)
    assert all(s["audioUrl"] == "" and s["streamAudioUrl"] == "" for s in songs)

    # One worker renders both clips of a create together (FIRST_SUCCESS, one clip complete
    # and the other not, is covered by the status mapping's own test).
    assert app.worker.run_once()
    app.drive()  # the callback deliveries the stages queued
    info = record(app, task)
    assert info["status"] == "SUCCESS"
    for song in info["response"]["sunoData"]:
        assert set(song) >= {
            "id", "audioUrl", "streamAudioUrl", "imageUrl", "prompt", "modelName",
            "title", "tags", "createTime", "duration",
        }  # fmt: skip
        assert song["audioUrl"].startswith(f"{BASE_URL}/files/") and song["audioUrl"].endswith(
            ".mp3"
        )
        assert song["streamAudioUrl"] == song["audioUrl"]
        assert song["modelName"] == "V4_5" and song["title"] == "Neon"
        assert song["tags"] == "synthwave" and song["prompt"] == LYRICS
        assert song["duration"] > 0 and re.match(
            r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", song["createTime"]
        )
        assert app.client.get(song["audioUrl"]).status_code == 200


def test_record_info_accepts_the_uuid_form_and_404s_unknown(app: InProcessApp) -> None:
    task = generate(app)
    dashed = shape.stored_id(task)
    assert UUID.match(dashed) and record(app, dashed)["taskId"] == task
    response = app.client.get("/api/v1/generate/record-info", params={"taskId": "0" * 32})
    refused(response, 404, "not found")
    refused(app.client.get("/api/v1/generate/record-info"), 400, "taskId")


def test_a_failed_clip_fails_the_task(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with InProcessApp(inprocess_settings(tmp_path / "data", max_attempts=1)) as app:
        task = generate(app, style="synthwave fail-always")
        app.drive()
        info = record(app, task)
    assert info["status"] == "GENERATE_AUDIO_FAILED"
    assert info["errorCode"] == 500 and "asked to fail" in info["errorMessage"]


def test_status_mapping_is_a_pure_function() -> None:
    s = shape.song_status
    assert s([]) == "PENDING"
    assert s([("submitted", None), ("queued", None)]) == "PENDING"
    assert s([("streaming", None), ("submitted", None)]) == "TEXT_SUCCESS"
    assert s([("complete", None), ("streaming", None)]) == "FIRST_SUCCESS"
    assert s([("complete", None), ("complete", None)]) == "SUCCESS"
    assert s([("complete", None), ("error", "engine_error")]) == "GENERATE_AUDIO_FAILED"
    assert s([("error", "moderation"), ("streaming", None)]) == "SENSITIVE_WORD_ERROR"
    assert shape.lyrics_status("submitted") == "PENDING"
    assert shape.lyrics_status("running") == "PENDING"
    assert shape.lyrics_status("complete") == "SUCCESS"
    assert shape.lyrics_status("error") == "GENERATE_LYRICS_FAILED"
    assert shape.task_flag("pending", "X") == "PENDING"
    assert shape.task_flag("success", "X") == "SUCCESS"
    assert shape.task_flag("failed", "GENERATE_WAV_FAILED") == "GENERATE_WAV_FAILED"
    assert [shape.cover_flag(x) for x in ("pending", "success", "failed")] == [0, 1, 3]


def test_task_ids_are_hex_and_round_trip() -> None:
    stored = "0f8c2e4a-1b2c-4d5e-8f90-a1b2c3d4e5f6"
    assert shape.task_id(stored) == "0f8c2e4a1b2c4d5e8f90a1b2c3d4e5f6"
    assert shape.stored_id(shape.task_id(stored)) == stored
    assert shape.stored_id(stored) == stored
    assert shape.stored_id("0F8C2E4A1B2C4D5E8F90A1B2C3D4E5F6") == stored


def test_instrumental_custom_needs_style_and_title_only(app: InProcessApp) -> None:
    task = generate(app, instrumental=True, prompt="")
    app.drive()
    assert record(app, task)["status"] == "SUCCESS"
    body = custom(instrumental=True, prompt="", title="")
    refused(app.client.post("/api/v1/generate", json=body), 400, "title", "custom mode")
    body = custom(instrumental=True, style="")
    refused(app.client.post("/api/v1/generate", json=body), 400, "style", "custom mode")


def test_custom_vocal_needs_prompt_style_title(app: InProcessApp) -> None:
    for field in ("prompt", "style", "title"):
        response = app.client.post("/api/v1/generate", json=custom(**{field: ""}))
        refused(response, 400, field)


def test_description_mode(app: InProcessApp) -> None:
    body = {
        "customMode": False,
        "instrumental": False,
        "model": "V5",
        "prompt": "a song about rain",
    }
    task = ok_data(app.client.post("/api/v1/generate", json=body))["taskId"]
    app.drive()
    info = record(app, task)
    assert info["status"] == "SUCCESS"
    assert json.loads(info["param"])["customMode"] is False
    assert json.loads(info["param"])["prompt"] == "a song about rain"
    assert all(s["title"] and s["prompt"] for s in info["response"]["sunoData"])
    refused(app.client.post("/api/v1/generate", json={**body, "prompt": " "}), 400, "prompt")
    long = {**body, "prompt": "x" * 501}
    refused(app.client.post("/api/v1/generate", json=long), 413, "prompt", "500")


@pytest.mark.parametrize(
    ("model", "field", "limit"),
    [
        ("V3_5", "prompt", 3000),
        ("V4", "style", 200),
        ("V4_5", "prompt", 5000),
        ("V5", "style", 1000),
        ("V5_5", "title", 80),
        ("V4_5PLUS", "negativeTags", 1000),
    ],
)
def test_limits_per_model_are_413(app: InProcessApp, model: str, field: str, limit: int) -> None:
    assert app.client.post("/api/v1/generate", json=custom(model=model, **{field: "a" * limit}))
    response = app.client.post(
        "/api/v1/generate", json=custom(model=model, **{field: "a" * (limit + 1)})
    )
    refused(response, 413, field, str(limit))


def test_model_and_tuning_fields_are_checked(app: InProcessApp) -> None:
    refused(app.client.post("/api/v1/generate", json=custom(model="V9")), 400, "model", "V9")
    body = custom()
    del body["model"]
    refused(app.client.post("/api/v1/generate", json=body), 400, "model")
    for field in ("styleWeight", "weirdnessConstraint", "audioWeight"):
        refused(app.client.post("/api/v1/generate", json=custom(**{field: 1.5})), 400, field)
        generate(app, **{field: 0.5})
    refused(app.client.post("/api/v1/generate", json=custom(vocalGender="x")), 400, "vocalGender")
    refused(app.client.post("/api/v1/generate", content=b"{nope"), 400)


def test_vocal_gender_reaches_the_engine_as_a_style_word(app: InProcessApp) -> None:
    task = generate(app, vocalGender="f", personaId="p1")
    with app.app.state.db.read() as conn:
        from openchirp.db import repo

        clip = repo.get_clip(conn, record(app, task)["response"]["sunoData"][0]["id"])
    assert clip is not None and clip.render_input is not None
    assert clip.render_input["tags"] == "synthwave, female vocals"
    assert clip.meta["tags"] == "synthwave"  # what the client reads back is what it sent
    from openchirp.engines.composer.style import _vocal_kind

    assert {_vocal_kind(clip.render_input["tags"], "", "", v) for v in (0, 1)} == {"female"}


def test_auth_and_credits(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = inprocess_settings(tmp_path / "data", anonymous=False)
    with InProcessApp(settings) as app:
        refused(app.client.get("/api/v1/generate/credit"), 401, "API key")
        refused(app.client.post("/api/v1/generate", json=custom()), 401)
    settings = inprocess_settings(tmp_path / "d2", default_monthly_credits=10)
    with InProcessApp(settings) as app:
        assert ok_data(app.client.get("/api/v1/generate/credit")) == 10
        generate(app)
        assert ok_data(app.client.get("/api/v1/generate/credit")) == 0
        refused(app.client.post("/api/v1/generate", json=custom()), 429, "credits")


def test_unknown_path_under_the_prefix_is_404_in_this_shape(app: InProcessApp) -> None:
    refused(app.client.get("/api/v1/generate/nope"), 404)


# -- extend ------------------------------------------------------------------------------------


def test_extend_with_own_params_and_with_the_source_s(app: InProcessApp) -> None:
    _, info = finished(app)
    source = info["response"]["sunoData"][0]
    body = {
        "defaultParamFlag": True,
        "audioId": source["id"],
        "model": "V4_5",
        "continueAt": 1,
        "prompt": "[Verse]\nOn and on",
        "style": "synthwave",
        "title": "Neon II",
        "callBackUrl": "https://example.com/cb",
    }
    task = ok_data(app.client.post("/api/v1/generate/extend", json=body))["taskId"]
    app.drive()
    info = record(app, task)
    assert info["status"] == "SUCCESS" and info["type"] == "EXTEND"
    assert info["parentMusicId"] == source["id"]
    assert json.loads(info["param"])["continueAt"] == 1
    assert {s["title"] for s in info["response"]["sunoData"]} == {"Neon II"}

    plain = {"defaultParamFlag": False, "audioId": source["id"], "model": "V4_5", "continueAt": 1.5}
    task = ok_data(app.client.post("/api/v1/generate/extend", json=plain))["taskId"]
    app.drive()
    assert record(app, task)["status"] == "SUCCESS"

    wrong = {**body, "model": "V5"}
    refused(app.client.post("/api/v1/generate/extend", json=wrong), 400, "model", "V4_5")
    missing = {**body, "continueAt": None}
    refused(app.client.post("/api/v1/generate/extend", json=missing), 400, "continueAt")
    unknown = {**body, "audioId": "00000000-0000-0000-0000-000000000000"}
    refused(app.client.post("/api/v1/generate/extend", json=unknown), 404, "not found")


def test_extend_needs_a_complete_clip(app: InProcessApp) -> None:
    task = generate(app)
    clip = record(app, task)["response"]["sunoData"][0]["id"]
    body = {"defaultParamFlag": False, "audioId": clip, "model": "V4_5", "continueAt": 1}
    refused(app.client.post("/api/v1/generate/extend", json=body), 400, "complete")


# -- lyrics ------------------------------------------------------------------------------------


def test_lyrics_task(app: InProcessApp) -> None:
    task = ok_data(app.client.post("/api/v1/lyrics", json={"prompt": "rain in the city"}))
    task = task["taskId"]
    assert HEX.match(task)
    info = ok_data(app.client.get("/api/v1/lyrics/record-info", params={"taskId": task}))
    assert info["status"] == "PENDING" and info["response"]["data"] == []
    app.drive()
    info = ok_data(app.client.get("/api/v1/lyrics/record-info", params={"taskId": task}))
    assert info["status"] == "SUCCESS" and info["type"] == "LYRICS"
    (item,) = info["response"]["data"]
    assert item["text"] and item["title"] and item["status"] == "complete"
    assert json.loads(info["param"]) == {"prompt": "rain in the city"}
    refused(app.client.post("/api/v1/lyrics", json={"prompt": "x" * 201}), 413, "200")
    response = app.client.get("/api/v1/lyrics/record-info", params={"taskId": "f" * 32})
    refused(response, 404)


def test_timestamped_lyrics(app: InProcessApp) -> None:
    task, info = finished(app)
    clip = info["response"]["sunoData"][1]["id"]
    data = ok_data(
        app.client.post(
            "/api/v1/generate/get-timestamped-lyrics", json={"taskId": task, "audioId": clip}
        )
    )
    words = data["alignedWords"]
    assert words and set(words[0]) == {"word", "startS", "endS", "success", "palign"}
    assert all(w["endS"] >= w["startS"] >= 0 for w in words)
    assert [w["word"] for w in words][:2] == ["Stars", "they"]
    assert data["waveformData"] and max(data["waveformData"]) <= 1
    by_index = app.client.post(
        "/api/v1/generate/get-timestamped-lyrics", json={"taskId": task, "musicIndex": 1}
    )
    assert ok_data(by_index)["alignedWords"] == words
    other = app.client.post(
        "/api/v1/generate/get-timestamped-lyrics",
        json={"taskId": task, "audioId": "00000000-0000-0000-0000-000000000000"},
    )
    refused(other, 404, "audioId")


# -- tasks on a finished clip ------------------------------------------------------------------


def test_wav_task(app: InProcessApp) -> None:
    task, info = finished(app)
    clip = info["response"]["sunoData"][0]["id"]
    wav = ok_data(app.client.post("/api/v1/wav/generate", json={"taskId": task, "audioId": clip}))
    got = ok_data(app.client.get("/api/v1/wav/record-info", params={"taskId": wav["taskId"]}))
    assert got["successFlag"] == "SUCCESS" and got["musicId"] == clip
    url = got["response"]["audioWavUrl"]
    assert url.endswith(".wav") and app.client.get(url).content[:4] == b"RIFF"
    # A wav task id is not a music task.
    refused(app.client.get("/api/v1/generate/record-info", params={"taskId": wav["taskId"]}), 404)
    refused(app.client.get("/api/v1/mp4/record-info", params={"taskId": wav["taskId"]}), 404)
    pending = generate(app)
    refused(app.client.post("/api/v1/wav/generate", json={"taskId": pending}), 400, "complete")


def test_mp4_task_makes_the_video_when_the_server_does_not_by_default(app: InProcessApp) -> None:
    task, _ = finished(app)
    mp4 = ok_data(app.client.post("/api/v1/mp4/generate", json={"taskId": task, "author": "me"}))
    got = ok_data(app.client.get("/api/v1/mp4/record-info", params={"taskId": mp4["taskId"]}))
    assert got["successFlag"] == "PENDING" and got["response"] is None
    app.drive()  # the other clip, and the callback deliveries its stages queued
    got = ok_data(app.client.get("/api/v1/mp4/record-info", params={"taskId": mp4["taskId"]}))
    assert got["successFlag"] == "SUCCESS" and got["musicIndex"] == 0
    assert got["response"]["videoUrl"].endswith(".mp4")


@pytest.mark.parametrize("mode", ["separate_vocal", "split_stem"])
def test_vocal_removal(app: InProcessApp, mode: str) -> None:
    task, info = finished(app)
    clip = info["response"]["sunoData"][0]
    body = {"taskId": task, "audioId": clip["id"], "type": mode}
    sep = ok_data(app.client.post("/api/v1/vocal-removal/generate", json=body))
    got = ok_data(
        app.client.get("/api/v1/vocal-removal/record-info", params={"taskId": sep["taskId"]})
    )
    assert got["successFlag"] == "SUCCESS"
    response = got["response"]
    assert response["originUrl"] == clip["audioUrl"]
    for field in ("vocalUrl", "instrumentalUrl"):
        assert app.client.get(response[field]).content[:4] == b"RIFF"
    bad = {**body, "type": "karaoke"}
    refused(app.client.post("/api/v1/vocal-removal/generate", json=bad), 400, "type")


def test_cover_art_task(app: InProcessApp) -> None:
    task, _ = finished(app)
    cover = ok_data(app.client.post("/api/v1/suno/cover/generate", json={"taskId": task}))
    got = ok_data(
        app.client.get("/api/v1/suno/cover/record-info", params={"taskId": cover["taskId"]})
    )
    assert got["successFlag"] == 1 and got["parentTaskId"] == task
    images = got["response"]["images"]
    assert len(images) == 2
    assert all(app.client.get(url).headers["content-type"].startswith("image/") for url in images)


def test_replace_section_is_refused_by_name_after_its_checks(
    app: InProcessApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TONE_SECONDS", "12")
    task, info = finished(app)
    clip = info["response"]["sunoData"][0]["id"]
    body = {"taskId": task, "audioId": clip, "prompt": "x", "tags": "y", "title": "z",
            "infillStartS": 0, "infillEndS": 3}  # fmt: skip
    refused(app.client.post("/api/v1/generate/replace-section", json=body), 400, "6", "60")
    body["infillEndS"] = 10_000
    refused(app.client.post("/api/v1/generate/replace-section", json=body), 400)
    body["infillEndS"] = 6
    refused(app.client.post("/api/v1/generate/replace-section", json=body), 400, "infill", "engine")


# -- uploads -----------------------------------------------------------------------------------


def test_uploads_and_the_operations_on_them(app: InProcessApp) -> None:
    data = tone_wav()
    response = app.client.post(
        "/api/file-stream-upload",
        files={"file": ("my song.wav", data, "audio/wav")},
        data={"uploadPath": "music"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True and body["code"] == 200
    up = body["data"]
    assert up["fileName"] == "my_song.wav" and up["fileSize"] == len(data)
    assert up["filePath"] == "music/my_song.wav" and up["mimeType"] == "audio/x-wav"
    assert app.client.get(up["downloadUrl"]).content == data

    encoded = base64.b64encode(data).decode()
    b64 = app.client.post(
        "/api/file-base64-upload",
        json={"base64Data": f"data:audio/wav;base64,{encoded}", "fileName": "b.wav"},
    )
    assert b64.status_code == 200 and b64.json()["data"]["fileSize"] == len(data)
    refused(app.client.post("/api/file-base64-upload", json={"base64Data": "!!"}), 400, "base64")
    not_audio = app.client.post("/api/file-stream-upload", files={"file": ("a.wav", b"hello")})
    refused(not_audio, 400, "audio")
    url = app.client.post("/api/file-url-upload", json={"fileUrl": up["downloadUrl"]})
    refused(url, 400, "OPENCHIRP_UPLOAD_URL_FETCH")

    for path, operation in (
        ("upload-extend", "upload-extend"),
        ("upload-cover", "upload-cover"),
        ("add-instrumental", "add-instrumental"),
        ("add-vocals", "add-vocals"),
    ):
        ops = {"uploadUrl": up["downloadUrl"], "model": "V4_5", "prompt": "x", "style": "y"}
        response = app.client.post(f"/api/v1/generate/{path}", json=ops)
        refused(response, 400, operation, "engine")
        missing = {**ops, "uploadUrl": "https://example.com/x.mp3"}
        refused(app.client.post(f"/api/v1/generate/{path}", json=missing), 404, "uploadUrl")


def test_upload_size_limit(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with InProcessApp(inprocess_settings(tmp_path / "data", upload_max_bytes=1000)) as app:
        response = app.client.post("/api/file-stream-upload", files={"file": ("a.wav", tone_wav())})
        refused(response, 413, "1000")
        encoded = base64.b64encode(tone_wav()).decode()
        response = app.client.post("/api/file-base64-upload", json={"base64Data": encoded})
        refused(response, 413, "1000")


def test_composer_declares_what_it_can() -> None:
    from openchirp.engines.base import capabilities_of
    from openchirp.engines.composer.engine import ComposerEngine

    assert capabilities_of(ComposerEngine) == {"generate", "extend", "concat", "stems"}
    assert capabilities_of(object()) == frozenset()


def test_a_multipart_body_sent_as_json_is_still_read(app: InProcessApp) -> None:
    """suno-easy keeps its session's ``Content-Type: application/json`` on its upload."""
    boundary = "b0und4ry"
    data = tone_wav()
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="uploadPath"\r\n\r\nx\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
            "Content-Type: audio/wav\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = app.client.post(
        "/api/file-stream-upload", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["fileSize"] == len(data)
    plain = app.client.post("/api/file-stream-upload", json={"file": "nope"})
    refused(plain, 400, "multipart")


def test_url_upload_when_the_server_allows_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import http.server
    import threading

    data = tone_wav()

    class One(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), One)
    thread = threading.Thread(target=httpd.serve_forever)
    thread.start()
    try:
        settings = inprocess_settings(tmp_path / "data", upload_url_fetch=True)
        with InProcessApp(settings) as app:
            url = f"http://127.0.0.1:{httpd.server_port}/dir/tone.wav?x=1"
            up = ok_upload(app.client.post("/api/file-url-upload", json={"fileUrl": url}))
            assert up["fileName"] == "tone.wav" and up["fileSize"] == len(data)
            bad = app.client.post("/api/file-url-upload", json={"fileUrl": "file:///etc/passwd"})
            refused(bad, 400, "http")
    finally:
        httpd.shutdown()
        thread.join()


def ok_upload(response) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    assert response.json()["success"] is True
    return response.json()["data"]
