"""The scripts domain's rules: ordering a script (paid, queued), reading, editing, copying, deleting.

Every function takes a session and never commits. Ownership: other users' scripts
answer 404, exactly like missing ones.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete
from sqlalchemy.orm import Session

from reelforge.config import Settings
from reelforge.credits import service as credits
from reelforge.errors import Conflict, InvalidInput
from reelforge.i18n import stored
from reelforge.jobs.runner import TABLES, workdir_for
from reelforge.jobs.service import cancel_record, check_user_limits, retry_record
from reelforge.providers.llm import ScriptRequest
from reelforge.scripts import messages
from reelforge.scripts.models import Script, ScriptLog
from reelforge.scripts.prompts import LANGUAGES, LENGTHS, TONES, TYPES
from reelforge.scripts.queries import MAX_PAGE as MAX_PAGE
from reelforge.scripts.queries import MAX_QUERY as MAX_QUERY
from reelforge.scripts.queries import STATUSES as STATUSES
from reelforge.scripts.queries import get_owned_script
from reelforge.scripts.queries import list_scripts as list_scripts
from reelforge.scripts.queries import script_logs as script_logs
from reelforge.scripts.schema import SCENE_BOUNDS, ScriptDocument, estimate_narration_seconds, load_document

ACTIVE = ("pending", "processing")
FINAL = ("completed", "failed", "cancelled")


# ------------------------------------------------------------------ input
def clean_topic(topic: str, settings: Settings) -> str:
    text = unicodedata.normalize("NFC", topic or "")
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = " ".join(text.split())
    if not text:
        raise InvalidInput("Write a topic for the script.", field="topic", reason="empty")
    limit = settings.script_topic_max_chars
    if len(text) > limit:
        raise InvalidInput(
            f"The topic is {len(text)} characters long; the limit is {limit}. Shorten it to the core idea.",
            field="topic",
            reason="too_long",
            limit=limit,
            length=len(text),
        )
    return text


def make_request(
    settings: Settings,
    *,
    topic: str,
    type: str = "shortform",
    language: str = "ko",
    tone: str = "friendly",
    length: str = "standard",
    scene_count: int | None = None,
) -> ScriptRequest:
    """Validate what the user asked for into a ScriptRequest (clear 422s for every bad field)."""
    text = clean_topic(topic, settings)
    if type not in TYPES:
        raise InvalidInput(
            f"Unknown script type {type!r}; use one of {', '.join(TYPES)}.", field="type", allowed=list(TYPES)
        )
    if language not in LANGUAGES:
        raise InvalidInput(
            f"Unknown language {language!r}; use one of {', '.join(LANGUAGES)}.",
            field="language",
            allowed=list(LANGUAGES),
        )
    if tone not in TONES:
        raise InvalidInput(f"Unknown tone {tone!r}; use one of {', '.join(TONES)}.", field="tone", allowed=list(TONES))
    if length not in LENGTHS:
        raise InvalidInput(
            f"Unknown length {length!r}; use one of {', '.join(LENGTHS)}.", field="length", allowed=list(LENGTHS)
        )
    if scene_count is not None:
        low, high = SCENE_BOUNDS[type]
        if not low <= scene_count <= high:
            raise InvalidInput(
                f"A {type} script has {low} to {high} scenes.", field="scene_count", minimum=low, maximum=high
            )
    return ScriptRequest(topic=text, type=type, language=language, tone=tone, length=length, scene_count=scene_count)


# ------------------------------------------------------------------ create (paid)
@dataclass
class Created:
    script: Script
    created: bool  # False: an Idempotency-Key replay returned the earlier script


def create_script(
    db: Session,
    user_id: str,
    request: ScriptRequest,
    settings: Settings,
    *,
    idempotency_key: str | None = None,
) -> Created:
    """Create the script row and debit its price in the caller's transaction.

    Dispatching the job is the caller's (`scripts.flows`, after commit; a render from a topic
    runs it as its first step). With an Idempotency-Key that was used before, the earlier
    script is returned and nothing is charged.
    """
    key = credits.validate_idempotency_key(idempotency_key)
    if key is not None:
        earlier = credits.find_debit_by_idempotency_key(db, user_id, key)
        if earlier is not None:
            if earlier.script_id is None:
                raise Conflict(
                    "This Idempotency-Key was already used for another purchase.",
                    field="Idempotency-Key",
                    reason="key_reused",
                )
            row = db.get(Script, earlier.script_id)
            if row is None or row.user_id != user_id:
                raise Conflict("This Idempotency-Key belongs to a script that was deleted.", field="Idempotency-Key")
            return Created(row, created=False)
    check_user_limits(db, user_id, settings)
    if key is None:
        return Created(_create_paid(db, user_id, request), created=True)
    try:
        with db.begin_nested():  # a lost race on the key undoes the row together with the debit
            return Created(_create_paid(db, user_id, request, key), created=True)
    except Conflict as exc:
        earlier_id = exc.extra.get("script_id")
        row = db.get(Script, earlier_id) if earlier_id else None
        if row is None or row.user_id != user_id:
            raise
        return Created(row, created=False)


def _create_paid(db: Session, user_id: str, request: ScriptRequest, key: str | None = None) -> Script:
    row = Script(
        user_id=user_id,
        title=request.topic[:300],
        original_topic=request.topic,
        type=request.type,
        language=request.language,
        status="pending",
        options={
            "tone": request.tone,
            "length": request.length,
            **({"scene_count": request.scene_count} if request.scene_count is not None else {}),
        },
    )
    db.add(row)
    db.flush()
    price = credits.get_price(db, "script")
    entry = credits.debit(
        db,
        user_id,
        price,
        description=stored.text(messages.SCRIPT_DEBIT, topic=request.topic[:80]),
        script_id=row.id,
        idempotency_key=key,
    )
    row.debit_id = entry.id
    db.add(ScriptLog(script_id=row.id, level="info", log_message=f"Queued ({price} credits)."))
    db.flush()
    return row


# ------------------------------------------------------------------ read
def get_script(db: Session, script_id: str, *, user_id: str | None) -> Script:
    """Kept for callers of the old name: the owned getter lives in `scripts.queries`."""
    return get_owned_script(db, script_id, user_id=user_id)


def document_of(row: Script) -> ScriptDocument | None:
    if not row.content:
        return None
    return load_document(row.content)


def scene_seconds(document: ScriptDocument) -> list[float]:
    return [estimate_narration_seconds(s.narration, document.language) for s in document.scenes]


def summary(row: Script) -> dict[str, Any]:
    content = row.content or {}
    scenes = content.get("scenes") or []
    language = content.get("language", row.language)
    seconds = sum(estimate_narration_seconds(str(s.get("narration", "")), language) for s in scenes)
    return {
        "offline_draft": bool(content.get("offline_draft", False)),
        "scene_count": len(scenes),
        "estimated_seconds": round(seconds, 1),
    }


# ------------------------------------------------------------------ edit
def _require_document(row: Script) -> ScriptDocument:
    if row.status != "completed" or not row.content:
        raise Conflict(
            f"This script is {row.status}; only a finished script can be edited.",
            script_status=row.status,
            reason="not_finished",
        )
    document = document_of(row)
    assert document is not None
    return document


def _same_instant(a: datetime, b: datetime) -> bool:
    return abs((a - b).total_seconds()) < 0.001


def update_script(
    db: Session,
    script_id: str,
    *,
    user_id: str,
    title: str | None = None,
    description: str | None = None,
    tags: list[str] | None = None,
    scenes: list[dict[str, Any]] | None = None,
    expected_updated_at: datetime | None = None,
) -> Script:
    """Validated edit of a finished script's document. `scenes` replaces the whole list."""
    row = get_script(db, script_id, user_id=user_id)
    document = _require_document(row)
    if expected_updated_at is not None:
        if expected_updated_at.tzinfo is None:
            raise InvalidInput("expected_updated_at needs a time zone.", field="expected_updated_at")
        if not _same_instant(expected_updated_at, row.updated_at):
            raise Conflict(
                "This script was changed after you opened it; reload it and apply your edit again.",
                reason="stale",
                updated_at=row.updated_at.isoformat(),
            )
    data = document.model_dump(mode="json")
    if title is not None:
        data["title"] = title
    if description is not None:
        data["description"] = description
    if tags is not None:
        data["tags"] = tags
    if scenes is not None:
        low, high = SCENE_BOUNDS[document.type]
        if not low <= len(scenes) <= high:
            raise InvalidInput(
                f"A {document.type} script has {low} to {high} scenes; this edit has {len(scenes)}.",
                field="scenes",
                minimum=low,
                maximum=high,
            )
        data["scenes"] = [
            {k: v for k, v in s.items() if k in ("narration", "image_prompt", "caption", "clip_seconds")}
            for s in scenes
        ]
        if document.type != "sora2":
            for s in data["scenes"]:
                s["clip_seconds"] = None
    try:
        new = ScriptDocument.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(
            f"The edit is not valid at {where}: {first['msg']}.",
            field=where,
            errors=[{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()[:20]],
        ) from None
    row.content = new.model_dump(mode="json")
    row.title = new.title[:300]
    db.add(ScriptLog(script_id=row.id, level="info", log_message="Edited."))
    db.flush()
    return row


def duplicate_script(db: Session, script_id: str, *, user_id: str) -> Script:
    """A free copy of a finished script (to try variations without paying again)."""
    row = get_script(db, script_id, user_id=user_id)
    document = _require_document(row)
    data = document.model_dump(mode="json")
    suffix = " (copy)" if document.language == "en" else " (사본)"
    data["title"] = (document.title[: 100 - len(suffix)] + suffix).strip()
    copy = Script(
        user_id=user_id,
        title=data["title"],
        original_topic=row.original_topic,
        type=row.type,
        language=row.language,
        status="completed",
        progress=100,
        content=data,
        options={**(row.options or {}), "copied_from": row.id},
        provider=row.provider,
        folder_id=row.folder_id,
    )
    db.add(copy)
    db.flush()
    db.add(ScriptLog(script_id=copy.id, level="info", log_message=f"Copied from script {row.id}."))
    db.flush()
    return copy


def delete_script(db: Session, script_id: str, *, user_id: str, settings: Settings) -> Path:
    """Delete a finished script and its log; returns its work folder for the caller to remove after commit."""
    row = get_script(db, script_id, user_id=user_id)
    if row.status in ACTIVE:
        raise Conflict(
            f"This script is still {row.status}; cancel it first, then delete it.",
            script_status=row.status,
            reason="still_active",
        )
    folder = workdir_for(settings, "scripts", script_id)
    db.execute(delete(ScriptLog).where(ScriptLog.script_id == script_id))
    db.execute(delete(Script).where(Script.id == script_id, Script.status.in_(FINAL)))
    return folder


def cancel_script(db: Session, script_id: str, *, user_id: str) -> str:
    get_script(db, script_id, user_id=user_id)
    return cancel_record(db, TABLES["scripts"], script_id)


def retry_script(db: Session, script_id: str, *, user_id: str, settings: Settings) -> Script:
    get_script(db, script_id, user_id=user_id)
    row: Script = retry_record(db, TABLES["scripts"], script_id, settings)
    return row
