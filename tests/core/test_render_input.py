"""The typed render input: its JSON, the one continue_at check, and migration 0002 on old rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import text

from openchirp.core.errors import InvalidInput
from openchirp.core.render_input import (
    ContinueFrom,
    RenderInput,
    SongPart,
    StemOf,
    continue_from,
    render_input_of,
)
from openchirp.db import repo
from openchirp.db.database import Database
from openchirp.db.migrate import upgrade
from openchirp.db.records import Clip
from tests.support.server import PgDatabase

CLIP_COLUMNS = [
    "id",
    "user_id",
    "status",
    "title",
    "model",
    "engine",
    "seed",
    "variant",
    "credits",
    "completions",
    "is_public",
    "is_trashed",
    "is_liked",
    "play_count",
    "upvote_count",
    "created_at",
    "updated_at",
]

NOW = datetime(2026, 11, 30, tzinfo=UTC)
OLD_CLIPS = sa.table(
    "clips",
    *(sa.column(name) for name in CLIP_COLUMNS),
    sa.column("meta", sa.JSON),
    sa.column("plan", sa.JSON),
)
"""The clips table as revision 0001 made it (without the columns 0002 adds)."""


def a_clip(**values: object) -> Clip:
    base = Clip(
        id="c1", batch_id=None, user_id="u", status="complete", title="T", model="chirp-v3-5",
        engine="composer", seed=7, variant=0, meta={"duration": 30.0}, audio_key=None,
        video_key=None, image_key=None, image_large_key=None, wav_key=None, credits=0,
        completions=1, is_public=False, is_trashed=False, is_liked=False, play_count=0,
        upvote_count=0, created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    return replace(base, **values)


def test_json_round_trip() -> None:
    full = RenderInput(
        lyrics="[Verse]\nla",
        tags="pop",
        model="chirp-v4",
        engine="composer",
        negative_tags="metal",
        title="Song",
        instrumental=True,
        seed=3,
        continuation=ContinueFrom("src", 12.5),
        parts=(SongPart("a", 10.0), SongPart("b", None)),
        stem_of=StemOf("s", "vocals"),
    )
    assert RenderInput.from_json(full.to_json()) == full
    bare = RenderInput(lyrics="", tags="", model="chirp-v4", engine="tone")
    assert RenderInput.from_json(bare.to_json()) == bare


def test_continue_at_is_checked_once_and_moved_onto_the_plan() -> None:
    assert continue_from(a_clip(), 10.0) == ContinueFrom("c1", 10.0)
    # A whole song: its plan is its last part's, which starts 20 s into the song.
    assert continue_from(a_clip(timeline_offset_s=20.0), 25.0) == ContinueFrom("c1", 5.0)
    for at in (None, 0.0, -1.0, 30.0, 31.0, float("nan"), float("inf")):
        with pytest.raises(InvalidInput) as info:
            continue_from(a_clip(), at)
        assert info.value.field == "continue_at"
    with pytest.raises(InvalidInput, match="after 20.00 s"):
        continue_from(a_clip(timeline_offset_s=20.0), 15.0)


def test_a_clip_without_one_is_refused() -> None:
    with pytest.raises(LookupError):
        render_input_of(a_clip())


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path: Path):
    if request.param == "sqlite":
        yield Database(f"sqlite:///{tmp_path / 'm.db'}")
        return
    pg = PgDatabase()
    yield Database(pg.url)
    pg.drop()


def test_migration_derives_inputs_and_moves_the_offset(db: Database) -> None:
    """Rows written before 0002 get the render input the service writes now, once."""
    upgrade(db, "0001")
    meta = {"prompt": "[Verse]\nhi", "tags": "rock", "negative_tags": "", "has_vocal": True}
    with db.write() as conn:
        user = repo.ensure_user(conn, "me")

        def old_clip(clip_id: str, clip_meta: dict, plan: dict | None = None) -> None:
            conn.execute(
                OLD_CLIPS.insert().values(
                    id=clip_id, user_id=user.id, status="complete", title="Old",
                    model="chirp-v4", engine="composer", seed=5, variant=0, meta=clip_meta,
                    plan=plan, credits=0, completions=1, is_public=False, is_trashed=False,
                    is_liked=False, play_count=0, upvote_count=0, created_at=NOW, updated_at=NOW,
                )
            )  # fmt: skip

        old_clip("song", {**meta, "concat_history": [{"id": "a", "continue_at": 8.0}]}, {
            "engine": "composer", "timeline_offset_s": 8.0, "tempo": 120
        })  # fmt: skip
        history = [{"id": "song", "continue_at": 20.0}]
        old_clip("ext", {**meta, "history": history, "has_vocal": False})
        old_clip("stem", {**meta, "stem_from_id": "song", "stem_type": "vocals"})
        conn.execute(
            text(
                "INSERT INTO jobs (id, kind, subject_id, state, priority, attempts, run_after,"
                " created_at, updated_at) VALUES ('j', 'render', 'ext', 'pending', 0, 0, :now,"
                " :now, :now)"
            ).bindparams(now=NOW)
        )
    upgrade(db)
    with db.read() as conn:
        song, ext, stem = (repo.get_clip(conn, i) for i in ("song", "ext", "stem"))
        engine = conn.execute(text("SELECT engine FROM jobs WHERE id = 'j'")).scalar_one()
    assert engine == "composer"
    assert song.plan == {"engine": "composer", "tempo": 120} and song.timeline_offset_s == 8.0
    assert render_input_of(song).parts == (SongPart("a", 8.0),)
    spec = render_input_of(ext)
    assert spec == RenderInput(
        lyrics="[Verse]\nhi",
        tags="rock",
        model="chirp-v4",
        engine="composer",
        title="Old",
        instrumental=True,
        seed=5,
        continuation=ContinueFrom("song", 12.0),
    )
    assert render_input_of(stem).stem_of == StemOf("song", "vocals")
