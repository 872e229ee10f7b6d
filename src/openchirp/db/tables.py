"""The tables. The database is the single source of truth for every clip and every job."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("handle", String(64), nullable=False, unique=True),
    Column("display_name", String(128), nullable=False),
    Column("monthly_limit", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("signing_secret", String(80), nullable=True),
    # Signs callbacks of batches made without a key (the local owner); made when first needed.
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("signing_secret", String(80), nullable=True),
    # Signs the callbacks of batches made with this key; kept in clear because signing needs it.
)

# A create or extend request: sunoapi.com's `task_id`, Suno's batch.
batches = Table(
    "batches",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("model", String(32), nullable=False),
    Column("request", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("callback_url", Text, nullable=True),
    Column("api_key_id", String(36), nullable=True),
    # The key that made the batch: its secret signs the callbacks (None: the user's own secret).
    Column("task_id_form", String(8), nullable=True),
    # How the client was given the batch id: "uuid" (None) or "hex" (sunoapi.org).
)

clips = Table(
    "clips",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("batch_id", String(36), ForeignKey("batches.id"), nullable=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("title", Text, nullable=False, default=""),
    Column("model", String(32), nullable=False),
    Column("engine", String(200), nullable=False),
    Column("seed", Integer, nullable=False, default=0),
    Column("variant", Integer, nullable=False, default=0),
    Column("meta", JSON, nullable=False),
    # Suno's `metadata` object: tags, prompt, history, type, duration, error_*...
    Column("plan", JSON, nullable=True),
    Column("words", JSON, nullable=True),
    Column("stems", JSON, nullable=True),
    # Stem name -> storage key of its wav.
    Column("audio_key", String(200), nullable=True),
    Column("video_key", String(200), nullable=True),
    Column("image_key", String(200), nullable=True),
    Column("image_large_key", String(200), nullable=True),
    Column("wav_key", String(200), nullable=True),
    Column("render_input", JSON, nullable=True),
    # What the clip is made from (core.render_input.RenderInput); written at creation.
    Column("timeline_offset_s", Float, nullable=True),
    # Where the clip's plan starts in its song: set for a whole (concatenated) song, whose plan
    # is its last part's.
    Column("credits", Integer, nullable=False, default=0),
    Column("completions", Integer, nullable=False, default=0),
    # How many times the clip reached `complete`: exactly once, or something is wrong.
    Column("is_public", Boolean, nullable=False, default=False),
    Column("is_trashed", Boolean, nullable=False, default=False),
    Column("is_liked", Boolean, nullable=False, default=False),
    Column("play_count", Integer, nullable=False, default=0),
    Column("upvote_count", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_clips_user_created", "user_id", "created_at"),
    Index("ix_clips_batch", "batch_id"),
)

# The queue. A job renders one clip (or writes lyrics, or makes a video); workers claim jobs
# with a lease they keep alive by heartbeat.
jobs = Table(
    "jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("subject_id", String(36), nullable=False),
    # The clip (or lyrics row) the job works on.
    Column("state", String(12), nullable=False),
    # pending | running | done | failed
    Column("priority", Integer, nullable=False, default=0),
    Column("engine", String(200), nullable=True),
    # The engine a render job runs on (workers may be limited to some); None for other kinds.
    Column("attempts", Integer, nullable=False, default=0),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_expires_at", DateTime(timezone=True), nullable=True),
    Column("run_after", DateTime(timezone=True), nullable=False),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("dispatched_at", DateTime(timezone=True), nullable=True),
    # Last handed to the distributed queue (None: never); see jobs/celery_queue.py.
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    # The last attempt's run time (render seconds in /metrics).
    Index("ix_jobs_state_run_after", "state", "run_after"),
    Index("ix_jobs_subject", "subject_id"),
)

device_memory = Table(
    # Each GPU worker's device memory per engine, as it last reported it (/metrics). One row per
    # (worker, engine, kind), overwritten; a worker's rows go when it stops, and rows no worker
    # refreshed for a while (it died) are left out of /metrics.
    "device_memory",
    metadata,
    Column("worker", String(200), primary_key=True),
    Column("engine", String(200), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("bytes", Float, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

lyrics = Table(
    "lyrics",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("input", Text, nullable=False),
    Column("title", Text, nullable=True),
    Column("text", Text, nullable=True),
    Column("tags", Text, nullable=True),
    Column("error_message", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("ended_at", DateTime(timezone=True), nullable=True),
)

# A create's Idempotency-Key: a retried create with the same key and request replays the batch
# the first one made. Written in the batch's own transaction, so a key never outlives or misses
# its batch.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("user_id", String(36), ForeignKey("users.id"), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    # sha256 of the domain request: the same key with another request is refused.
    Column("batch_id", String(36), ForeignKey("batches.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# One delivery per batch and stage; the body is fixed when the stage happens, and every retry
# posts it again (freshly signed).
callbacks = Table(
    "callbacks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("batch_id", String(36), ForeignKey("batches.id"), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("url", Text, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("state", String(12), nullable=False),
    # pending | delivered | failed
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("batch_id", "stage"),
)

callback_attempts = Table(
    "callback_attempts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("callback_id", String(36), ForeignKey("callbacks.id"), nullable=False),
    Column("batch_id", String(36), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("url", Text, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("duration_ms", Float, nullable=False),
    Column("delivered", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_callback_attempts_batch", "batch_id", "created_at"),
)
