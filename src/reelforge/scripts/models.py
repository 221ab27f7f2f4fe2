"""Tables of the scripts domain: scripts (a script-generation job and its document), logs, prompts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from reelforge.db.base import Base, CreatedAt, Timestamps, UUIDPk
from reelforge.jobs.models import DurableWork


class Script(UUIDPk, Timestamps, DurableWork, Base):
    """Seed `scripts` (with `scripts_temp`'s queue columns folded in as durable-work columns)."""

    __tablename__ = "scripts"
    __table_args__ = (
        CheckConstraint("status IN ('pending','processing','completed','failed','cancelled')", name="status_valid"),
        Index("idx_scripts_user_id", "user_id"),
        Index("idx_scripts_status", "status"),
        Index("idx_scripts_created_at", "created_at"),
        Index("idx_scripts_user_id_created_at", "user_id", "created_at"),
    )

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    title: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    # The structured script document (versioned JSON schema); empty until generated.
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    original_topic: Mapped[str] = mapped_column(String(500), nullable=False)
    type: Mapped[str] = mapped_column(String(16), nullable=False)  # longform|shortform|sora2
    language: Mapped[str] = mapped_column(String(8), default="ko", nullable=False)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    provider: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    folder_id: Mapped[str | None] = mapped_column(ForeignKey("folders.id", ondelete="SET NULL"), index=True)


class ScriptLog(CreatedAt, Base):
    """Seed script_logs."""

    __tablename__ = "script_logs"
    __table_args__ = (Index("idx_script_logs_script_id", "script_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    script_id: Mapped[str] = mapped_column(ForeignKey("scripts.id", ondelete="CASCADE"), nullable=False)
    level: Mapped[str] = mapped_column(String(10), default="info", nullable=False)
    log_message: Mapped[str] = mapped_column(Text, nullable=False)


class Prompt(Timestamps, Base):
    """Seed prompts.json: the templates a script type is written with (one per type and language)."""

    __tablename__ = "prompts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # e.g. shortform-default-ko
    type: Mapped[str] = mapped_column(String(16), nullable=False)
    language: Mapped[str] = mapped_column(String(8), default="ko", nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    system_prompt: Mapped[str] = mapped_column(Text, nullable=False)
    scene_template: Mapped[str] = mapped_column(Text, nullable=False)
    image_template: Mapped[str] = mapped_column(Text, nullable=False)  # the seed's dalleTemplate
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    updated_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class PromptVersion(CreatedAt, Base):
    """A previous text of a prompt, kept on every edit so it can be reverted."""

    __tablename__ = "prompt_versions"
    __table_args__ = (Index("idx_prompt_versions_prompt_id_version", "prompt_id", "version", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    prompt_id: Mapped[str] = mapped_column(ForeignKey("prompts.id", ondelete="CASCADE"), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    system_prompt: Mapped[str] = mapped_column(Text, nullable=False)
    scene_template: Mapped[str] = mapped_column(Text, nullable=False)
    image_template: Mapped[str] = mapped_column(Text, nullable=False)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
