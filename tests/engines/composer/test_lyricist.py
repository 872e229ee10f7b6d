"""Offline and LLM lyricists: sections, rhyme, scansion, topic, determinism, fallback."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from openchirp.engines.base import Lyricist, WrittenSong
from openchirp.engines.composer.lyricist import LLMLyricist, OfflineLyricist, make_lyrics
from openchirp.engines.composer.voice.phonemes import rhyme_tail, syllable_count, words_of

DESCRIPTIONS = [
    "a moody synthwave track about driving at night",
    "happy birthday song for my dog Max",
    "epic metal song about dragons",
    "a sad piano ballad about a lost friend",
    "summer ocean folk song",
]
SECTIONS = ["[Verse]", "[Chorus]", "[Verse 2]", "[Chorus]", "[Bridge]", "[Chorus]"]


def sections(lyrics: str) -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    for line in lyrics.splitlines():
        if re.fullmatch(r"\[[^\]]+\]", line.strip()):
            out.append((line.strip(), []))
        elif line.strip():
            out[-1][1].append(line.strip())
    return out


def last_word_tail(line: str) -> tuple[str, ...]:
    return rhyme_tail(words_of(line)[-1])


def test_is_a_lyricist() -> None:
    assert isinstance(OfflineLyricist(), Lyricist)
    assert isinstance(LLMLyricist("http://127.0.0.1:9", "m"), Lyricist)


@pytest.mark.parametrize("description", DESCRIPTIONS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_song_has_sections_that_rhyme_and_scan(description: str, seed: int) -> None:
    song = make_lyrics(description, seed)
    assert song.title.strip() and song.tags.strip()
    parts = sections(song.lyrics)
    assert [name for name, _ in parts] == SECTIONS
    for name, lines in parts:
        assert len(lines) in (2, 4)
        counts = [syllable_count(line) for line in lines]
        assert max(counts) - min(counts) <= 2, (name, lines, counts)
        assert min(counts) >= 5 and max(counts) <= 11
        tails = [last_word_tail(line) for line in lines]
        # Every line's end rhymes with another line of its section (AABB or ABAB).
        for i, tail in enumerate(tails):
            assert any(tail == other for j, other in enumerate(tails) if j != i), (name, lines)
    # The chorus is the same each time it comes back.
    choruses = [lines for name, lines in parts if name == "[Chorus]"]
    assert choruses[0] == choruses[1] == choruses[2]


def test_description_topic_words_appear() -> None:
    lyrics = make_lyrics("happy birthday song for my dog Max", 3).lyrics
    for w in ("Max", "dog", "birthday"):
        assert re.search(rf"\b{w}\b", lyrics), w
    night = make_lyrics("a moody synthwave track about driving at night", 3).lyrics.lower()
    assert "driving" in night and "night" in night
    assert "dragons" in make_lyrics("epic metal song about dragons", 5).lyrics


def test_tags_come_from_the_description_or_its_theme() -> None:
    assert "synthwave" in make_lyrics("a moody synthwave track about driving at night", 0).tags
    assert "moody" in make_lyrics("a moody synthwave track about driving at night", 0).tags
    metal = make_lyrics("epic metal song about dragons", 0).tags
    assert "metal" in metal and "epic" in metal
    birthday = make_lyrics("happy birthday song for my dog Max", 0).tags
    assert "happy" in birthday
    assert make_lyrics("a song about rain and goodbye", 0).tags  # theme default genre and mood


def test_deterministic_per_seed_and_different_across_seeds() -> None:
    d = DESCRIPTIONS[0]
    assert make_lyrics(d, 11) == make_lyrics(d, 11)
    assert len({make_lyrics(d, s).lyrics for s in range(6)}) == 6


def test_instrumental_has_no_lyrics() -> None:
    song = OfflineLyricist().write("chill lofi beat for studying", seed=1, instrumental=True)
    assert song.lyrics == "" and "instrumental" in song.tags and song.title


@pytest.mark.parametrize(
    "description",
    [
        "",
        "   ",
        "🙂" * 30,
        "x" * 500,
        "a" * 20 + " " + "🔥 " * 100,
        "東京の夜 über café",
        "123 456",
    ],
)
def test_odd_descriptions_never_fail(description: str) -> None:
    song = make_lyrics(description, 4)
    assert song.title and song.tags
    assert [name for name, _ in sections(song.lyrics)] == SECTIONS


# --- LLM lyricist against a real local HTTP server -------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    reply: bytes = b""
    status: int = 200
    requests: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).requests.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "json": json.loads(body)}
        )
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(type(self).reply)))
        self.end_headers()
        self.wfile.write(type(self).reply)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_llm() -> Iterator[type[_Handler]]:
    handler = type("Handler", (_Handler,), {"requests": []})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    try:
        yield handler
    finally:
        server.shutdown()
        server.server_close()


def completion(content: str) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "tiny",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
        }
    ).encode()


def test_llm_lyricist_uses_the_chat_answer(fake_llm: type[_Handler]) -> None:
    song = {
        "title": "Paper Moon",
        "tags": ["dream pop", "hazy"],
        "lyrics": "[Verse]\nPaper moon above the sea\nSinging softly just for me\n\n"
        "[Chorus]\nOh oh",
    }
    fake_llm.reply = completion("Sure! ```json\n" + json.dumps(song) + "\n```")
    lyricist = LLMLyricist(fake_llm.url, "tiny", api_key="k123")  # type: ignore[attr-defined]
    got = lyricist.write("dreamy song about the moon", seed=9)
    assert got == WrittenSong("Paper Moon", "dream pop, hazy", song["lyrics"])
    (req,) = fake_llm.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["auth"] == "Bearer k123"
    assert req["json"]["model"] == "tiny"
    assert "dreamy song about the moon" in req["json"]["messages"][-1]["content"]


def test_llm_lyricist_keeps_the_named_genre(fake_llm: type[_Handler]) -> None:
    song = {
        "title": "Moon",
        "tags": "dream pop, hazy",
        "lyrics": "[Verse]\nPaper moon above the sea",
    }
    fake_llm.reply = completion(json.dumps(song))
    got = LLMLyricist(fake_llm.url, "tiny").write("a jazzy song about the moon", seed=1)  # type: ignore[attr-defined]
    assert got.tags == "jazz, dream pop, hazy" and got.lyrics == song["lyrics"]
    song["tags"] = "smooth jazz, late night"  # already led by jazz: kept as the model wrote it
    fake_llm.reply = completion(json.dumps(song))
    got = LLMLyricist(fake_llm.url, "tiny").write("a jazzy song about the moon", seed=1)  # type: ignore[attr-defined]
    assert got.tags == "smooth jazz, late night"


@pytest.mark.parametrize(
    ("status", "reply"),
    [
        (200, b"this is not json"),
        (200, completion("no json here")),
        (200, completion(json.dumps({"title": "", "tags": "x", "lyrics": "[Verse]\nla"}))),
        (200, completion(json.dumps({"title": "T", "tags": "x", "lyrics": "no sections at all"}))),
        (500, completion("{}")),
    ],
)
def test_llm_lyricist_falls_back_on_garbage(
    fake_llm: type[_Handler], status: int, reply: bytes
) -> None:
    fake_llm.status, fake_llm.reply = status, reply
    got = LLMLyricist(fake_llm.url + "/v1", "tiny").write("epic metal song about dragons", seed=2)  # type: ignore[attr-defined]
    assert got == make_lyrics("epic metal song about dragons", 2)
    assert len(fake_llm.requests) == 1


def test_llm_lyricist_falls_back_when_nobody_answers() -> None:
    got = LLMLyricist("http://127.0.0.1:9", "tiny", timeout=0.5).write("sad song", seed=1)
    assert got == make_lyrics("sad song", 1)
