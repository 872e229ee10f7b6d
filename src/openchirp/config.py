"""Settings from the environment (``OPENCHIRP_*``), one object passed down to everything."""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import tempfile
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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
    # Neural engines: imported only when a model key runs on them (``pip install .[neural]``).
    "acestep": "openchirp.engines.acestep.engine:AceStepEngine",
    "musicgen": "openchirp.engines.musicgen.engine:MusicgenEngine",
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
    worker_engines: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """The engines whose renders the embedded workers take (comma-separated; empty: all). Leave
    a GPU engine out (``composer``) and run ``openchirp worker --engines acestep`` for it, so the
    CPU workers never load the model."""
    lease_seconds: float = 20.0
    heartbeat_seconds: float = 2.0
    poll_seconds: float = 0.1
    max_attempts: int = 3
    render_pipeline: bool = True
    """A worker of a batching engine (a model on a GPU) claims the next waiting renders and
    starts their model call while it writes the last batch's files (mp3, wav, peaks, covers):
    the device does not wait for the encoders. False: one batch at a time (the bench's baseline)."""
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
    studio_token_seconds: float = 120.0
    """How long a studio session token (JWT) lives; clients renew it through Clerk on a 401."""
    dialects: list[str] = Field(default_factory=list)
    """Extra client APIs served beside the built-in ones: "package.module:DIALECT" each."""
    engines: dict[str, str] = Field(default_factory=dict)
    """Extra engines: name -> "module:Class"."""
    model_engines: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    """Model key -> engine name, over the defaults: JSON (``{"chirp-v4-5": "acestep"}``) or
    ``chirp-v4-5=acestep,chirp-auk=acestep``."""
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

    queue_url: str | None = None
    """A Celery broker (``redis://...`` or ``amqp://...``): jobs are dispatched through it to
    ``openchirp worker`` processes on any machine. None: the embedded database queue."""
    queue_visibility_timeout: float = 7200.0
    """Seconds before Redis hands an unacknowledged message out again: longer than the longest
    render (the database lease, not this, is what detects a lost worker)."""
    queue_sweep_seconds: float = 1.0
    """How often each Celery worker re-queues expired leases and publishes jobs that need a
    message (retries, hand-backs, jobs whose publish was lost)."""
    queue_redispatch_seconds: float = 600.0
    """A pending job whose message went out this long ago is published again (a lost message)."""
    log_format: Literal["text", "json"] = "text"
    """``json``: one JSON object a line, with the request id carried into the jobs it queued."""
    upload_url_fetch: bool = False
    """Let clients have the server download audio from a URL (sunoapi.org's file-url-upload).
    Off by default: the server makes no requests to hosts a client names unless this is on."""
    upload_max_bytes: int = 50 * 1024 * 1024
    """The largest audio file a client may upload (any of the three upload routes)."""
    callbacks: bool = True
    """Post batches' stages to their callback URLs (``off`` for offline hosts: none are queued)."""
    callback_allow_private: bool = False
    """Allow callbacks to private, loopback, link-local and metadata addresses (tests, LANs)."""
    callback_timeout_s: float = 15.0
    """How long a receiver has to answer one delivery."""
    callback_attempts: int = 5
    callback_retry_delay_s: float = 10.0
    """The wait before the second try; each later wait is three times the one before."""

    storage_url: str | None = None
    """Where finished files are published: ``file:///folder`` (default: ``data_dir/files``) or
    ``s3://bucket/prefix`` (endpoint, region and keys from the usual ``AWS_*`` variables)."""
    storage_serve: Literal["proxy", "redirect"] = "proxy"
    """How ``/files/<key>`` answers for a remote backend: stream the object through, or 307 to a
    presigned URL (the local backend always serves the file itself)."""

    # -- web and network exposure --------------------------------------------------------------
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Web origins (``https://app.example``) whose pages may call the API with the user's
    session or as the local owner; comma-separated. Other origins may only call it with a key."""
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """``Host`` names accepted besides localhost, 127.0.0.1 and [::1] (and the base URL's host)
    when bound to loopback, against DNS rebinding; when bound elsewhere, the only ones accepted
    if any are given. ``name`` (any port) or ``name:port``; comma-separated."""
    signed_urls: Literal["auto", "on", "off"] = "auto"
    """Private clips' file URLs carry ``?exp=&sig=``: ``auto`` when not bound to loopback."""
    signed_url_seconds: int = Field(default=7 * 24 * 3600, ge=60)
    """How long a signed file URL works (polls re-sign once half of it has passed)."""
    secret_key: str | None = None
    """Signs file URLs, session cookies and the studio API's session tokens (JWTs). None: a
    random key made on first use and kept in the data folder, so every process on this data
    folder and every restart agree; set it when API processes run on hosts that share none."""

    @field_validator("cors_origins", "allowed_hosts", "worker_engines", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [v.strip() for v in text.split(",") if v.strip()]
        return value

    @field_validator("model_engines", mode="before")
    @classmethod
    def _pairs(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("{"):
                return json.loads(text)
            pairs = {}
            for item in filter(None, (p.strip() for p in text.split(","))):
                key, sep, engine = item.partition("=")
                if not sep or not key.strip() or not engine.strip():
                    raise ValueError(f"{item!r} is not model=engine")
                pairs[key.strip()] = engine.strip()
            return pairs
        return value

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
    def secret(self) -> bytes:
        """The server's secret: ``secret_key``, else one made on the first start and kept in the
        data folder, so every process (API, workers, the CLI) signs alike."""
        if self.secret_key:
            return self.secret_key.encode()
        return _kept_secret(self.data_dir / SECRET_FILE)

    @cached_property
    def sign_file_urls(self) -> bool:
        if self.signed_urls == "auto":
            return not is_loopback(self.host)
        return self.signed_urls == "on"

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


SECRET_FILE = "secret-key"


def _kept_secret(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        os.write(fd, secrets.token_urlsafe(32).encode())
        os.close(fd)
        # A link never replaces: of processes starting together, the first one's secret wins.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    return path.read_bytes().strip()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
