"""The whole API flow in this process, each dialect: create, run the jobs, poll, extend, concat,
stems, and the files. No server process: ``app.drive()`` runs the queued jobs, so every state
between requests is the one the test set up."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.inprocess import BASE_URL, InProcessApp, inprocess_settings
from tests.support.tone_engine import lyric_words

LYRICS = "[Verse]\nStars they shine above me\nMoonlight softly glows\n\n[Chorus]\nStarry night"


def clips_of(app: InProcessApp, ids: list[str]) -> list[dict]:
    response = app.client.get("/api/get", params={"ids": ",".join(ids)})
    assert response.status_code == 200, response.text
    return response.json()


def test_gcui_create_waits_for_the_worker_then_completes(app: InProcessApp) -> None:
    response = app.client.post(
        "/api/custom_generate", json={"prompt": LYRICS, "tags": "heavy metal", "title": "Starry"}
    )
    assert response.status_code == 200, response.text
    ids = [c["id"] for c in response.json()]
    assert len(ids) == 2
    # Nothing runs until the test drives the worker.
    assert {c["status"] for c in clips_of(app, ids)} == {"submitted"}
    assert app.drive() == 1  # one render job takes its sibling: both clips made together
    done = clips_of(app, ids)
    assert [c["status"] for c in done] == ["complete", "complete"]
    for clip in done:
        assert clip["title"] == "Starry" and clip["tags"] == "heavy metal"
        assert clip["audio_url"].startswith(f"{BASE_URL}/files/")
        assert float(clip["duration"]) > 0
    assert app.drive() == 0


def test_gcui_extend_concat_stems_and_files(app: InProcessApp) -> None:
    client = app.client
    created = client.post("/api/custom_generate", json={"prompt": LYRICS, "tags": "pop"}).json()
    app.drive()
    source = clips_of(app, [created[0]["id"]])[0]

    extension = client.post(
        "/api/extend_audio",
        json={"audio_id": source["id"], "continue_at": 1.25, "prompt": "[Verse]\nOn and on"},
    )
    assert extension.status_code == 200, extension.text
    ext_id = extension.json()[0]["id"]
    app.drive()
    ext = client.get("/api/clip", params={"id": ext_id}).json()
    assert ext["status"] == "complete"
    assert [h["id"] for h in ext["metadata"]["history"]] == [source["id"]]

    concat = client.post("/api/concat", json={"clip_id": ext_id})
    assert concat.status_code == 200, concat.text
    whole_id = concat.json()["id"]
    assert concat.json()["metadata"]["type"] == "concat"
    app.drive()
    whole = clips_of(app, [whole_id])[0]
    assert whole["status"] == "complete"
    assert abs(float(whole["duration"]) - (1.25 + float(ext["metadata"]["duration"]))) < 0.05

    stems = client.post("/api/generate_stems", json={"audio_id": source["id"]})
    assert stems.status_code == 200, stems.text
    stem_ids = [s["id"] for s in stems.json()]
    assert [s["stem_from_id"] for s in stems.json()] == [source["id"]] * 2
    app.drive()
    assert [c["status"] for c in clips_of(app, stem_ids)] == ["complete", "complete"]
    for stem_id in stem_ids:
        wav_url = client.get("/api/get_wav", params={"id": stem_id}).json()["wav_url"]
        wav = client.get(wav_url)
        assert wav.status_code == 200 and wav.content[:4] == b"RIFF"

    audio_url = whole["audio_url"]
    mp3 = client.get(audio_url)
    assert mp3.status_code == 200 and mp3.headers["content-type"] == "audio/mpeg"
    part = client.get(audio_url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == mp3.content[100:200]
    head = client.head(audio_url)
    assert head.status_code == 200 and int(head.headers["content-length"]) == len(mp3.content)
    etag = mp3.headers["etag"]
    assert client.get(audio_url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(whole["image_url"]).content[:2] == b"\xff\xd8"
    words = client.get("/api/get_aligned_lyrics", params={"song_id": source["id"]}).json()
    assert [w["word"] for w in words] == lyric_words(LYRICS)


def test_gcui_wait_audio_with_a_worker_running(app: InProcessApp) -> None:
    with app.working():
        response = app.client.post(
            "/api/custom_generate", json={"prompt": LYRICS, "tags": "pop", "wait_audio": True}
        )
    assert response.status_code == 200, response.text
    assert all(c["status"] in ("streaming", "complete") for c in response.json())
    assert all(c["audio_url"] for c in response.json())


def test_suno_v2_task_extend_and_listing(app: InProcessApp) -> None:
    client = app.client
    created = client.post(
        "/api/v2/suno/v3.5/custom/create-lyrics-song",
        json={"prompt": LYRICS, "tags": "heavy metal", "title": "Starry"},
    )
    assert created.status_code == 200, created.text
    task_id = created.json()["data"]["task_id"]
    pending = client.get(f"/api/v2/suno/v3.5/clip/{task_id}").json()["data"]
    assert pending["status"] != "completed"
    app.drive()
    data = client.get(f"/api/v2/suno/v3.5/clip/{task_id}").json()["data"]
    assert data["status"] == "completed" and json.loads(data["input"])["tags"] == "heavy metal"
    ids = list(data["clips"])
    listing = client.get("/api/v2/suno/v3.5/clips", params={"ids": ",".join(ids)}).json()
    assert [c["id"] for c in listing["clips"]] == ids
    assert {c["status"] for c in listing["clips"]} == {"complete"}

    extended = client.post(
        "/api/v2/suno/v3.5/extend",
        json={
            "prompt": "[Verse]\nTesla riding",
            "tags": "epic reggae",
            "title": "Electric Dreams",
            "continue_clip_id": ids[0],
            "continue_at": 1.5,
        },
    )
    assert extended.status_code == 200, extended.text
    ext_ids = [c["id"] for c in extended.json()["clips"]]
    app.drive()
    assert [c["status"] for c in clips_of(app, ext_ids)] == ["complete", "complete"]


def test_suno_v1_lyrics_job(app: InProcessApp) -> None:
    response = app.client.post("/api/v1/suno/make-lyrics", json={"prompt": "a song about rain"})
    assert response.status_code == 200, response.text
    task_id = response.json()["data"]["task_id"]
    app.drive()
    data = app.client.get(f"/api/v1/suno/get-lyrics/{task_id}").json()["data"]
    assert data["status"] == "complete" and "[" in data["text"]


def test_chat_completion_with_a_worker_running(app: InProcessApp) -> None:
    with app.working():
        response = app.client.post(
            "/v1/chat/completions",
            json={"model": "chirp-v3-5", "messages": [{"role": "user", "content": "a dog song"}]},
        )
    assert response.status_code == 200, response.text
    content = response.json()["choices"][0]["message"]["content"]
    assert content.count("## Song") == 2 and ".mp3" in content


def test_a_failing_render_ends_the_clip_in_error(tmp_path: Path) -> None:
    settings = inprocess_settings(tmp_path / "data", max_attempts=1)
    with InProcessApp(settings) as app:
        clips = app.client.post(
            "/api/custom_generate", json={"prompt": LYRICS, "tags": "fail-always"}
        ).json()
        app.drive()
        for clip in app.client.get("/api/get", params={"ids": clips[0]["id"]}).json():
            assert clip["status"] == "error"
            full = app.client.get("/api/clip", params={"id": clip["id"]}).json()
            assert "asked to fail" in json.dumps(full["metadata"])
