"""Time from starting `openchirp serve` to the first song streaming, with the built-in engine.

    .venv/bin/python bench/first_start.py [--cold-compile] [--soundfont PATH] [--runs N]
                                          [--create-after SECONDS]

What a newcomer sees after `make run`: a fresh data folder, the server started as `make run`
starts it (embedded workers, one per core), and a create sent as soon as /healthz answers.
First the install step (`openchirp warm-up`, which `make install` runs) fills numba's cache;
``--cold-compile`` points numba at an empty cache instead, as a start without that step.
Printed per run: process start -> URL printed -> /healthz answers; the first create (sent as
soon as /healthz answers, or ``--create-after`` seconds after the URL) -> both clips
``streaming``; and, as the baseline in the same run, a second create on the same (now
warm) server -> both clips ``streaming``; the CPU the server and its workers used until the
first song streamed (which other load on the machine does not inflate). Target: the first
create is ``streaming`` within 3 s.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.support.server import free_port  # noqa: E402
from tests.support.shapes import starry_lyrics  # noqa: E402

STARTED = ("streaming", "complete")


def server_env(data: Path, port: int, soundfont: str | None, numba_cache: str | None) -> dict:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("OPENCHIRP_")}
    env = {
        **inherited,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "PYTHONUNBUFFERED": "1",
        "OPENCHIRP_DATA_DIR": str(data),
        "OPENCHIRP_PORT": str(port),
        # Videos queue behind the songs' audio; this measures the audio only.
        "OPENCHIRP_MAKE_VIDEO": "false",
    }
    if soundfont:
        env["OPENCHIRP_SOUNDFONT"] = soundfont
    if numba_cache:
        env["NUMBA_CACHE_DIR"] = numba_cache
    return env


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its children (Linux /proc):
    a figure the other load on the machine does not inflate."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        proc_pid, ppid = int(stat.parent.name), int(fields[1])
        if pid in (proc_pid, ppid):
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def install_step(env: dict) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "openchirp", "warm-up"], env=env, check=True)
    return time.perf_counter() - started


def both_streaming(client: httpx.Client, ids: list[str], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        clips = client.get("/api/get", params={"ids": ",".join(ids)}).json()
        if any(c["status"] == "error" for c in clips):
            raise RuntimeError(f"a clip failed: {clips}")
        if len(clips) == len(ids) and all(c["status"] in STARTED for c in clips):
            return
        time.sleep(0.02)
    raise TimeoutError("the clips did not start streaming")


def all_done(client: httpx.Client, ids: list[str], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        clips = client.get("/api/get", params={"ids": ",".join(ids)}).json()
        if all(c["status"] in ("complete", "error") for c in clips):
            return
        time.sleep(0.1)
    raise TimeoutError("the clips did not complete")


def create(client: httpx.Client, lyrics: str) -> list[str]:
    response = client.post(
        "/api/custom_generate", json={"prompt": lyrics, "tags": "heavy metal", "title": "Starry"}
    )
    response.raise_for_status()
    return [c["id"] for c in response.json()]


def one_start(env: dict, lyrics: str, create_after: float) -> dict[str, float]:
    url = f"http://127.0.0.1:{env['OPENCHIRP_PORT']}"
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "openchirp", "serve"],
        env=env,
        cwd=env["OPENCHIRP_DATA_DIR"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    printed = threading.Event()
    log: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            log.append(line)
            if line.startswith("OpenChirp on "):
                printed.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not printed.wait(120):
            raise RuntimeError("no URL printed:\n" + "".join(log[-40:]))
        t_url = time.perf_counter()
        with httpx.Client(base_url=url, timeout=60) as client:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError("server exited:\n" + "".join(log[-40:]))
                try:
                    if client.get("/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.02)
            t_health = time.perf_counter()
            time.sleep(max(0.0, t_url + create_after - t_health))
            t_create = time.perf_counter()
            first = create(client, lyrics)
            both_streaming(client, first)
            t_first = time.perf_counter()
            cpu = tree_cpu_s(proc.pid)
            all_done(client, first)
            t_second = time.perf_counter()
            both_streaming(client, create(client, lyrics))
            second = time.perf_counter() - t_second
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    if os.environ.get("FIRST_START_LOG"):
        print("".join(log))
    return {
        "url": t_url - t0,
        "healthz": t_health - t0,
        "first": t_first - t_create,
        "from_url": t_first - t_url,
        "cpu": cpu,
        "second": second,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--soundfont", help="OPENCHIRP_SOUNDFONT for the server")
    parser.add_argument(
        "--create-after",
        type=float,
        default=0.0,
        help="send the first create this many seconds after the URL is printed (0: as soon as "
        "/healthz answers; 5: a person pasting the printed curl example)",
    )
    parser.add_argument(
        "--cold-compile", action="store_true", help="an empty numba cache (no install step)"
    )
    args = parser.parse_args()
    lyrics = starry_lyrics()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = str(Path(tmp) / "numba-cache") if args.cold_compile else None
        for run in range(args.runs):
            data = Path(tmp) / f"data-{run}"
            data.mkdir()
            env = server_env(data, free_port(), args.soundfont, cache)
            if args.cold_compile:
                Path(cache).mkdir(exist_ok=True)
                for old in Path(cache).iterdir():  # each run compiles again
                    subprocess.run(["rm", "-rf", str(old)], check=True)
                compile_s = None
            else:
                compile_s = install_step(env)
            figures = one_start(env, lyrics, args.create_after)
            results.append(figures)
            install = "skipped" if compile_s is None else f"{compile_s:.1f} s"
            print(
                f"run {run + 1}: install step {install}; start -> URL {figures['url']:.2f} s, "
                f"-> healthz {figures['healthz']:.2f} s; first create -> both streaming "
                f"{figures['first']:.2f} s (URL -> both streaming {figures['from_url']:.2f} s, "
                f"{figures['cpu']:.1f} CPU s); second create {figures['second']:.2f} s; "
                f"load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    soundfont = args.soundfont or "the default (best installed)"
    print(
        f"first start, built-in engine, {os.cpu_count()} cores, SoundFont {soundfont}, "
        f"numba cache {'empty' if args.cold_compile else 'filled at install'}, "
        f"first create sent {args.create_after:g} s after the URL (or at /healthz if later)"
    )

    def line(name: str, key: str) -> None:
        values = [r[key] for r in results]
        print(f"  {name:44} {statistics.median(values):6.2f} s median, {max(values):.2f} s worst")

    line("process start -> URL printed", "url")
    line("process start -> /healthz answers", "healthz")
    line("first create -> both clips streaming", "first")
    line("URL printed -> first song's clips streaming", "from_url")
    line("baseline: a later create -> both streaming", "second")
    cpu = statistics.median(r["cpu"] for r in results)
    print(f"  {'CPU used by server + workers until then':44} {cpu:6.2f} s median")
    print("  target: first create -> both streaming < 3 s")


if __name__ == "__main__":
    main()
