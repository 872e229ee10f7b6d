"""Drive the ``suno-api`` client library (PyPI, 0.1.0) unchanged against an OpenChirp server.

Run in its own process with the library's folder on PYTHONPATH (its top-level package ``suno``
is also SunoAI's). Arguments: the server's URL and the ``Cookie`` to send. Prints a JSON report.

The library hard-codes clerk.suno.ai and studio-api.suno.ai. Only those two hosts are redirected,
in this process: curl_cffi's ``Session.request``, the one call the library makes, gets the URL
with the host replaced by the server's. Routes the library has no method for (extend, lyrics, the
audio download) go through its own ``Suno.request``, so they use its session and its renewal on
401.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from curl_cffi import CurlHttpVersion
from curl_cffi import requests as curl

SERVER, COOKIE = sys.argv[1], sys.argv[2]
HOSTS = ("https://clerk.suno.ai", "https://studio-api.suno.ai")
STUDIO = "https://studio-api.suno.ai"
_request = curl.Session.request


def redirected(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
    for host in HOSTS:
        if url.startswith(host):
            url = SERVER + url[len(host) :]
            # The real hosts are https, where curl agrees HTTP/2 in the TLS handshake. Over plain
            # http it would offer an h2c upgrade instead, and uvicorn's httptools parser drops the
            # body of a request that asks to upgrade: keep to HTTP/1.1, as TLS would have it.
            kwargs["http_version"] = CurlHttpVersion.V1_1
    response = _request(self, method, url, *args, **kwargs)
    if response.status_code >= 400:  # for the test's failure message
        print(method, url, response.status_code, response.text[:500], file=sys.stderr)
    return response


curl.Session.request = redirected  # type: ignore[method-assign]

from suno import Suno  # noqa: E402  (after the redirect, as a user's own code would be)

renewals = 0
_renew = Suno._renew


def counted(self: Suno) -> None:
    global renewals
    renewals += 1
    _renew(self)


Suno._renew = counted  # type: ignore[method-assign]


def wait(client: Suno, ids: list[str]) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 120
    while True:
        clips = [client.songs.get(i) for i in ids]
        if all(c["status"] in ("complete", "error") for c in clips):
            return clips
        if time.monotonic() > deadline:
            raise TimeoutError([c["status"] for c in clips])
        time.sleep(0.3)


def main() -> None:
    client = Suno(COOKIE)
    report: dict[str, Any] = {"credits_before": client.get_credits()}
    songs = client.songs.generate(
        "[Verse]\nrolling down the line\nall the time", custom=True, tags="folk"
    )
    done = wait(client, [s["id"] for s in songs])
    report["statuses"] = [c["status"] for c in done]
    report["handles"] = [c["handle"] for c in done]
    audio = client.request("GET", done[0]["audio_url"], allow_redirects=False)
    report["audio"] = [audio.status_code, audio.headers.get("content-type"), len(audio.content)]
    report["library"] = [c["id"] for c in client.songs.list()]
    extend = {
        "mv": "chirp-v3-0",
        "prompt": "[Verse]\nand on",
        "continue_clip_id": done[0]["id"],
        "continue_at": 1.0,
    }
    reply = client.request("POST", f"{STUDIO}/api/generate/v2/", data=json.dumps(extend))
    extended = wait(client, [c["id"] for c in reply.json()["clips"]])
    report["extended_history"] = [h["id"] for h in extended[0]["metadata"]["history"]]
    lyrics_id = client.request(
        "POST", f"{STUDIO}/api/generate/lyrics/", data=json.dumps({"prompt": "trains"})
    ).json()["id"]
    deadline = time.monotonic() + 60
    while (lyrics := client.request("GET", f"{STUDIO}/api/generate/lyrics/{lyrics_id}").json())[
        "status"
    ] != "complete" and time.monotonic() < deadline:
        time.sleep(0.3)
    report["lyrics"] = [lyrics["status"], bool(lyrics["text"]), bool(lyrics["title"])]
    before_expiry = renewals
    time.sleep(float(sys.argv[3]) + 1.5)  # the JWT expires; the next call must renew it
    report["credits_after"] = client.get_credits()
    report["renewed_on_expiry"] = renewals > before_expiry
    report["renewals"] = renewals
    print(json.dumps(report))


if __name__ == "__main__":
    main()
