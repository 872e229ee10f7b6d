"""docs/deploy.md: every command in it names real options (fast), and runs for real (e2e).

The e2e test is the document followed on one host: each machine it names is a folder, a port and
an environment; PostgreSQL, Redis and moto's S3 on loopback stand in for the site's servers; the
tests' tone engine stands in for the neural engine on the GPU worker. Then songs go through both
API processes, the CPU and GPU workers take their own renders, the files land in the bucket,
and every process stops on SIGTERM.
"""

from __future__ import annotations

import json
import secrets
import shlex
import signal
from pathlib import Path

import click
import httpx
import pytest
import typer
from sqlalchemy import select

from openchirp.cli import app
from openchirp.db.database import Database
from openchirp.db.tables import jobs
from tests.support.doc_runner import Machine, base_env, exported_names, read_blocks, run_blocks
from tests.support.server import PgDatabase, free_port, pg_available, wait_for
from tests.support.topology import broker_url, redis_available

DOC = Path(__file__).resolve().parents[1] / "docs" / "deploy.md"
CLUSTER = ("api-1", "api-2", "cpu-1", "gpu-1")
SONG = {"prompt": "[Verse]\nfrom the docs to the bucket", "tags": "pop", "title": "Deploy"}
NEURAL_STAND_IN = '{"acestep": "tests.support.tone_engine:ToneEngine"}'


def commands() -> list[list[str]]:
    lines = [c for block in read_blocks(DOC) for c in block.commands]
    return [shlex.split(line, comments=True)[1:] for line in lines if line.startswith("openchirp ")]


def test_the_deploy_doc_commands_parse() -> None:
    found = commands()
    assert len(found) >= 6
    root = typer.main.get_command(app)
    for args in found:
        with click.Context(root) as ctx:
            name, command, rest = root.resolve_command(ctx, args)
            assert command is not None, args
            if isinstance(command, click.Group):
                name, command, rest = command.resolve_command(ctx, rest)
            command.make_context(name, list(rest))  # raises on an unknown option or bad value


def test_every_block_says_where_it_runs() -> None:
    blocks = read_blocks(DOC)
    machines = {m for b in blocks for m in b.machines}
    assert machines == {"single", *CLUSTER}
    assert all(b.commands for b in blocks)


@pytest.fixture
def site(tmp_path: Path):
    """The site's servers: a PostgreSQL database, a Redis database, an S3 bucket."""
    if not pg_available() or not redis_available():
        pytest.skip("needs PostgreSQL and Redis on loopback")
    from tests.support.s3 import S3Server

    pg = PgDatabase()
    queue_url, _ = broker_url("redis")
    s3 = S3Server().start()
    s3.create_bucket("openchirp-files")
    try:
        yield pg, queue_url, s3
    finally:
        s3.stop()
        pg.drop()


@pytest.mark.e2e
@pytest.mark.slow
def test_the_deploy_doc_runs_as_written(site, tmp_path: Path) -> None:
    pg, queue_url, s3 = site
    blocks = read_blocks(DOC)
    ports = {name: free_port() for name in ("single", "api-1", "api-2")}
    machines: dict[str, Machine] = {}
    for name in ("single", *CLUSTER):
        folder = tmp_path / name
        folder.mkdir()
        env = base_env(folder, OPENCHIRP_ENGINES=NEURAL_STAND_IN, TONE_SECONDS="2")
        if name in ports:
            env["OPENCHIRP_PORT"] = str(ports[name])
        machines[name] = Machine(name, folder, env)
    site_values = {
        "OPENCHIRP_DATABASE_URL": pg.url,
        "OPENCHIRP_QUEUE_URL": queue_url,
        **s3.env("openchirp-files", "prod"),
        "OPENCHIRP_BASE_URL": f"http://127.0.0.1:{ports['api-1']}",
        "OPENCHIRP_SECRET_KEY": secrets.token_hex(32),
    }
    assert set(site_values) <= exported_names(blocks), "the doc no longer exports a site setting"
    for name in CLUSTER:
        machines[name].site = site_values

    operations = [b for b in blocks if b.section == "Operations"]
    try:
        run_blocks([b for b in blocks if b.section != "Operations"], machines)
        single_key = machines["single"].outputs["openchirp keys create my-app --user alice"]
        cluster_key = machines["api-1"].outputs["openchirp keys create my-app --user alice"]

        # One machine: a song with the key, rendered by the embedded workers (built-in engine).
        with httpx.Client(base_url=machines["single"].url, timeout=60) as one:
            one.headers["Authorization"] = f"Bearer {single_key.strip()}"
            made = one.post("/api/custom_generate", json=SONG)
            assert made.status_code == 200, made.text
            done = wait_for(one, [c["id"] for c in made.json()], timeout=240)
            assert {c["status"] for c in done} == {"complete"}, done
            assert one.get(httpx.URL(done[0]["audio_url"]).raw_path.decode()).status_code == 200
        anonymous = httpx.post(f"{machines['single'].url}/api/custom_generate", json=SONG)
        assert anonymous.status_code == 401  # bound beyond loopback: a key is needed

        # The cluster: a built-in song through API 1, a neural one through API 2, each followed
        # on the other API process.
        auth = {"Authorization": f"Bearer {cluster_key.strip()}"}
        with (
            httpx.Client(base_url=machines["api-1"].url, headers=auth, timeout=60) as a,
            httpx.Client(base_url=machines["api-2"].url, headers=auth, timeout=60) as b,
        ):
            built_in = a.post("/api/custom_generate", json=SONG)
            neural = b.post("/api/custom_generate", json={**SONG, "model": "chirp-fenix"})
            assert built_in.status_code == neural.status_code == 200, (built_in.text, neural.text)
            cpu_ids = [c["id"] for c in built_in.json()]
            gpu_ids = [c["id"] for c in neural.json()]
            done = wait_for(b, cpu_ids, timeout=240) + wait_for(a, gpu_ids, timeout=120)
            assert {c["status"] for c in done} == {"complete"}, done
            # A URL signed by API 1 (the base URL) is good on API 2: one secret everywhere.
            audio = b.get(httpx.URL(done[0]["audio_url"]).raw_path.decode())
            assert audio.status_code == 200 and audio.content[:3] == b"ID3"

        # Each worker machine rendered its own engine's clips; the files are in the bucket.
        jobs_of = render_jobs(pg.url)
        ran_on = {name: jobs_run(machines[name].folder) for name in ("cpu-1", "gpu-1")}
        assert ran_on["cpu-1"] & {jobs_of[i] for i in cpu_ids}
        assert ran_on["gpu-1"] & {jobs_of[i] for i in gpu_ids}
        assert not ran_on["cpu-1"] & {jobs_of[i] for i in gpu_ids}
        assert not ran_on["gpu-1"] & {jobs_of[i] for i in cpu_ids}
        keys = s3.keys("openchirp-files", "prod")
        for clip_id in cpu_ids + gpu_ids:
            assert f"prod/clips/{clip_id}/{clip_id}.mp3" in keys

        run_blocks(operations, machines)
        ready, metrics = (machines["api-2"].outputs[c] for c in operations[0].commands)
        assert '"status":"ready"' in ready.replace(" ", "")
        assert 'openchirp_jobs_completed_total{kind="render"} 4.0' in metrics

        # SIGTERM: every process drains and exits.
        for name in ("api-1", "api-2", "cpu-1", "gpu-1", "single"):
            codes = machines[name].stop()
            assert set(codes.values()) <= {0, -signal.SIGTERM}, (name, codes)
    except BaseException:
        print("\n".join(m.log_tail() for m in machines.values()))
        raise
    finally:
        for machine in machines.values():
            machine.stop(timeout=10)


def render_jobs(url: str) -> dict[str, str]:
    """Clip id -> its render job's id."""
    db = Database(url)
    try:
        with db.read() as conn:
            rows = conn.execute(
                select(jobs.c.subject_id, jobs.c.id).where(jobs.c.kind == "render")
            ).all()
    finally:
        db.dispose()
    return dict(rows)


def jobs_run(folder: Path) -> set[str]:
    """The jobs a machine's worker ran (its JSON log lines; a render's sibling clip is taken
    along by the same job, so each create shows one of its two)."""
    found = set()
    for line in (folder / "worker.log").read_text().splitlines():
        if not line.startswith("{"):
            continue
        entry = json.loads(line)
        if entry.get("job_id") and entry["message"].startswith("running "):
            found.add(entry["job_id"])
    return found
