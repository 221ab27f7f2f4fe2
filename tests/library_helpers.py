"""Rows for the library tests: folders, scripts, render and upload jobs, YouTube uploads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reelforge.db.engine import Database
from reelforge.jobs.models import Job
from reelforge.library.models import Folder
from reelforge.scripts.models import Script
from reelforge.youtube.models import YoutubeUpload

BASE_TIME = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def folder(db: Database, user_id: str, name: str, color: str = "#8B5CF6") -> str:
    with db.session() as s:
        row = Folder(user_id=user_id, name=name, color=color)
        s.add(row)
        s.flush()
        return row.id


def script(db: Database, user_id: str, title: str, folder_id: str | None = None) -> str:
    with db.session() as s:
        row = Script(
            user_id=user_id,
            title=title,
            original_topic=title,
            type="shortform",
            language="ko",
            status="completed",
            folder_id=folder_id,
        )
        s.add(row)
        s.flush()
        return row.id


def video(
    db: Database,
    user_id: str,
    title: str,
    *,
    minutes_after: int = 0,
    type: str = "shortform",
    status: str = "completed",
    duration: float | None = 30.0,
    folder_id: str | None = None,
    kind: str = "render",
) -> str:
    """A render (or, with kind="upload", an upload job) created `minutes_after` BASE_TIME."""
    when = BASE_TIME + timedelta(minutes=minutes_after)
    with db.session() as s:
        row = Job(
            user_id=user_id,
            kind=kind,
            type=type,
            title=title,
            status=status,
            progress=100 if status == "completed" else 0,
            folder_id=folder_id,
            duration_seconds=duration if status == "completed" else None,
            video_url="/api/v1/renders/x/video.mp4" if status == "completed" and kind == "render" else None,
            created_at=when,
            updated_at=when,
        )
        s.add(row)
        s.flush()
        if row.video_url:
            row.video_url = f"/api/v1/renders/{row.id}/video.mp4"
        return row.id


def youtube_upload(db: Database, user_id: str, source_job_id: str, video_id: str = "dQw4w9WgXcQ") -> str:
    with db.session() as s:
        row = YoutubeUpload(
            user_id=user_id,
            source_job_id=source_job_id,
            status="completed",
            video_id=video_id,
            video_url=f"https://youtu.be/{video_id}",
            title="uploaded",
            privacy_status="unlisted",
            channel_title="내 채널",
            published_at=BASE_TIME,
        )
        s.add(row)
        s.flush()
        return row.id


def job_folder(db: Database, job_id: str) -> str | None:
    with db.read_session() as s:
        row = s.get(Job, job_id)
        assert row is not None
        return row.folder_id


def script_folder(db: Database, script_id: str) -> str | None:
    with db.read_session() as s:
        row = s.get(Script, script_id)
        assert row is not None
        return row.folder_id
