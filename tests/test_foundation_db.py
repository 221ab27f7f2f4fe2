"""The schema: every seed entity is a table, models and migrations agree, pragmas are set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from reelforge.accounts.models import User
from reelforge.db import migrate
from reelforge.db.engine import Database
from reelforge.db.registry import metadata

SEED_TABLES = {
    "users",
    "sessions",
    "user_sessions",
    "user_activity_logs",
    "credit_history",
    "charge_requests",
    "settings",
    "prompts",
    "youtube_channels",
    "jobs",
    "job_logs",
    "scripts",
    "script_logs",
    "folders",
    "tasks",
    "task_logs",
    "youtube_uploads",
}

SEED_INDEXES = {
    "users": {"idx_users_verification_token"},
    "sessions": {"idx_sessions_user_id", "idx_sessions_expires_at"},
    "jobs": {"idx_jobs_user_id", "idx_jobs_status", "idx_jobs_created_at"},
    "scripts": {"idx_scripts_user_id", "idx_scripts_status", "idx_scripts_created_at"},
    "job_logs": {"idx_job_logs_job_id"},
    "script_logs": {"idx_script_logs_script_id"},
    "credit_history": {"idx_credit_history_user_id", "idx_credit_history_created_at"},
    "charge_requests": {"idx_charge_requests_user_id", "idx_charge_requests_status"},
    "user_activity_logs": {"idx_user_activity_logs_user_id", "idx_user_activity_logs_created_at"},
    "folders": {"idx_folders_user_id"},
    "tasks": {"idx_tasks_status", "idx_tasks_priority", "idx_tasks_created_at"},
    "task_logs": {"idx_task_logs_task_id"},
    "youtube_uploads": {
        "idx_youtube_uploads_user_id",
        "idx_youtube_uploads_video_id",
        "idx_youtube_uploads_published_at",
    },
}


def test_every_seed_table_and_index_exists(db: Database) -> None:
    insp = inspect(db.engine)
    tables = set(insp.get_table_names())
    assert SEED_TABLES <= tables
    for table, wanted in SEED_INDEXES.items():
        have = {ix["name"] for ix in insp.get_indexes(table)}
        assert wanted <= have, f"{table}: missing {wanted - have}"
    # users.email is unique (seed idx_users_email is the unique constraint's index)
    uniques = {tuple(u["column_names"]) for u in insp.get_unique_constraints("users")}
    assert ("email",) in uniques


def test_seed_cascades(db: Database) -> None:
    insp = inspect(db.engine)

    def ondelete(table: str, referred: str) -> str | None:
        for fk in insp.get_foreign_keys(table):
            if fk["referred_table"] == referred:
                return (fk.get("options") or {}).get("ondelete")
        raise AssertionError(f"{table} has no foreign key to {referred}")

    assert ondelete("job_logs", "jobs") == "CASCADE"
    assert ondelete("script_logs", "scripts") == "CASCADE"
    assert ondelete("task_logs", "tasks") == "CASCADE"
    for table in (
        "sessions",
        "jobs",
        "scripts",
        "credit_history",
        "charge_requests",
        "user_activity_logs",
        "folders",
        "youtube_uploads",
    ):
        ondelete(table, "users")  # exists


def test_models_and_migrations_agree(db: Database) -> None:
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, metadata)
    assert diff == []


def test_downgrade_to_base_and_back(db: Database) -> None:
    migrate.downgrade(db.engine, "base")
    assert migrate.current_revision(db.engine) is None
    remaining = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert remaining == set()
    migrate.upgrade(db.engine)
    assert migrate.is_at_head(db.engine)
    assert SEED_TABLES <= set(inspect(db.engine).get_table_names())


def test_sqlite_pragmas(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'p.db'}")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 15000
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
        assert conn.execute(text("PRAGMA cache_size")).scalar() == -64000


def test_timestamps_are_aware_utc_and_naive_refused(db: Database) -> None:
    kst = datetime(2026, 1, 1, 9, 0, tzinfo=UTC) + timedelta(hours=0)
    with db.session() as s:
        u = User(email="a@example.com", password_hash="x", email_verified_at=kst)
        s.add(u)
    with db.read_session() as s:
        got = s.get(User, u.id)
        assert got is not None
        assert got.created_at.tzinfo is not None
        assert got.email_verified_at == kst
    with pytest.raises(Exception, match="naive"), db.session() as s:
        s.add(User(email="b@example.com", password_hash="x", email_verified_at=datetime(2026, 1, 1)))


def test_credits_cannot_go_negative(db: Database) -> None:
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(User(email="neg@example.com", password_hash="x", credits=-1))


def test_foreign_keys_enforced(db: Database) -> None:
    from reelforge.jobs.models import Job

    with pytest.raises(IntegrityError), db.session() as s:
        s.add(Job(user_id="no-such-user", type="shortform"))


def test_log_rows_cascade_with_their_job(db: Database) -> None:
    from reelforge.jobs.models import Job, JobLog

    with db.session() as s:
        u = User(email="c@example.com", password_hash="x")
        s.add(u)
        s.flush()
        job = Job(user_id=u.id, type="shortform")
        s.add(job)
        s.flush()
        s.add(JobLog(job_id=job.id, log_message="hello"))
    with db.session() as s:
        s.delete(s.get(Job, job.id))
    with db.read_session() as s:
        assert s.execute(text("SELECT count(*) FROM job_logs")).scalar() == 0
