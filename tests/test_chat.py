"""`/v1/chat/completions` answers in OpenAI's shapes, plain and streamed."""

from __future__ import annotations

import json

import pytest

from tests.support.server import Server

pytestmark = pytest.mark.e2e


def test_chat_completion_makes_songs(server: Server) -> None:
    with server.client() as client:
        response = client.post(
            "/v1/chat/completions",
            json={
                "model": "chirp-v3-5",
                "messages": [
                    {"role": "system", "content": "You write songs."},
                    {"role": "user", "content": "a happy song about my dog Max"},
                ],
            },
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
        assert isinstance(body["created"], int) and body["model"] == "chirp-v3-5"
        choice = body["choices"][0]
        assert choice["finish_reason"] == "stop" and choice["message"]["role"] == "assistant"
        content = choice["message"]["content"]
        assert content.count("## Song") == 2 and ".mp3" in content
        usage = body["usage"]
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
        assert len(client.get("/api/get").json()) >= 2


def test_chat_completion_streams_sse(server: Server) -> None:
    with (
        server.client() as client,
        client.stream(
            "POST",
            "/v1/chat/completions",
            json={
                "messages": [
                    {"role": "user", "content": [{"type": "text", "text": "a calm piano piece"}]}
                ],
                "stream": True,
            },
        ) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert "calm piano piece" in text and ".mp3" in text


def test_chat_needs_a_user_message(server: Server) -> None:
    with server.client() as client:
        response = client.post(
            "/v1/chat/completions", json={"messages": [{"role": "system", "content": "hi"}]}
        )
        assert response.status_code == 422
        assert response.json()["error"]["param"] == "messages"
        response = client.post("/v1/chat/completions", json={"messages": []})
        assert response.status_code == 422
