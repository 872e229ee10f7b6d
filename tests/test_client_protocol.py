"""openchirp.client without a server: the requests it builds and the clips it reads."""

from __future__ import annotations

from openchirp.client import protocol
from openchirp.client.models import Clip


def test_a_description_asks_gcuis_generate_and_lyrics_its_custom_generate() -> None:
    described = protocol.create(
        lyrics=None,
        description="a calm song about the sea",
        tags="",
        title="",
        negative_tags="",
        instrumental=True,
        model="chirp-v4",
    )
    assert (described.method, described.path) == ("POST", "/api/generate")
    assert described.json == {
        "prompt": "a calm song about the sea",
        "make_instrumental": True,
        "model": "chirp-v4",
    }
    written = protocol.create(
        lyrics="[Verse]\nHi",
        description=None,
        tags="pop",
        title="T",
        negative_tags="metal",
        instrumental=False,
        model=None,
    )
    assert written.path == "/api/custom_generate" and "model" not in (written.json or {})
    assert (written.json or {})["negative_tags"] == "metal"


def test_clips_read_from_the_flat_and_the_canonical_shape() -> None:
    flat = Clip.from_json(
        {"id": "a", "status": "complete", "duration": "12.5", "prompt": "la", "tags": "pop"}
    )
    nested = Clip.from_json(
        {
            "id": "b",
            "status": "streaming",
            "metadata": {"duration": 3.0, "prompt": "la", "tags": "pop", "type": "concat"},
        }
    )
    assert (flat.duration, flat.lyrics, flat.complete) == (12.5, "la", True)
    assert (nested.duration, nested.type, nested.finished) == (3.0, "concat", False)
    assert nested.raw["metadata"]["type"] == "concat"


def test_the_key_goes_only_to_the_servers_own_files() -> None:
    base = "http://127.0.0.1:3000"
    assert protocol.same_origin("http://127.0.0.1:3000/files/a.mp3", base)
    assert not protocol.same_origin("https://cdn.example.com/a.mp3", base)
    assert protocol.headers(None) == {} and protocol.headers("k") == {"Authorization": "Bearer k"}


def test_file_names_are_the_clip_id_and_the_files_extension() -> None:
    clip = Clip(id="c1", status="complete", image_url="http://h/files/c1/cover.png")
    assert protocol.file_name(clip, "cover", clip.image_url) == "c1.png"
    assert protocol.file_name(clip, "mp3", "http://h/stream/c1") == "c1.mp3"
    assert protocol.file_urls(clip, ["mp3", "cover"]) == {"cover": clip.image_url}
