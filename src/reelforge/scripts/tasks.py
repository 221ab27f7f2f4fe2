"""The script job: backup -> write -> save, as resumable steps of the job runner.

Registered as the work kind "script" (table `scripts`, queue "scripts"). Each step is
idempotent: `write` keeps its result in `<data_dir>/scripts/<id>/draft.json` and is
skipped when that exists, so a reclaimed job does not pay the model twice; `save`
copies the draft into the row (same result however often it runs).

`run_local` runs the same steps in-process for the CLI (`reelforge script ...`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reelforge.config import Settings
from reelforge.db.engine import Database
from reelforge.errors import PermanentError
from reelforge.i18n import stored
from reelforge.jobs.context import JobContext
from reelforge.jobs.registry import Step, WorkKind, register
from reelforge.providers.llm import (
    PromptSet,
    ScriptRequest,
    ScriptWriter,
    WriteResult,
    get_script_writer,
    provider_name,
)
from reelforge.scripts import backup as backup_mod
from reelforge.scripts import messages, prompts
from reelforge.scripts.models import Script
from reelforge.scripts.schema import ScriptDocument, load_document

DRAFT_FILE = "draft.json"
KIND = "script"
QUEUE = "scripts"


class StreamLog:
    """Turns streamed model text into readable log lines (one per line, or every ~160 characters)."""

    def __init__(
        self, log: Callable[[str], None], progress: Callable[[float], None] | None, expected_chars: int
    ) -> None:
        self._log = log
        self._progress = progress
        self._expected = max(200, expected_chars)
        self._buf = ""
        self.received = 0
        self._last_progress = 0.0

    def __call__(self, piece: str) -> None:
        self.received += len(piece)
        self._buf += piece
        while "\n" in self._buf or len(self._buf) >= 160:
            if "\n" in self._buf and self._buf.index("\n") < 160:
                line, self._buf = self._buf.split("\n", 1)
            else:
                line, self._buf = self._buf[:160], self._buf[160:]
            if line.strip():
                self._log("✎ " + line.rstrip())
        if self._progress is not None:
            now = time.monotonic()
            if now - self._last_progress >= 0.25:
                self._last_progress = now
                self._progress(min(0.95, self.received / self._expected))

    def close(self) -> None:
        if self._buf.strip():
            self._log("✎ " + self._buf.rstrip())
        self._buf = ""


def request_of(row: Script) -> ScriptRequest:
    options = row.options or {}
    return ScriptRequest(
        topic=row.original_topic,
        type=row.type,
        language=row.language,
        tone=str(options.get("tone", "friendly")),
        length=str(options.get("length", "standard")),
        scene_count=options.get("scene_count"),
    )


def write_script(
    settings: Settings,
    request: ScriptRequest,
    prompt_set: PromptSet,
    ctx: JobContext,
    writer: ScriptWriter | None = None,
) -> WriteResult:
    """Run the configured writer with the job log as its live output."""
    writer = writer or get_script_writer(settings)
    if writer.name == "openai":
        endpoint = getattr(writer, "endpoint", settings.llm_base_url)
        ctx.log(stored.text(messages.WRITING_WITH, model=settings.llm_model, endpoint=endpoint))
    else:
        ctx.log(stored.text(messages.WRITING_OFFLINE))
    step_progress = getattr(ctx, "step_progress", None)
    stream = StreamLog(ctx.log, step_progress, expected_chars=request.scene_target() * 260)
    try:
        result = writer.write(request, prompt_set, on_text=stream, is_cancelled=ctx.cancelled)
    finally:
        stream.close()
    ctx.check_cancelled()
    if result.input_tokens or result.output_tokens:
        ctx.log(
            stored.text(messages.TOKENS, input=result.input_tokens, output=result.output_tokens, calls=result.attempts)
        )
    ctx.log(stored.text(messages.WROTE, count=len(result.document.scenes), title=result.document.title))
    return result


# ------------------------------------------------------------------ the steps
def _load(db: Database, record_id: str) -> Script:
    with db.read_session() as s:
        row = s.get(Script, record_id)
        if row is None:
            raise PermanentError("the script was deleted")
        s.expunge(row)
        return row


def step_backup(ctx: JobContext) -> None:
    db: Database = ctx.db  # type: ignore[attr-defined]
    settings = ctx.settings
    result = backup_mod.backup_before_script(db.url, settings.data_dir, settings.script_backups_keep)
    if result.path is None:
        ctx.log(f"Backup: {result.skipped}.")
        return
    ctx.log(f"Backup: database copied to backups/{result.path.name}.")
    if result.removed:
        ctx.log(
            f"Backup: removed {len(result.removed)} older automatic backup(s), "
            f"keeping the newest {settings.script_backups_keep}."
        )


def step_write(ctx: JobContext) -> None:
    draft = Path(ctx.workdir) / DRAFT_FILE
    if draft.exists():
        ctx.log(stored.text(messages.DRAFT_REUSED))
        return
    db: Database = ctx.db  # type: ignore[attr-defined]
    row = _load(db, ctx.record_id)  # type: ignore[attr-defined]
    request = request_of(row)
    with db.session() as s:  # may seed the default templates on first use
        prompt_set = prompts.prompt_set_for(s, request)
    ctx.log(
        stored.text(
            messages.TOPIC,
            topic=request.topic,
            type=request.type,
            language=request.language,
            tone=request.tone,
            prompt_id=prompt_set.prompt_id,
            version=prompt_set.prompt_version,
        )
    )
    result = write_script(ctx.settings, request, prompt_set, ctx)
    payload = {
        "document": result.document.model_dump(mode="json"),
        "input_tokens": result.input_tokens,
        "output_tokens": result.output_tokens,
        "provider": result.provider if result.provider == "offline" else f"{result.provider}:{result.model}",
        "prompt_id": prompt_set.prompt_id,
        "prompt_version": prompt_set.prompt_version,
    }
    tmp = draft.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, draft)


def step_save(ctx: JobContext) -> None:
    db: Database = ctx.db  # type: ignore[attr-defined]
    draft = Path(ctx.workdir) / DRAFT_FILE
    if not draft.exists():
        raise PermanentError("the draft is missing; the write step did not finish")
    payload: dict[str, Any] = json.loads(draft.read_text(encoding="utf-8"))
    document: ScriptDocument = load_document(payload["document"])
    with db.session() as s:
        row = s.get(Script, ctx.record_id)  # type: ignore[attr-defined]
        if row is None:
            raise PermanentError("the script was deleted")
        row.content = document.model_dump(mode="json")
        row.title = document.title[:300]
        row.input_tokens = int(payload.get("input_tokens", 0))
        row.output_tokens = int(payload.get("output_tokens", 0))
        row.provider = str(payload.get("provider", ""))[:64]
        row.options = {
            **(row.options or {}),
            "prompt_id": payload.get("prompt_id"),
            "prompt_version": payload.get("prompt_version"),
        }
    ctx.log(stored.text(messages.SAVED))


def steps(db: Database, record_id: str) -> list[Step]:
    return [
        Step("backup", step_backup, weight=1),
        Step("write", step_write, weight=8),
        Step("save", step_save, weight=1),
    ]


register(WorkKind(KIND, table="scripts", queue=QUEUE, steps=steps))


# ------------------------------------------------------------------ in-process (CLI)
def run_local(
    settings: Settings,
    db: Database | None,
    request: ScriptRequest,
    ctx: JobContext,
    *,
    backup: bool = True,
) -> WriteResult:
    """Write one script without a server or a job row: the CLI path. Uses the stored templates when a
    database is available, the defaults otherwise."""
    if db is not None and backup:
        result = backup_mod.backup_before_script(db.url, settings.data_dir, settings.script_backups_keep)
        ctx.log(f"Backup: {result.skipped}." if result.path is None else f"Backup: backups/{result.path.name}.")
    if db is not None:
        with db.session() as s:
            prompt_set = prompts.prompt_set_for(s, request)
    else:
        prompt_set = prompts.build_prompt_set(prompts.default_texts(request.type, request.language), request)
    ctx.log(f"Provider: {provider_name(settings)}.")
    return write_script(settings, request, prompt_set, ctx)
