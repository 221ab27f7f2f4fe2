"""API shapes of the library domain."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class FolderIn(BaseModel):
    name: str = Field(max_length=500)
    color: str | None = Field(default=None, max_length=20, description="#RRGGBB; default #8B5CF6")


class FolderPatch(BaseModel):
    name: str | None = Field(default=None, max_length=500)
    color: str | None = Field(default=None, max_length=20)


class FolderOut(BaseModel):
    id: str
    name: str
    color: str
    script_count: int
    video_count: int
    created_at: datetime
    updated_at: datetime


class FolderList(BaseModel):
    items: list[FolderOut]
    unfiled_scripts: int
    unfiled_videos: int


class MoveIn(BaseModel):
    script_ids: list[str] = Field(default_factory=list, max_length=200)
    video_ids: list[str] = Field(default_factory=list, max_length=200)


class MoveOut(BaseModel):
    folder_id: str | None
    moved_scripts: int
    moved_videos: int


class YoutubeBadge(BaseModel):
    video_id: str | None
    url: str | None
    channel_title: str | None
    published_at: datetime | None


class LibraryItem(BaseModel):
    id: str
    title: str
    type: str
    status: str
    progress: int
    duration_seconds: float | None
    folder_id: str | None
    folder_name: str | None
    thumbnail_url: str | None
    page_url: str
    created_at: datetime
    youtube: YoutubeBadge | None


class LibraryOut(BaseModel):
    items: list[LibraryItem]
    page: int
    has_more: bool
