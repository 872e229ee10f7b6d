"""``openchirp create | get | extend | concat | download | credits``: songs from a shell.

They talk HTTP to a server (``--url``/``$OPENCHIRP_URL``, ``--key``/``$OPENCHIRP_API_KEY``); with
neither given they use the server that runs from the data folder, as its ``server.json`` and
owner key say. Clip ids and file paths go to stdout, one a line; progress goes to stderr.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import httpx
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

from openchirp import instance
from openchirp.client import protocol
from openchirp.client.errors import OpenChirpError
from openchirp.client.models import Clip
from openchirp.client.sync import Client

T = TypeVar("T")
stderr = Console(stderr=True)

Url = Annotated[str | None, typer.Option("--url", envvar=protocol.URL_ENV, help="The server's URL")]
Key = Annotated[
    str | None, typer.Option("--key", envvar=protocol.KEY_ENV, help="API key", show_default=False)
]
DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", envvar="DATA_DIR", help="A local server's data folder (for URL and key)"
    ),
]
Out = Annotated[Path | None, typer.Option("--out", help="Download the files into this folder")]
Wait = Annotated[bool, typer.Option("--wait", help="Wait until the clips are complete")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the clips as JSON")]
Files = Annotated[
    str, typer.Option("--files", help=f"Files to download: {','.join(protocol.FILES)}")
]
Timeout = Annotated[float, typer.Option(help="Seconds to wait at most")]


@dataclass(frozen=True)
class Target:
    url: str
    key: str | None


def target(url: str | None, key: str | None, data_dir: Path | None) -> Target:
    """Where to send requests: what was given, else the local server the data folder names."""
    record = instance.read(instance.data_dir(data_dir)) or {}
    if url is None and record.get("base_url"):
        url = record["base_url"]
        if key is None and record.get("owner_key_file"):
            try:
                key = Path(record["owner_key_file"]).read_text().strip() or None
            except OSError:
                key = None
    return Target(protocol.base_url(url), key)


def fail(message: str) -> NoReturn:
    typer.echo(f"openchirp: {message}", err=True)
    raise typer.Exit(1)


def run(where: Target, work: Callable[[Client], T]) -> T:
    """``work`` with a client; its errors as one line on stderr and exit status 1."""
    try:
        with Client(where.url, where.key) as client:
            return work(client)
    except OpenChirpError as exc:
        fail(str(exc))
    except httpx.ConnectError:
        fail(f"cannot reach a server at {where.url}: start one (make run) or pass --url")
    except httpx.HTTPError as exc:
        fail(f"{where.url}: {exc.__class__.__name__}: {exc}")


def read_file(path: Path | None, option: str) -> str:
    if path is None:
        return ""
    try:
        return sys.stdin.read() if str(path) == "-" else path.read_text()
    except FileNotFoundError:
        fail(f"{option} {path}: no such file")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{option} {path}: cannot read it ({exc})")


def file_kinds(files: str) -> list[str]:
    kinds = [k.strip() for k in files.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in protocol.FILES]
    if unknown:
        fail(f"--files: unknown {', '.join(unknown)}; known: {', '.join(protocol.FILES)}")
    return kinds


@contextmanager
def progress() -> Iterator[Progress]:
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=stderr, transient=not stderr.is_terminal) as bars:
        yield bars


def wait_with_bars(client: Client, clips: list[Clip], timeout: float) -> list[Clip]:
    """Wait for clips, one bar each: pulsing while queued and rendering, full when complete."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=not stderr.is_terminal,
    ) as bars:
        tasks: dict[str, TaskID] = {c.id: bars.add_task(label(c), total=None) for c in clips}

        def update(found: list[Clip]) -> None:
            for clip in found:
                done = 1 if clip.finished else None
                task = tasks[clip.id]
                bars.update(task, description=label(clip), total=done, completed=done or 0)

        return client.wait(clips, timeout=timeout, on_update=update)


def label(clip: Clip) -> str:
    length = f" {clip.duration:.0f} s" if clip.duration else ""
    return f"{clip.id[:8]} {clip.title or '(untitled)'}: {clip.status}{length}"


def download_with_bars(client: Client, clips: list[Clip], out: Path, kinds: list[str]) -> None:
    with progress() as bars:
        tasks: dict[str, TaskID] = {}

        def update(name: str, done: int, total: int | None) -> None:
            if name not in tasks:
                tasks[name] = bars.add_task(name, total=total)
            bars.update(tasks[name], completed=done, total=total)

        for clip in clips:
            for path in client.download(clip, out, kinds, on_progress=update):
                typer.echo(str(path))


def show(clips: list[Clip], as_json: bool) -> None:
    """The clips as JSON (at the end, as they finished), or nothing: their ids came first."""
    if as_json:
        typer.echo(json.dumps([c.raw for c in clips], indent=1))


def finish(
    client: Client,
    clips: list[Clip],
    *,
    wait: bool,
    out: Path | None,
    files: str,
    timeout: float,
    as_json: bool,
) -> list[Clip]:
    """What create, extend and concat do after the request: print the new ids at once (a script
    or an interrupted wait still has them), wait, download (printing each file's path)."""
    kinds = file_kinds(files)
    if not as_json:
        for clip in clips:
            typer.echo(clip.id)
    if wait or out is not None:
        clips = wait_with_bars(client, clips, timeout)
    if out is not None:
        download_with_bars(client, clips, out, kinds)
    return clips


def register(app: typer.Typer) -> None:
    """Add the client commands to the ``openchirp`` command."""

    @app.command(rich_help_panel="Songs (client)")
    def create(
        lyrics: Annotated[
            Path | None, typer.Option(help="Lyrics file ('-': stdin)", show_default=False)
        ] = None,
        tags: Annotated[str, typer.Option(help="Style tags, e.g. 'synthwave, moody'")] = "",
        title: Annotated[str, typer.Option()] = "",
        negative_tags: Annotated[str, typer.Option(help="Styles to avoid")] = "",
        description: Annotated[
            str | None,
            typer.Option(help="A one-line description instead of lyrics", show_default=False),
        ] = None,
        instrumental: Annotated[bool, typer.Option(help="No vocals")] = False,
        model: Annotated[str | None, typer.Option(help="e.g. chirp-v3-5")] = None,
        wait: Wait = False,
        out: Out = None,
        files: Files = "mp3,wav,cover",
        timeout: Timeout = 600.0,
        as_json: AsJson = False,
        url: Url = None,
        key: Key = None,
        data_dir: DataDir = None,
    ) -> None:
        """Make a song (two clips); print their ids, or wait and download them with --out."""
        text = read_file(lyrics, "--lyrics")

        def work(client: Client) -> list[Clip]:
            clips = client.create(
                text,
                tags=tags,
                title=title,
                negative_tags=negative_tags,
                instrumental=instrumental,
                description=description,
                model=model,
            )
            return finish(
                client, clips, wait=wait, out=out, files=files, timeout=timeout, as_json=as_json
            )

        show(run(target(url, key, data_dir), work), as_json)

    @app.command(rich_help_panel="Songs (client)")
    def extend(
        clip_id: Annotated[str, typer.Argument(help="The complete clip to continue")],
        at: Annotated[float, typer.Option("--at", help="Continue from this second of it")],
        lyrics: Annotated[Path | None, typer.Option(help="Lyrics of the new part")] = None,
        tags: Annotated[str, typer.Option()] = "",
        title: Annotated[str, typer.Option()] = "",
        wait: Wait = False,
        out: Out = None,
        files: Files = "mp3,wav,cover",
        timeout: Timeout = 600.0,
        as_json: AsJson = False,
        url: Url = None,
        key: Key = None,
        data_dir: DataDir = None,
    ) -> None:
        """Continue a clip: two new clips holding the new part (concat joins the whole song)."""
        text = read_file(lyrics, "--lyrics")

        def work(client: Client) -> list[Clip]:
            clips = client.extend(clip_id, continue_at=at, lyrics=text, tags=tags, title=title)
            return finish(
                client, clips, wait=wait, out=out, files=files, timeout=timeout, as_json=as_json
            )

        show(run(target(url, key, data_dir), work), as_json)

    @app.command(rich_help_panel="Songs (client)")
    def concat(
        clip_id: Annotated[str, typer.Argument(help="An extension: the song's last part")],
        wait: Wait = False,
        out: Out = None,
        files: Files = "mp3,wav,cover",
        timeout: Timeout = 600.0,
        as_json: AsJson = False,
        url: Url = None,
        key: Key = None,
        data_dir: DataDir = None,
    ) -> None:
        """Join an extension and the clips it continues into one clip."""

        def work(client: Client) -> list[Clip]:
            clips = [client.concat(clip_id)]
            return finish(
                client, clips, wait=wait, out=out, files=files, timeout=timeout, as_json=as_json
            )

        show(run(target(url, key, data_dir), work), as_json)

    @app.command(rich_help_panel="Songs (client)")
    def get(
        clip_ids: Annotated[list[str], typer.Argument(help="Clip ids")],
        as_json: AsJson = False,
        url: Url = None,
        key: Key = None,
        data_dir: DataDir = None,
    ) -> None:
        """Show clips: id, status, length and title, one a line (or --json)."""
        clips = run(target(url, key, data_dir), lambda client: client.get(clip_ids))
        if as_json:
            show(clips, True)
            return
        for clip in clips:
            length = f"{clip.duration:.1f}s" if clip.duration else "-"
            reason = f"  ({clip.error_message})" if clip.error_message else ""
            typer.echo(f"{clip.id}  {clip.status:9} {length:>7}  {clip.title}{reason}")

    @app.command(rich_help_panel="Songs (client)")
    def download(
        clip_ids: Annotated[list[str], typer.Argument(help="Clip ids")],
        out: Annotated[Path, typer.Option("--out", help="Folder to save into")] = Path("."),
        files: Files = "mp3,wav,cover",
        wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Wait for clips")] = True,
        timeout: Timeout = 600.0,
        url: Url = None,
        key: Key = None,
        data_dir: DataDir = None,
    ) -> None:
        """Save clips' files as <id>.mp3, .wav, .jpeg (and .mp4); print their paths."""
        kinds = file_kinds(files)

        def work(client: Client) -> None:
            clips = client.get(clip_ids)
            if wait:
                clips = wait_with_bars(client, clips, timeout)
            download_with_bars(client, clips, out, kinds)

        run(target(url, key, data_dir), work)

    @app.command(rich_help_panel="Songs (client)")
    def credits(url: Url = None, key: Key = None, data_dir: DataDir = None) -> None:
        """This month's credits: left, of how many ("unlimited" when there is no limit)."""
        typer.echo(str(run(target(url, key, data_dir), lambda client: client.limits())))
