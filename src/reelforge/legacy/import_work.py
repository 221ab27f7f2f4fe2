"""Scripts (scripts_temp folded in), jobs, their logs, and the admins' task board.

A script or job the legacy process left pending or processing has no process any more: it is
imported as failed ("interrupted by the move"), and a script's debit is refunded (see
import_ledger). Logs have integer ids here: they come with their parent, in the run that
adds the parent.
"""

from __future__ import annotations

import json
from typing import Any

from reelforge.admin.models import Task, TaskLog
from reelforge.credits.prices import VIDEO_TYPES
from reelforge.jobs.models import Job, JobLog
from reelforge.legacy.context import ImportContext
from reelforge.legacy.merge import Row
from reelforge.legacy.values import new_id, pick
from reelforge.scripts.models import Script, ScriptLog

INTERRUPTED = "Interrupted: the legacy system stopped before this finished (moved to reelforge)"
SCRIPT_TYPES = ("longform", "shortform", "sora2")


def _status(ctx: ImportContext, e: str, r: Row, value: Any, allowed: tuple[str, ...]) -> str:
    status = str(value or "").strip().lower()
    if status in ("pending", "processing"):
        return "interrupted"
    if status not in allowed:
        ctx.report.problem(e, "bad_status", r.file, r.key, f"status {status!r}; kept as 'failed'")
        return "failed"
    return status


def _type(ctx: ImportContext, e: str, r: Row, value: Any, allowed: tuple[str, ...]) -> str:
    kind = str(value or "").strip().lower()
    if kind not in allowed:
        ctx.report.problem(e, "bad_type", r.file, r.key, f"type {kind!r}; kept as 'shortform'")
        return "shortform"
    return kind


def _content(ctx: ImportContext, r: Row, raw: Any) -> dict[str, Any] | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, dict):
        return raw
    try:
        parsed = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        parsed = None
    if isinstance(parsed, dict):
        return parsed
    ctx.report.problem("scripts", "bad_content", r.file, r.key, "content is not a JSON object; kept as legacy_text")
    return {"legacy_text": str(raw)[:1_000_000]}


def _logs(
    ctx: ImportContext, e: str, rows: list[Row], parent_field: str, parents: dict[str, str]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for r in rows:
        parent = parents.get(str(r.data.get(parent_field)))
        if parent is None:
            if str(r.data.get(parent_field)) not in ctx.skipped_parents:
                ctx.report.problem(e, "orphan", r.file, r.key, f"{parent_field} {r.data.get(parent_field)!r} unknown")
            ctx.report.skipped(e)
            continue
        out.append(
            {
                parent_field: parent,
                "log_message": ctx.clean.text(e, r.file, r.key, "log_message", r.data.get("log_message"), 20000),
                "created_at": ctx.clean.when(e, r.file, r.key, "created_at", r.data.get("created_at"), required=True),
            }
        )
    return out


def import_scripts(ctx: ImportContext) -> None:
    e = "scripts"
    rows = ctx.data.of(e)
    temps = ctx.data.of("scripts_temp")
    ctx.report.read(e, len(rows))
    ctx.report.read("scripts_temp", len(temps))
    ids = {str(r.data.get("id") or r.key): new_id("script", r.data.get("id") or r.key) for r in rows}
    existing = ctx.existing(Script.__table__, ids.values())
    temp_of: dict[str, Row] = {}
    for t in temps:
        sid = str(t.data.get("script_id") or "")
        if sid in ids:
            temp_of[sid] = t
        else:
            ctx.report.problem("scripts_temp", "orphan", t.file, t.key, f"scriptId {sid!r} unknown; skipped")
            ctx.report.skipped("scripts_temp")
    new: dict[str, str] = {}
    out: list[dict[str, Any]] = []
    c = ctx.clean
    for r in rows:
        d, f, k = r.data, r.file, r.key
        legacy = str(d.get("id") or k)
        sid = ids[legacy]
        if sid in existing:
            ctx.report.skipped(e)
            ctx.skipped_parents.add(legacy)
            if legacy in temp_of:
                ctx.report.skipped("scripts_temp")
            continue
        uid = ctx.user_of(e, f, k, d.get("user_id"))
        if uid is None:
            ctx.report.skipped(e)
            ctx.skipped_parents.add(legacy)
            continue
        status = _status(ctx, e, r, d.get("status"), ("completed", "failed", "cancelled"))
        temp = temp_of.get(legacy)
        if temp is not None and str(temp.data.get("status") or "").lower() in ("pending", "processing"):
            if status not in ("completed",):
                status = "interrupted"
        created = c.when(e, f, k, "created_at", d.get("created_at"), required=True)
        assert created is not None
        error = c.opt_text(e, f, k, "error", d.get("error"), 20000)
        if status == "interrupted":
            status, error = "failed", INTERRUPTED
            ctx.interrupted_scripts.setdefault(uid, {})[sid] = created
            ctx.report.problem(e, "interrupted", f, k, "was pending/processing; imported as failed")
        title = c.text(e, f, k, "title", d.get("title"), 300)
        out.append(
            {
                "id": sid,
                "user_id": uid,
                "title": title,
                "content": _content(ctx, r, d.get("content")),
                "original_topic": c.text(e, f, k, "original_topic", pick(d, "original_topic", "topic"), 500) or title,
                "type": _type(ctx, e, r, d.get("type"), SCRIPT_TYPES),
                "language": "ko",
                "options": {"legacy_id": legacy[:200]},
                "provider": "legacy",
                "input_tokens": max(0, c.whole(e, f, k, "input_tokens", d.get("input_tokens")) or 0),
                "output_tokens": max(0, c.whole(e, f, k, "output_tokens", d.get("output_tokens")) or 0),
                "folder_id": None,
                "status": status,
                "progress": min(100, max(0, c.whole(e, f, k, "progress", d.get("progress")) or 0)),
                "step": "",
                "error": error,
                "finished_at": created if status in ("completed", "failed") else None,
                "steps_done": [],
                "created_at": created,
                "updated_at": c.when(e, f, k, "updated_at", d.get("updated_at"), required=False) or created,
            }
        )
        new[legacy] = sid
        if temp is not None:
            ctx.report.imported("scripts_temp")
    ctx.insert(Script.__table__, out)
    ctx.report.imported(e, len(out))
    ctx.scripts.update(new)
    logs = ctx.data.of("script_logs")
    ctx.report.read("script_logs", len(logs))
    log_rows = _logs(ctx, "script_logs", logs, "script_id", new)
    for legacy, sid in new.items():  # the queue row's own log lines (a JSON array) follow the script's
        temp = temp_of.get(legacy)
        lines = _temp_lines(temp.data.get("logs")) if temp is not None else []
        ctx.report.read("script_logs", len(lines))
        for line in lines:
            log_rows.append({"script_id": sid, "log_message": line[:20000], "created_at": ctx.now})
    ctx.insert(ScriptLog.__table__, log_rows)
    ctx.report.imported("script_logs", len(log_rows))


def _temp_lines(raw: Any) -> list[str]:
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        return [str(raw)]
    if isinstance(value, list):
        return [str(x) for x in value]
    return [] if value in (None, "") else [str(value)]


def import_jobs(ctx: ImportContext) -> None:
    e = "jobs"
    rows = ctx.data.of(e)
    ctx.report.read(e, len(rows))
    ids = {str(r.data.get("id") or r.key): new_id("job", r.data.get("id") or r.key) for r in rows}
    existing = ctx.existing(Job.__table__, ids.values())
    new: dict[str, str] = {}
    out: list[dict[str, Any]] = []
    c = ctx.clean
    for r in rows:
        d, f, k = r.data, r.file, r.key
        legacy = str(d.get("id") or k)
        jid = ids[legacy]
        ctx.jobs[legacy] = jid
        if jid in existing:
            ctx.report.skipped(e)
            ctx.skipped_parents.add(legacy)
            continue
        uid = ctx.user_of(e, f, k, d.get("user_id"))
        if uid is None:
            ctx.report.skipped(e)
            ctx.jobs.pop(legacy)
            ctx.skipped_parents.add(legacy)
            continue
        status = _status(ctx, e, r, d.get("status"), ("completed", "failed", "cancelled"))
        error = c.opt_text(e, f, k, "error", d.get("error"), 20000)
        if status == "interrupted":
            status, error = "failed", INTERRUPTED
            ctx.report.problem(e, "interrupted", f, k, "was pending/processing; imported as failed (no refund link)")
        created = c.when(e, f, k, "created_at", d.get("created_at"), required=True)
        out.append(
            {
                "id": jid,
                "user_id": uid,
                "kind": "render",
                "type": _type(ctx, e, r, d.get("type"), VIDEO_TYPES),
                "title": c.text(e, f, k, "title", d.get("title"), 300),
                "script_id": None,
                "folder_id": None,
                "parent_job_id": None,
                "options": {"legacy_id": legacy[:200]},
                "video_url": c.opt_text(e, f, k, "video_url", d.get("video_url"), 500),
                "thumbnail_path": c.opt_text(e, f, k, "thumbnail_path", d.get("thumbnail_path"), 500),
                "status": status,
                "progress": min(100, max(0, c.whole(e, f, k, "progress", d.get("progress")) or 0)),
                "step": c.text(e, f, k, "step", d.get("step"), 64),
                "error": error,
                "finished_at": created if status != "pending" else None,
                "steps_done": [],
                "created_at": created,
                "updated_at": c.when(e, f, k, "updated_at", d.get("updated_at"), required=False) or created,
            }
        )
        new[legacy] = jid
    ctx.insert(Job.__table__, out)
    ctx.report.imported(e, len(out))
    logs = ctx.data.of("job_logs")
    ctx.report.read("job_logs", len(logs))
    log_rows = _logs(ctx, "job_logs", logs, "job_id", new)
    ctx.insert(JobLog.__table__, log_rows)
    ctx.report.imported("job_logs", len(log_rows))


def import_tasks(ctx: ImportContext) -> None:
    e = "tasks"
    rows = ctx.data.of(e)
    ctx.report.read(e, len(rows))
    ids = {str(r.data.get("id") or r.key): new_id("task", r.data.get("id") or r.key) for r in rows}
    existing = ctx.existing(Task.__table__, ids.values())
    new: dict[str, str] = {}
    out: list[dict[str, Any]] = []
    c = ctx.clean
    for r in rows:
        d, f, k = r.data, r.file, r.key
        legacy = str(d.get("id") or k)
        if ids[legacy] in existing:
            ctx.report.skipped(e)
            ctx.skipped_parents.add(legacy)
            continue
        status = str(d.get("status") or "todo").strip().lower()
        if status not in ("todo", "ing", "done"):
            ctx.report.problem(e, "bad_status", f, k, f"status {status!r}; kept as 'todo'")
            status = "todo"
        created = c.when(e, f, k, "created_at", d.get("created_at"), required=True)
        out.append(
            {
                "id": ids[legacy],
                "content": c.text(e, f, k, "content", d.get("content"), 20000) or "(empty)",
                "status": status,
                "priority": c.whole(e, f, k, "priority", d.get("priority")) or 0,
                "logs": c.text(e, f, k, "logs", d.get("logs"), 100000),
                "completed_at": c.when(e, f, k, "completed_at", d.get("completed_at"), required=False),
                "created_by": None,
                "created_at": created,
                "updated_at": c.when(e, f, k, "updated_at", d.get("updated_at"), required=False) or created,
            }
        )
        new[legacy] = ids[legacy]
    ctx.insert(Task.__table__, out)
    ctx.report.imported(e, len(out))
    logs = ctx.data.of("task_logs")
    ctx.report.read("task_logs", len(logs))
    log_rows = _logs(ctx, "task_logs", logs, "task_id", new)
    ctx.insert(TaskLog.__table__, log_rows)
    ctx.report.imported("task_logs", len(log_rows))
