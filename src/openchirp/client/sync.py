"""``Client``: the blocking client, for scripts."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx

from openchirp.client import protocol
from openchirp.client.errors import NotFound, WaitTimeout
from openchirp.client.models import Clip, Limits

CHUNK = 1 << 16
Progress = Callable[[str, int, int | None], None]
"""Called as a file downloads: (file name, bytes so far, total bytes or None)."""


class Client:
    """An OpenChirp (or any gcui-art/suno-api) server at ``base_url`` (default ``$OPENCHIRP_URL``,
    else http://127.0.0.1:3000), with ``api_key`` (default ``$OPENCHIRP_API_KEY``; none is needed
    on a server bound to loopback)."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        http: httpx.Client | None = None,
    ) -> None:
        self.base_url = protocol.base_url(base_url)
        self._key = protocol.api_key(api_key)
        self._http = http or httpx.Client(timeout=timeout)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _call(self, call: protocol.Call) -> Any:
        response = self._http.request(
            call.method,
            self.base_url + call.path,
            params=call.params or None,
            json=call.json,
            headers=protocol.headers(self._key),
        )
        return protocol.payload(response)

    # -- songs -----------------------------------------------------------------------------

    def create(
        self,
        lyrics: str | None = None,
        *,
        tags: str = "",
        title: str = "",
        negative_tags: str = "",
        instrumental: bool = False,
        description: str | None = None,
        model: str | None = None,
    ) -> list[Clip]:
        """Start a song from lyrics (or from a one-line ``description``): its two clips."""
        call = protocol.create(
            lyrics=lyrics,
            description=description,
            tags=tags,
            title=title,
            negative_tags=negative_tags,
            instrumental=instrumental,
            model=model,
        )
        return protocol.clips(self._call(call))

    def extend(
        self,
        clip_id: str,
        continue_at: float,
        *,
        lyrics: str = "",
        tags: str = "",
        title: str = "",
        negative_tags: str = "",
        model: str | None = None,
    ) -> list[Clip]:
        """Continue a complete clip from ``continue_at`` seconds into it (0 < it < duration)."""
        call = protocol.extend(
            clip_id,
            continue_at=continue_at,
            lyrics=lyrics,
            tags=tags,
            title=title,
            negative_tags=negative_tags,
            model=model,
        )
        return protocol.clips(self._call(call))

    def concat(self, clip_id: str) -> Clip:
        """One clip with the whole song an extension belongs to."""
        return protocol.clips(self._call(protocol.concat(clip_id)))[0]

    def get(self, ids: Iterable[str]) -> list[Clip]:
        """Clips by id, in the order asked; :class:`NotFound` if one is not there."""
        wanted = list(ids)
        found = {c.id: c for c in protocol.clips(self._call(protocol.get(wanted)))}
        missing = [i for i in wanted if i not in found]
        if missing:
            raise NotFound(404, f"no clip {', '.join(missing)}", "ids")
        return [found[i] for i in wanted]

    def clip(self, clip_id: str) -> Clip:
        return self.get([clip_id])[0]

    def library(self, page: int = 0) -> list[Clip]:
        """The caller's clips, newest first, a page at a time."""
        return protocol.clips(self._call(protocol.library(page)))

    def limits(self) -> Limits:
        return protocol.limits_of(self._call(protocol.limits()))

    def wait(
        self,
        clips: Iterable[Clip | str],
        *,
        timeout: float = 600.0,
        interval: float = 0.5,
        on_update: Callable[[list[Clip]], None] | None = None,
        raise_on_error: bool = True,
    ) -> list[Clip]:
        """Poll until every clip is complete (or failed: :class:`ClipFailed` unless
        ``raise_on_error`` is false); ``on_update`` sees every poll's clips."""
        ids = [c.id if isinstance(c, Clip) else c for c in clips]
        deadline = time.monotonic() + timeout
        while True:
            found = self.get(ids)
            if on_update:
                on_update(found)
            if all(c.finished for c in found):
                protocol.check_finished(found, raise_on_error)
                return found
            if time.monotonic() >= deadline:
                raise WaitTimeout(found, timeout)
            time.sleep(interval)

    # -- files -----------------------------------------------------------------------------

    def wav_url(self, clip_id: str) -> str:
        return str(self._call(protocol.wav(clip_id))["wav_url"])

    def download(
        self,
        clip: Clip | str,
        out: Path | str,
        files: Iterable[str] = ("mp3", "wav", "cover"),
        *,
        on_progress: Progress | None = None,
    ) -> list[Path]:
        """Save a complete clip's files into ``out`` as ``<id>.mp3``, ``.wav``, ``.jpeg``,
        ``.mp4``; the paths written, in the order asked."""
        clip = self.clip(clip) if isinstance(clip, str) else clip
        protocol.check_downloadable(clip)
        wanted = list(files)
        urls = protocol.file_urls(clip, wanted)
        if "wav" in wanted:
            urls["wav"] = self.wav_url(clip.id)
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for kind in (k for k in wanted if k in urls):
            path = folder / protocol.file_name(clip, kind, urls[kind])
            self._fetch(urls[kind], path, on_progress)
            written.append(path)
        return written

    def _fetch(self, url: str, path: Path, on_progress: Progress | None) -> None:
        auth = protocol.headers(self._key) if protocol.same_origin(url, self.base_url) else {}
        partial = path.with_name(path.name + ".part")
        try:
            with self._http.stream("GET", url, headers=auth, follow_redirects=True) as response:
                if not response.is_success:
                    response.read()
                    protocol.payload(response)
                total, done = protocol.length(response), 0
                with partial.open("wb") as sink:
                    for chunk in response.iter_bytes(CHUNK):
                        sink.write(chunk)
                        done += len(chunk)
                        if on_progress:
                            on_progress(path.name, done, total)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
