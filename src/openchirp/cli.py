"""``openchirp serve | worker | keys | users | db | render``."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from openchirp import instance
from openchirp.client.cli import register as register_client_commands
from openchirp.config import Settings

app = typer.Typer(
    help="OpenChirp: a self-hosted music server that speaks the Suno API.", no_args_is_help=True
)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
users_app = typer.Typer(help="Users and their monthly credits.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
models_app = typer.Typer(
    help="Local model folders of the neural engines (never downloaded).", no_args_is_help=True
)
app.add_typer(models_app, name="models")
app.add_typer(keys_app, name="keys")
app.add_typer(users_app, name="users")
app.add_typer(db_app, name="db")
register_client_commands(app)

OWNER_KEY_FILE = "owner-api-key"
GRACEFUL_SHUTDOWN_S = 30


DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="The server's data folder (default: $DATA_DIR, $OPENCHIRP_DATA_DIR or ./data)",
        envvar="DATA_DIR",
    ),
]
"""The same option, read the same way, on every command: ``serve`` and the admin commands
beside it agree on the data folder, and through its ``server.json`` on the rest."""


def _settings(**overrides: object) -> Settings:
    """Settings for a command beside a server: what the server in the data folder runs with."""
    return instance.settings(**overrides)


def _db(settings: Settings):  # type: ignore[no-untyped-def]
    from openchirp.db.database import Database
    from openchirp.db.migrate import upgrade

    db = Database(settings.resolved_database_url)
    upgrade(db)
    return db


def _admin_db(settings: Settings, *, create: bool = False):  # type: ignore[no-untyped-def]
    """The server's database for an admin command, named on stderr. A command that only reads
    never makes a new, empty database (it would list nothing, silently); one that writes says
    that it made one."""
    from openchirp.db.database import Database
    from openchirp.db.migrate import current

    url = settings.resolved_database_url
    shown = _shown_url(url)
    missing = _missing_sqlite_file(url)
    if missing is None and not create:
        try:
            missing = None if current(Database(url)) else url
        except Exception as exc:  # noqa: BLE001 - any driver's "cannot connect", in one line
            _fail(f"cannot open the database {shown}: {str(exc).splitlines()[0]}")
    if missing is not None and not create:
        _fail(
            f"no database at {missing}: start the server first (make run) "
            "or pass --data-dir (or OPENCHIRP_DATABASE_URL)"
        )
    typer.echo(f"database: {shown}{' (new)' if missing else ''}", err=True)
    return _db(settings)


def _missing_sqlite_file(url: str) -> str | None:
    """The path of a SQLite database file that does not exist; None otherwise."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return None if Path(parsed.database).exists() else parsed.database


def _shown_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return parsed.database
    return parsed.render_as_string(hide_password=True)


def _fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr and an exit status: what a person can act on, not a traceback."""
    typer.echo(f"openchirp: {message}", err=True)
    raise typer.Exit(code)


def _read_text(path: Path, option: str) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        _fail(f"{option} {path}: no such file", 2)
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"{option} {path}: cannot read it ({exc.__class__.__name__}: {exc})", 2)


def _names(value: str | None) -> tuple[str, ...] | None:
    """A comma-separated option as names; None when not given."""
    if value is None:
        return None
    return tuple(n.strip() for n in value.split(",") if n.strip())


def owner_key(settings: Settings) -> tuple[str, bool]:
    """The local owner's key, and whether it was made now: made on the first run and kept (mode
    600) in the data folder, so later runs can point at it without printing it into logs."""
    from openchirp.db import repo

    path = settings.data_dir / OWNER_KEY_FILE
    if path.exists():
        return path.read_text().strip(), False
    db = _db(settings)
    with db.write() as conn:
        user = repo.ensure_user(conn, repo.LOCAL_HANDLE, "Local owner")
        key = repo.create_api_key(conn, user.id, "owner (make run)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(key + "\n")
    return key, True


def one_blas_thread() -> None:
    """Each worker process is one core's worth of work; workers run side by side as processes.
    OpenBLAS's own threads (numpy's and scipy's, started when they load) only spin against the
    other workers: with them, the engine's small BLAS calls took 4.9x the CPU of a render on two
    busy cores (bench/capacity.py). Set before either library loads; an explicit setting stays."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind")] = None,
    port: Annotated[int | None, typer.Option(help="Port", envvar="PORT")] = None,
    data_dir: DataDir = None,
    workers: Annotated[int | None, typer.Option(help="Embedded worker processes")] = None,
) -> None:
    """Run the API server with embedded workers."""
    one_blas_thread()  # before the workers spawn (they inherit it)
    import uvicorn

    from openchirp import logs
    from openchirp.app import create_app

    # The server's own settings (never an older server.json's): it writes them for the others.
    overrides = {"host": host, "port": port, "data_dir": data_dir, "workers": workers}
    settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    if settings.log_format == "json":  # text: uvicorn's own logging, as before
        logs.configure(settings.log_format)
    # What its embedded workers will load: nothing without them (the engines may live on
    # another machine, checked by `openchirp worker` there).
    _check_engines(settings, (tuple(settings.worker_engines) or None) if settings.workers else ())
    key, new = owner_key(settings)
    instance.write(settings, owner_key_file=settings.data_dir / OWNER_KEY_FILE)
    url = settings.public_base_url
    typer.echo(f"OpenChirp on {url}  (docs: {url}/docs)")
    key_file = settings.data_dir / OWNER_KEY_FILE
    if new:  # shown once: later starts name the file, so the key is not in every log
        typer.echo(f"API key (local owner, shown once; kept in {key_file}): {key}")
    else:
        typer.echo(f"API key (local owner): in {key_file}")
        key = f"$(cat {key_file})"
    typer.echo("Try:")
    typer.echo(
        f'  curl -s {url}/api/custom_generate -H "Authorization: Bearer {key}" '
        "-H 'Content-Type: application/json' "
        '-d \'{"prompt": "[Verse]\\nStars they shine above me\\nMoonlight softly glows", '
        '"tags": "synthwave, moody", "title": "Starry", "wait_audio": true}\''
    )
    options = uvicorn_options(settings.host, settings.port)
    # SIGTERM: stop accepting, let requests in flight finish (an open stream at most this long).
    options["timeout_graceful_shutdown"] = GRACEFUL_SHUTDOWN_S
    if settings.log_format == "json":
        options["log_config"] = None  # uvicorn's lines go through our JSON handler
    uvicorn.run(create_app(settings), **options)


def uvicorn_options(host: str, port: int) -> dict[str, object]:
    """How ``serve`` runs uvicorn (bench/api.py serves its baseline app the same way)."""
    return {"host": host, "port": port, "log_level": "info"}


@app.command()
def worker(
    count: Annotated[int, typer.Option(help="Worker processes")] = 1,
    data_dir: DataDir = None,
    engines: Annotated[
        str | None,
        typer.Option(help="Only render jobs of these engines, comma-separated; load only these"),
    ] = None,
    kinds: Annotated[
        str | None,
        typer.Option(
            help="Only these job kinds, comma-separated: render,concat,stems,video,lyrics,callback"
        ),
    ] = None,
) -> None:
    """Run workers alone, beside a server on the same database (with OPENCHIRP_QUEUE_URL: a
    Celery worker consuming the queues of these kinds and engines)."""
    one_blas_thread()  # before numpy loads here, and so in every process forked from here
    from openchirp import logs
    from openchirp.jobs.pool import WorkerPool
    from openchirp.jobs.worker import KINDS

    kind_list = _names(kinds)
    unknown = set(kind_list or ()) - set(KINDS)
    if unknown:
        raise typer.BadParameter(
            f"unknown job kinds {', '.join(sorted(unknown))}; known: {', '.join(KINDS)}",
            param_hint="--kinds",
        )
    settings = _settings(data_dir=data_dir)
    logs.configure(settings.log_format)
    if kind_list is None or "render" in kind_list:
        _check_engines(settings, _names(engines))
    _db(settings)
    typer.echo(f"database: {_shown_url(settings.resolved_database_url)}", err=True)
    if settings.queue_url:
        from openchirp.jobs.celery_queue import run_worker

        run_worker(settings, concurrency=count, kinds=kind_list, engines=_names(engines))
        return
    pool = WorkerPool(settings, size=count, kinds=kind_list, engines=_names(engines))
    pool.start()
    stopping = {"now": False}

    def _stop(*_args: object) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    while not stopping["now"]:
        signal.pause()
    pool.stop()


def _check_engines(settings: Settings, engines: tuple[str, ...] | None) -> None:
    """Stop at start-up, with every problem on a line, when an engine this process will load
    cannot load (a missing model folder, a missing extra) or a model key is unknown: not at the
    first song. ``engines``: None for every engine in use."""
    from openchirp.core.models import MODELS
    from openchirp.engines.registry import engines_in_use, startup_problems

    unknown = sorted(set(settings.model_engines) - set(MODELS))
    problems = [
        f"OPENCHIRP_MODEL_ENGINES: unknown model key {key!r} (known: {', '.join(sorted(MODELS))})"
        for key in unknown
    ]
    names = list(engines) if engines is not None else engines_in_use(settings, list(MODELS))
    problems += startup_problems(settings, names)
    if problems:
        _fail("cannot start:\n  " + "\n  ".join(problems))


MODEL_ENGINES = {
    "acestep": "openchirp.engines.acestep",
    "musicgen": "openchirp.engines.musicgen",
}
"""The engines ``openchirp models`` knows: each package has ``tiny:write_tiny`` and
``check:problems``."""


def _model_function(engine: str, module: str, function: str):  # type: ignore[no-untyped-def]
    import importlib

    package = MODEL_ENGINES.get(engine)
    if package is None:
        raise typer.BadParameter(
            f"unknown engine {engine!r}; known: {', '.join(MODEL_ENGINES)}", param_hint="engine"
        )
    try:
        return getattr(importlib.import_module(f"{package}.{module}"), function)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith(("torch", "diffusers", "transformers", "accelerate")):
            _fail(
                f"engine {engine} needs the neural extra: pip install 'openchirp[neural]' ({exc})"
            )
        _fail(f"engine {engine} has no {module}.{function} in this install ({exc})")
    except AttributeError:
        _fail(f"engine {engine} has no {module}.{function} in this install")


@models_app.command("check")
def models_check(
    directory: Annotated[Path, typer.Argument(help="The model folder")],
    engine: Annotated[str, typer.Option(help="acestep or musicgen")] = "acestep",
    device: Annotated[
        str | None, typer.Option(help="cpu, cuda, cuda:N (default: the engine's option, else auto)")
    ] = None,
    dtype: Annotated[
        str | None,
        typer.Option(help="float32, bfloat16, float16 (default: the engine's option, else auto)"),
    ] = None,
) -> None:
    """Say what is wrong with a model folder, one line each (exit status 1), or that it is
    usable on this machine: files, configuration, dtype, device and free memory."""
    options = dict(Settings().engine_options_for(engine))
    options["model_dir"] = str(directory)
    options.update({k: v for k, v in {"device": device, "dtype": dtype}.items() if v})
    problems = _model_function(engine, "check", "problems")(directory, options)
    for problem in problems:
        typer.echo(f"{directory}: {problem}" if str(directory) not in problem else problem)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{directory}: a usable {engine} model folder")
    for line in _operation_notes(engine, options):
        typer.echo(f"{directory}: {line}")


def _operation_notes(engine: str, options: dict[str, object]) -> list[str]:
    """What a usable folder still cannot do of what its engine declares (a cover without the
    audio tokenizer): said, not failed, since everything else works."""
    from openchirp.engines.base import capabilities_of
    from openchirp.engines.registry import import_object

    cls = import_object(Settings().engine_spec(engine))
    check = getattr(cls, "operation_problems", None)
    if not callable(check):
        return []
    return [
        f"{op.replace('_', '-')} unavailable: {problem}"
        for op in sorted(capabilities_of(cls))
        for problem in check(op, options)
    ]


@models_app.command("tiny")
def models_tiny(
    engine: Annotated[str, typer.Argument(help="acestep or musicgen")],
    directory: Annotated[Path, typer.Argument(help="Where to write it (made if missing)")],
) -> None:
    """Write a tiny randomly initialised model in the real folder layout, to try the wiring
    without weights. It makes noise, not music."""
    write = _model_function(engine, "tiny", "write_tiny")
    directory.mkdir(parents=True, exist_ok=True)
    write(directory)
    typer.echo(
        f"{directory}: a tiny {engine} model with random weights. Its output is noise, not "
        "music: it is for trying the wiring (OPENCHIRP_ENGINE_OPTIONS model_dir) and tests."
    )


@keys_app.command("create")
def keys_create(
    name: str,
    user: Annotated[str, typer.Option(help="User handle")] = "local",
    data_dir: DataDir = None,
) -> None:
    """Make an API key and print it (the only time it is shown), and its callback signing
    secret beside it (on stderr, so scripts reading the key from stdout get the key alone)."""
    from openchirp.db import callbacks, repo

    db = _admin_db(_settings(data_dir=data_dir), create=True)
    with db.write() as conn:
        row = repo.ensure_user(conn, user)
        key = repo.create_api_key(conn, row.id, name)
        secret = callbacks.secret_of_key(conn, key)
    typer.echo(key)
    typer.echo(f"callback signing secret: {secret}", err=True)


@keys_app.command("secret")
def keys_secret(
    key_id: Annotated[
        str | None, typer.Argument(help="Key id or prefix; leave out for the local owner's")
    ] = None,
) -> None:
    """Print the secret that signs a key's callbacks (see docs/callbacks.md); without a key, the
    local owner's, which signs callbacks of requests made without a key."""
    from openchirp.db import callbacks, repo

    db = _db(_settings())
    with db.write() as conn:
        if key_id is None:
            owner = repo.ensure_user(conn, repo.LOCAL_HANDLE, "Local owner")
            secret = callbacks.user_secret(conn, owner.id)
        else:
            secret = callbacks.key_secret(conn, key_id)
    if secret is None:
        raise typer.BadParameter(f"no active key {key_id}")
    typer.echo(secret)


@keys_app.command("list")
def keys_list(data_dir: DataDir = None) -> None:
    """The keys of every user (never the keys themselves)."""
    from openchirp.db import repo

    db = _admin_db(_settings(data_dir=data_dir))
    with db.read() as conn:
        for row in repo.list_api_keys(conn):
            state = "revoked" if row.revoked_at else "active"
            typer.echo(f"{row.id}  {row.prefix}…  {row.handle:12} {row.name}  {state}")


@keys_app.command("revoke")
def keys_revoke(key_id: str, data_dir: DataDir = None) -> None:
    """Revoke a key by its id or its prefix."""
    from openchirp.db import repo

    db = _admin_db(_settings(data_dir=data_dir))
    with db.write() as conn:
        if not repo.revoke_api_key(conn, key_id):
            raise typer.BadParameter(f"no active key {key_id}")
    typer.echo("revoked")


@users_app.command("set-limit")
def users_set_limit(
    handle: str,
    credits: Annotated[int | None, typer.Argument()] = None,
    data_dir: DataDir = None,
) -> None:
    """Set a user's monthly credits (leave out for unlimited)."""
    from openchirp.db import repo

    db = _admin_db(_settings(data_dir=data_dir), create=True)
    with db.write() as conn:
        row = repo.ensure_user(conn, handle)
        repo.set_monthly_limit(conn, row.id, credits)
    typer.echo(f"{handle}: {'unlimited' if credits is None else credits} credits a month")


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDir = None) -> None:
    """Apply migrations (making the database if there is none)."""
    from openchirp.db.migrate import current

    typer.echo(
        f"database at revision {current(_admin_db(_settings(data_dir=data_dir), create=True))}"
    )


@app.command()
def render(
    lyrics: Annotated[Path | None, typer.Option(help="Lyrics file")] = None,
    tags: Annotated[str, typer.Option(help="Style tags")] = "pop",
    title: Annotated[str, typer.Option()] = "",
    seed: Annotated[int, typer.Option()] = 0,
    instrumental: Annotated[bool, typer.Option()] = False,
    out: Annotated[Path, typer.Option(help="Output folder")] = Path("out"),
    engine: Annotated[str, typer.Option(help="Engine name or module:Class")] = "composer",
) -> None:
    """Render both clips of a request without a server: mp3, wav, word timings and plan."""
    from openchirp.engines.base import PlanRequest
    from openchirp.engines.registry import load_engine
    from openchirp.media.audio import Mp3StreamWriter, WavWriter

    settings = _settings()
    text = _read_text(lyrics, "--lyrics") if lyrics else ""
    if not text.strip() and not instrumental:
        raise typer.BadParameter("give --lyrics FILE or --instrumental")
    out.mkdir(parents=True, exist_ok=True)
    eng = load_engine(engine, settings)
    requests = [
        PlanRequest(
            lyrics="" if instrumental else text,
            tags=tags,
            title=title,
            instrumental=instrumental,
            seed=seed,
            variant=variant,
        )
        for variant in (0, 1)
    ]
    plan_batch = getattr(eng, "plan_batch", None)  # a model makes both clips in one call
    results = plan_batch(requests) if plan_batch else [eng.plan(r) for r in requests]
    for variant, result in enumerate(results):
        stem = out / f"clip{variant + 1}"
        rate = result.sample_rate
        with (
            Mp3StreamWriter(
                stem.with_suffix(".mp3"), sample_rate=rate, title=title, write_done_marker=False
            ) as mp3,
            WavWriter(stem.with_suffix(".wav"), sample_rate=rate) as wav,
        ):
            for block in result.blocks():
                mp3.write(block.mix)
                wav.write(block.mix)
        words = [{"word": w.word, "start_s": w.start_s, "end_s": w.end_s} for w in result.words]
        stem.with_name(stem.name + ".words.json").write_text(json.dumps(words, indent=1))
        stem.with_name(stem.name + ".plan.json").write_text(json.dumps(result.plan, indent=1))
        typer.echo(f"{stem}.mp3  {result.duration_s:.1f} s")


@app.command("warm-up")
def warm_up() -> None:
    """Compile the built-in engine's kernels (the band's and the voice's vocoder) into numba's
    cache, once per install (`make install` runs it), so that no worker compiles them when it
    starts."""
    import time

    started = time.perf_counter()
    from openchirp.engines.composer import kernels
    from openchirp.engines.composer.voice import singer

    kernels.warm_up()
    singer.warm_up()
    typer.echo(f"engine kernels compiled and cached in {time.perf_counter() - started:.1f} s")


def main() -> None:  # pragma: no cover - entry point
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()
