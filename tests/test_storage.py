"""The storage backends (local files, S3 against moto on loopback), the workspace, the factory,
and /files serving published S3 objects in both serve modes (app in-process)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from openchirp.api.files import BadRange, RangeNotSatisfiable, byte_range
from openchirp.app import create_app
from openchirp.config import Settings
from openchirp.media.streaming import done_path, mark_done
from openchirp.storage import LocalStorage, Storage, Workspace, load_peaks, make_storage
from openchirp.storage.s3 import S3Storage, store_from_env
from tests.support.s3 import S3Server

LOCAL = "http://127.0.0.1:3000"
"""The app's default address: its Host check refuses TestClient's own "testserver"."""

BAD_KEYS = ["../escape", "/etc/passwd", "clips/../../x", ""]
DATA = bytes(range(256)) * 40


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    server = S3Server().start()
    server.create_bucket("unit")
    yield server
    server.stop()


def s3_storage(s3: S3Server, tmp: Path) -> S3Storage:
    prefix = f"p-{uuid.uuid4().hex[:8]}"
    env = s3.env("unit", prefix)
    return S3Storage(
        store_from_env("unit", prefix, env),
        Workspace(tmp / "workspace", tmp / "cache"),
        "http://example.test/",
    )


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "files", "http://example.test/")
    return s3_storage(request.getfixturevalue("s3"), tmp_path)


def write(storage: Storage, key: str, data: bytes) -> Path:
    path = storage.workspace.writable_path(key)
    path.write_bytes(data)
    return path


def test_publish_stat_read_fetch(storage: Storage) -> None:
    key = "clips/abc/abc.wav"
    assert storage.stat(key) is None and not storage.exists(key)
    write(storage, key, DATA)
    storage.publish(key)
    stat = storage.stat(key)
    assert stat is not None and stat.size == len(DATA)
    assert stat.etag.startswith('"') and stat.etag.endswith('"') and stat.mtime > 0
    assert storage.exists(key)
    assert b"".join(storage.read(key)) == DATA
    assert b"".join(storage.read(key, 100, 200)) == DATA[100:200]
    assert b"".join(storage.read(key, 10_000)) == DATA[10_000:]
    with storage.open(key) as f:
        assert f.read() == DATA
    assert storage.fetch(key).read_bytes() == DATA
    assert storage.url(key) == "http://example.test/files/clips/abc/abc.wav"
    storage.delete(key)
    assert storage.stat(key) is None and not storage.exists(key)
    storage.delete(key)  # gone already: no error


def test_put_bytes_and_peaks(storage: Storage) -> None:
    assert load_peaks(storage, "c1") is None
    storage.put("clips/c1/peaks.json", json.dumps([0.5, 1.0]).encode())
    assert load_peaks(storage, "c1") == [0.5, 1.0]
    # Put replaces whole.
    storage.put("clips/c1/peaks.json", b"[0.25]")
    assert load_peaks(storage, "c1") == [0.25]


def test_bad_keys_are_rejected(storage: Storage) -> None:
    for key in BAD_KEYS:
        for call in (
            storage.url,
            storage.stat,
            storage.exists,
            storage.fetch,
            storage.workspace.path,
            lambda k: storage.put(k, b"x"),
        ):
            with pytest.raises(ValueError, match="bad storage key"):
                call(key)


def test_local_publish_copies_nothing(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "files", "http://h")
    path = write(storage, "clips/a/a.mp3", DATA)
    inode = path.stat().st_ino
    storage.publish("clips/a/a.mp3")
    assert storage.local_path("clips/a/a.mp3") == path and path.stat().st_ino == inode
    assert storage.fetch("clips/a/a.mp3") == path
    assert storage.presign("clips/a/a.mp3") is None
    with pytest.raises(FileNotFoundError):
        storage.publish("clips/a/missing.wav")


def test_local_etag_is_the_one_files_served_before(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path, "http://h")
    st = write(storage, "k.bin", DATA).stat()
    assert storage.stat("k.bin").etag == f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
    assert storage.stat("nope") is None
    (tmp_path / "folder").mkdir()
    assert storage.stat("folder") is None


def test_s3_publish_moves_the_file_to_the_cache(s3: S3Server, tmp_path: Path) -> None:
    storage = s3_storage(s3, tmp_path)
    key = "clips/x/x.mp3"
    path = write(storage, key, DATA)
    mark_done(path)
    with open(path, "rb") as reader:  # a /stream tailer with the file open
        storage.publish(key)
        assert reader.read() == DATA
    assert not path.exists() and not done_path(path).exists()
    cached = storage.workspace.cache_path(key)
    assert cached.read_bytes() == DATA
    assert storage.local_path(key) is None
    # fetch finds it in the cache: no download even once the object is gone.
    storage.delete(key)
    assert storage.fetch(key) == cached
    # A miss downloads.
    storage.put("clips/x/image.jpeg", b"jpeg")
    assert storage.fetch("clips/x/image.jpeg").read_bytes() == b"jpeg"


def test_s3_presigned_url_serves_the_object(s3: S3Server, tmp_path: Path) -> None:
    storage = s3_storage(s3, tmp_path)
    storage.put("clips/y/y.wav", DATA)
    url = storage.presign("clips/y/y.wav")
    assert url and url.startswith(s3.endpoint) and "X-Amz-Signature=" in url
    assert httpx.get(url).content == DATA
    part = httpx.get(url, headers={"Range": "bytes=5-9"})
    assert part.status_code == 206 and part.content == DATA[5:10]


def test_s3_objects_carry_their_content_type(s3: S3Server, tmp_path: Path) -> None:
    storage = s3_storage(s3, tmp_path)
    storage.put("clips/z/z.mp3", b"ID3")
    assert httpx.get(storage.presign("clips/z/z.mp3")).headers["content-type"] == "audio/mpeg"


def test_workspace_cache_drops_least_recently_used(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "w", tmp_path / "c", cache_bytes=250)
    for i in range(3):
        workspace.cached(f"k{i}", lambda p: p.write_bytes(b"x" * 100))
        os.utime(workspace.cache_path(f"k{i}"), (i, i))
    workspace.cached("k3", lambda p: p.write_bytes(b"x" * 100))
    left = sorted(p.name for p in (tmp_path / "c").iterdir())
    assert left == ["k2", "k3"]


def test_workspace_failed_download_leaves_nothing(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "w", tmp_path / "c")

    def fail(path: Path) -> None:
        path.write_bytes(b"half")
        raise OSError("network")

    with pytest.raises(OSError):
        workspace.cached("a/b", fail)
    assert list((tmp_path / "c" / "a").iterdir()) == []


def test_make_storage_default_is_local_under_the_data_folder(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    storage = make_storage(settings)
    assert isinstance(storage, LocalStorage)
    assert storage.root == (tmp_path / "data" / "files").resolve()
    assert storage.workspace.root == storage.root
    assert storage.url("clips/a/a.mp3") == "http://127.0.0.1:3000/files/clips/a/a.mp3"


def test_make_storage_from_urls(
    tmp_path: Path, s3: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "my files"
    local = make_storage(Settings(data_dir=tmp_path, storage_url=folder.as_uri()))
    assert isinstance(local, LocalStorage) and local.root == folder
    for name, value in s3.env("unit", "fac").items():
        monkeypatch.setenv(name, value)
    remote = make_storage(Settings(data_dir=tmp_path, storage_url="s3://unit/fac"))
    assert isinstance(remote, S3Storage)
    assert remote.workspace.root == tmp_path / "workspace"
    remote.put("k.txt", b"via env")
    assert s3.get("unit", "fac/k.txt") == b"via env"
    for bad in ("ftp://x/y", "s3:///nobucket", "file://host/x"):
        with pytest.raises(ValueError):
            make_storage(Settings(data_dir=tmp_path, storage_url=bad))


def test_endpoint_variables_take_the_s3_specific_one_first() -> None:
    env = {
        "AWS_ENDPOINT_URL": "http://general.test",
        "AWS_ENDPOINT_URL_S3": "http://s3.test:9000",
        "AWS_DEFAULT_REGION": "eu-west-3",
        "AWS_ACCESS_KEY_ID": "id",
        "AWS_SECRET_ACCESS_KEY": "secret",
    }
    url = obstore_sign_url(store_from_env("bkt", "pre", env))
    assert url.startswith("http://s3.test:9000/bkt/pre/k?") and "eu-west-3" in url


def obstore_sign_url(store: object) -> str:
    from datetime import timedelta

    import obstore

    return obstore.sign(store, "GET", "k", timedelta(minutes=1))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        ("", 100, None),
        ("bytes=0-9", 100, (0, 10)),
        ("bytes=90-", 100, (90, 100)),
        ("bytes=90-500", 100, (90, 100)),
        ("bytes=-10", 100, (90, 100)),
        ("bytes=-500", 100, (0, 100)),
        ("bytes=0-1,5-6", 100, None),
        ("items=0-1", 100, None),
    ],
)
def test_byte_range(header: str, size: int, expected: tuple[int, int] | None) -> None:
    assert byte_range(header, size) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=-0", "bytes=200-300"])
def test_byte_range_not_satisfiable(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable):
        byte_range(header, 100)


@pytest.mark.parametrize("header", ["bytes=9-3", "bytes=a-", "bytes=", "bytes", "bytes=1-2,x"])
def test_byte_range_malformed(header: str) -> None:
    with pytest.raises(BadRange):
        byte_range(header, 100)


@pytest.mark.parametrize("serve", ["proxy", "redirect"])
def test_files_serve_s3_objects(
    serve: str, s3: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = f"app-{serve}"
    for name, value in s3.env("unit", prefix).items():
        monkeypatch.setenv(name, value)
    settings = Settings(
        data_dir=tmp_path, storage_url=f"s3://unit/{prefix}", storage_serve=serve, workers=0
    )
    app = create_app(settings, start_workers=False)
    app.state.storage.put("clips/c/c.mp3", DATA)
    with TestClient(app, base_url=LOCAL, follow_redirects=False) as client:
        url = "/files/clips/c/c.mp3"
        head = client.head(url)
        assert head.status_code == 200 and head.content == b""
        assert int(head.headers["content-length"]) == len(DATA)
        assert head.headers["content-type"] == "audio/mpeg"
        etag = head.headers["etag"]
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
        first = client.get(url)
        if serve == "redirect":
            assert first.status_code == 307 and first.headers["cache-control"] == "no-store"
            location = first.headers["location"]
            assert location.startswith(s3.endpoint)
            assert httpx.get(location).content == DATA
            ranged = httpx.get(location, headers={"Range": "bytes=100-199"})
            assert ranged.status_code == 206 and ranged.content == DATA[100:200]
        else:
            assert first.status_code == 200 and first.content == DATA
            assert first.headers["etag"] == etag and "max-age" in first.headers["cache-control"]
            part = client.get(url, headers={"Range": "bytes=100-199"})
            assert part.status_code == 206 and part.content == DATA[100:200]
            assert part.headers["content-range"] == f"bytes 100-199/{len(DATA)}"
            tail = client.get(url, headers={"Range": "bytes=-5"})
            assert tail.content == DATA[-5:]
            stale = client.get(url, headers={"Range": "bytes=0-1", "If-Range": '"other"'})
            assert stale.status_code == 200 and stale.content == DATA
            bad = client.get(url, headers={"Range": f"bytes={len(DATA)}-"})
            assert bad.status_code == 416
        assert client.get("/files/clips/c/none.mp3").status_code == 404
        assert client.get("/files/../../etc/passwd").status_code == 404


def test_a_stream_tailer_stops_when_its_file_is_published_away(tmp_path: Path) -> None:
    """A remote backend moves the finished mp3 out of the workspace: /stream's tailer sends the
    rest from its open file and stops, and before the file exists it waits for it."""
    import asyncio

    from openchirp.api.files import done_or_moved
    from openchirp.media.streaming import tail_file

    path = tmp_path / "clip.mp3"

    async def scenario() -> bytes:
        got: list[bytes] = []

        async def read() -> None:
            async for chunk in tail_file(path, done_or_moved(path), poll_s=0.01):
                got.append(chunk)

        reader = asyncio.create_task(read())
        await asyncio.sleep(0.05)
        assert not reader.done()  # no file yet: waiting, not finished
        path.write_bytes(b"first ")
        await asyncio.sleep(0.05)
        with open(path, "ab") as f:
            f.write(b"second")
        path.rename(tmp_path / "published.mp3")  # no .done marker ever written here
        await asyncio.wait_for(reader, 5)
        return b"".join(got)

    assert asyncio.run(scenario()) == b"first second"
