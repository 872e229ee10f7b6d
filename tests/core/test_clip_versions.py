"""The version check of a clip poll: the plain sqlite3 query answers as the SQLAlchemy one."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from openchirp.db import repo
from openchirp.db.database import Database
from openchirp.db.migrate import upgrade


def test_plain_sqlite_versions_match_sqlalchemy(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'v.db'}")
    upgrade(db)
    with db.write() as conn:
        me = repo.ensure_user(conn, "me")
        other = repo.ensure_user(conn, "other")
        batch, _ = repo.insert_batch(conn, user_id=me.id, kind="create", model="m", request={})
        mine = repo.insert_clip(
            conn, user_id=me.id, batch_id=batch, model="m", engine="tone", meta={}
        )
        theirs = repo.insert_clip(
            conn, user_id=other.id, batch_id=batch, model="m", engine="tone", meta={}
        )
        public = repo.insert_clip(
            conn, user_id=other.id, batch_id=batch, model="m", engine="tone", meta={}
        )
        repo.update_clip(conn, public, is_public=True)
    asked = [public, "missing", mine, theirs, mine, "nul\x00id", "x' OR 1=1 --"]
    raw = db.sqlite_reader()
    assert raw is not None and raw is db.sqlite_reader()  # one per thread, kept
    for user in (me, other):
        with db.read() as conn:
            expected = repo.clip_versions(conn, asked, user.id)
        assert repo.clip_versions_sqlite(raw, asked, user.id) == expected
    assert set(expected) == {public, theirs}  # "other" sees their own and the public one
    assert repo.clip_versions_sqlite(raw, [], me.id) == {}
    # A change from another connection is seen at once: no snapshot is held between reads.
    before = repo.clip_versions_sqlite(raw, [mine], me.id)
    with db.write() as conn:
        repo.update_clip(conn, mine, title="changed")
    assert repo.clip_versions_sqlite(raw, [mine], me.id) != before
    # Each thread gets its own connection (sqlite3 objects must not cross threads).
    seen = []
    thread = threading.Thread(target=lambda: seen.append(db.sqlite_reader()))
    thread.start()
    thread.join()
    assert seen[0] is not None and seen[0] is not raw
    db.dispose()
    for closed in (raw, seen[0]):  # every thread's reader, not only the disposing thread's
        with pytest.raises(sqlite3.ProgrammingError):
            closed.execute("SELECT 1")


def test_postgres_has_no_plain_sqlite_reader() -> None:
    assert Database("postgresql://127.0.0.1:5432/test").sqlite_reader() is None
