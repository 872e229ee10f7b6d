"""Settings from the environment (``OPENCHIRP_*``), one object passed down to everything."""

from __future__ import annotations

import ipaddress
import os
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Model keys clients send, their Suno major versions, and the engine each one runs on by default.
DEFAULT_MODEL_ENGINES: dict[str, str] = {
    "chirp-v3-0": "composer",
    "chirp-v3-5": "composer",
    "chirp-v4": "composer",
    "chirp-auk": "composer",
    "chirp-auk-turbo": "composer",
    "chirp-bluejay": "composer",
    "chirp-crow": "composer",
    "chirp-fenix": "composer",
}

BUILTIN_ENGINES: dict[str, str] = {
    "composer": "openchirp.engines.composer.engine:ComposerEngine",
}
BUILTIN_LYRICISTS: dict[str, str] = {
    "offline": "openchirp.engines.composer.lyricist:OfflineLyricist",
    "llm": "openchirp.engines.composer.lyricist:LLMLyricist",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENCHIRP_", extra="ignore")

    data_dir: Path = Path("./data")
    database_url: str | None = None
    """SQLAlchemy URL; default is a SQLite file in ``data_dir``."""
    host: str = "127.0.0.1"
    port: int = 3000
    base_url: str | None = None
    """Absolute URL clients reach the server at; clip URLs start with it."""

    workers: int = Field(default_factory=lambda: os.cpu_count() or 1)
    """Embedded worker processes started by ``serve`` (0: none, run ``openchirp worker``)."""
    lease_seconds: float = 20.0
    heartbeat_seconds: float = 2.0
    poll_seconds: float = 0.1
    max_attempts: int = 3
    preempt: bool = True
    """A video or stems job hands its worker back when a song's audio waits (checked between
    frames): new songs never wait behind older songs' videos."""

    anonymous: bool | None = None
    """Serve requests without a key as the local owner. None: only when bound to loopback."""
    default_monthly_credits: int | None = None
    """Credits per user and month; None is unlimited."""
    credits_per_clip: int = 5

    wait_audio_timeout: float = 100.0
    max_body_bytes: int = 1024 * 1024
    """The largest request body accepted (JSON): larger ones are refused before being read.
    Upload routes (``/api/file-*-upload``) take ``upload_max_bytes`` in base64 beside it."""
    min_free_disk_bytes: int = 256 * 1024 * 1024
    """``/readyz`` fails when the data folder's disk has less free space than this."""
    dialects: list[str] = Field(default_factory=list)
    """Extra client APIs served beside the built-in ones: "package.module:DIALECT" each."""
    engines: dict[str, str] = Field(default_factory=dict)
    """Extra engines: name -> "module:Class"."""
    model_engines: dict[str, str] = Field(default_factory=dict)
    """Model key -> engine name, over the defaults."""
    default_engine: str | None = None
    """Run every model on this engine (name or "module:Class")."""

    engine_options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Keyword arguments of each engine's constructor, by engine name (JSON), e.g.
    ``{"composer": {"soundfont": "/sf/GeneralUser.sf2"}, "acestep": {"model_dir": "..."}}``."""
    soundfont: Path | None = None
    """The composer's SoundFont: the same as ``engine_options.composer.soundfont``."""
    lyricist: str | None = None
    """The lyricist: "module:Class", or a built-in (``offline``, ``llm``). Default: ``llm`` when
    ``lyricist_url`` is set, ``offline`` otherwise."""
    lyricist_options: dict[str, Any] = Field(default_factory=dict)
    """Keyword arguments of the lyricist's constructor (JSON)."""
    lyricist_url: str | None = None
    """OpenAI-compatible endpoint for lyrics (the ``llm`` lyricist's ``base_url``)."""
    lyricist_model: str = "gpt-4o-mini"
    lyricist_api_key: str | None = None

    make_video: bool = True

    upload_url_fetch: bool = False
    """Let clients have the server download audio from a URL (sunoapi.org's file-url-upload).
    Off by default: the server makes no requests to hosts a client names unless this is on."""
    upload_max_bytes: int = 50 * 1024 * 1024
    """The largest audio file a client may upload (any of the three upload routes)."""

    storage_url: str | None = None
    """Where finished files are published: ``file:///folder`` (default: ``data_dir/files``) or
    ``s3://bucket/prefix`` (endpoint, region and keys from the usual ``AWS_*`` variables)."""
    storage_serve: Literal["proxy", "redirect"] = "proxy"
    """How ``/files/<key>`` answers for a remote backend: stream the object through, or 307 to a
    presigned URL (the local backend always serves the file itself)."""

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'openchirp.db').resolve()}"

    @cached_property
    def public_base_url(self) -> str:
        if self.base_url:
            return self.base_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @cached_property
    def resolved_storage_url(self) -> str:
        return self.storage_url or self.files_dir.resolve().as_uri()

    @cached_property
    def allow_anonymous(self) -> bool:
        if self.anonymous is not None:
            return self.anonymous
        return is_loopback(self.host)

    def engine_for_model(self, model: str) -> str:
        if self.default_engine:
            return self.default_engine
        return {**DEFAULT_MODEL_ENGINES, **self.model_engines}.get(model, "composer")

    def engine_spec(self, name: str) -> str:
        """Import path of an engine: a configured name, a built-in, or "module:Class" itself."""
        specs = {**BUILTIN_ENGINES, **self.engines}
        if name in specs:
            return specs[name]
        if ":" in name:
            return name
        raise KeyError(f"unknown engine {name!r}")

    def engine_options_for(self, name: str) -> dict[str, Any]:
        """The keyword arguments an engine is built with (``soundfont`` is the composer's)."""
        options = dict(self.engine_options.get(name, {}))
        if name == "composer" and self.soundfont is not None:
            options.setdefault("soundfont", str(self.soundfont))
        return options

    def lyricist_factory(self) -> tuple[str, dict[str, Any]]:
        """The lyricist's "module:Class" and the keyword arguments it is built with."""
        name = self.lyricist or ("llm" if self.lyricist_url else "offline")
        options: dict[str, Any] = {}
        if name == "llm" and self.lyricist_url:
            options = {
                "base_url": self.lyricist_url,
                "model": self.lyricist_model,
                "api_key": self.lyricist_api_key,
            }
        return BUILTIN_LYRICISTS.get(name, name), {**options, **self.lyricist_options}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
