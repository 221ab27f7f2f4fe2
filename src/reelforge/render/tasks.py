"""The render job's steps for the job runner: glue between a `jobs` row and the DB-free pipeline.

Steps (each resumable; the runner records finished ones and skips them on resume):
script -> images -> narration -> subtitles -> compose -> thumbnail -> publish.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from typing import Any

from reelforge import metrics
from reelforge.db.base import utcnow
from reelforge.db.engine import Database
from reelforge.db.outbox import after_commit
from reelforge.errors import PermanentError
from reelforge.i18n import stored
from reelforge.jobs.context import JobContext
from reelforge.jobs.registry import Step
from reelforge.render import messages, pipeline
from reelforge.render.pipeline import RenderWork
from reelforge.scripts.schema import ScriptDocument, load_document

SCRIPT_SNAPSHOT = "script.json"


def _db(ctx: JobContext) -> Database:
    db = getattr(ctx, "db", None)
    if db is None:
        raise PermanentError("a render job step needs the runner's database context")
    return db  # type: ignore[no-any-return]


def _job_fields(ctx: JobContext) -> dict[str, Any]:
    from reelforge.jobs.models import Job

    with _db(ctx).read_session() as s:
        job = s.get(Job, ctx.job_id)
        if job is None:
            raise PermanentError("the job row is gone")
        parent_options: dict[str, Any] | None = None
        if job.parent_job_id:
            parent = s.get(Job, job.parent_job_id)
            if parent is not None and parent.user_id == job.user_id:
                parent_options = dict(parent.options or {}).get("render")
        return {
            "script_id": job.script_id,
            "options": dict(job.options or {}),
            "title": job.title,
            "parent_job_id": job.parent_job_id,
            "parent_options": parent_options,
        }


IMAGE_KEYS = ("type", "orientation", "quality")
VOICE_KEYS = ("language", "voice", "tts_provider", "speed")


def reuse_parent_outputs(ctx: JobContext, fields: dict[str, Any], document: ScriptDocument) -> list[str]:
    """ "Render again": take the parent job's scene pictures and narration when the options that
    shape them are unchanged (same script), so only what changed is made again."""
    from reelforge.jobs.runner import workdir_for

    parent_id, parent = fields.get("parent_job_id"), fields.get("parent_options")
    if not parent_id or not parent:
        return []
    mine = fields["options"].get("render", {})
    source = workdir_for(ctx.settings, "jobs", parent_id)
    try:  # the script may have been edited since: reuse only for the very same scenes
        earlier = load_document(json.loads((source / SCRIPT_SNAPSHOT).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return []
    if [s.model_dump() for s in earlier.scenes] != [s.model_dump() for s in document.scenes]:
        return []
    reused = []
    for folder, keys in (("images", IMAGE_KEYS), ("clips", IMAGE_KEYS), ("audio", VOICE_KEYS)):
        if any(mine.get(k) != parent.get(k) for k in keys) or not (source / folder).is_dir():
            continue
        target = ctx.workdir / folder
        target.mkdir(parents=True, exist_ok=True)
        for f in (source / folder).iterdir():
            if f.is_file() and not f.name.endswith(".part") and not (target / f.name).exists():
                try:
                    os.link(f, target / f.name)
                except OSError:
                    shutil.copyfile(f, target / f.name)
        reused.append(folder)
    return reused


def _reporter(ctx: JobContext) -> Callable[[float], None]:
    step_progress = getattr(ctx, "step_progress", None)
    if callable(step_progress):
        return lambda fraction: step_progress(fraction)
    return lambda fraction: None


# --------------------------------------------------------------------------- script
def step_script(ctx: JobContext) -> None:
    """Freeze the script this render uses into the work folder; write it first if needed."""
    snapshot = ctx.workdir / SCRIPT_SNAPSHOT
    if snapshot.is_file():
        return
    from reelforge.scripts.models import Script

    fields = _job_fields(ctx)
    script_id = fields["script_id"]
    if script_id is None:
        raise PermanentError("the script of this render was deleted")
    db = _db(ctx)
    report = _reporter(ctx)
    waited = 0.0
    while True:
        ctx.check_cancelled()
        with db.read_session() as s:
            script = s.get(Script, script_id)
            if script is None:
                raise PermanentError("the script of this render was deleted")
            status, content, error = script.status, script.content, script.error
        if status == "completed" and content:
            break
        if status in ("failed", "cancelled"):
            raise PermanentError(f"the script could not be written ({status}): {error or 'no reason given'}")
        if status == "pending":
            from reelforge.jobs.runner import run

            ctx.log(stored.text(messages.WRITING_SCRIPT_FIRST))
            run(db, ctx.settings, "script", script_id)  # no-op if another worker claimed it meanwhile
            continue
        # another worker is writing it: wait for it (bounded)
        report(min(0.9, waited / 120))
        sleep = getattr(ctx, "sleep", None)
        if callable(sleep):
            sleep(1.0)
        else:
            import time

            time.sleep(1.0)
        waited += 1.0
        if waited > 3600:
            raise PermanentError("the script was not written within an hour")
    document = load_document(content)
    reused = reuse_parent_outputs(ctx, fields, document)
    if reused:
        ctx.log(stored.text(messages.REUSING, what=" and ".join(reused)))
    tmp = snapshot.with_name(snapshot.name + ".part")
    tmp.write_text(document.model_dump_json(indent=1), encoding="utf-8")
    tmp.replace(snapshot)
    ctx.log(stored.text(messages.SCRIPT_READY, count=len(document.scenes), title=document.title))
    report(1.0)


def _work(ctx: JobContext) -> RenderWork:
    from reelforge.render.service import fetch_music

    snapshot = ctx.workdir / SCRIPT_SNAPSHOT
    try:
        document: ScriptDocument = load_document(json.loads(snapshot.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise PermanentError("the script snapshot is missing: the script step did not run") from None
    fields = _job_fields(ctx)
    from reelforge.render.options import RenderOptions

    options = RenderOptions.model_validate(fields["options"].get("render", {}))
    track = fetch_music(ctx.settings, options.music_file, ctx.workdir) if options.music_file else None
    return RenderWork(ctx, document, options, music_path=track)


def _pipeline_step(name: str) -> Callable[[JobContext], None]:
    def run(ctx: JobContext) -> None:
        pipeline.STEP_FUNCTIONS[name](_work(ctx), _reporter(ctx))

    run.__name__ = f"step_{name}"
    return run


# --------------------------------------------------------------------------- publish
def step_publish(ctx: JobContext) -> None:
    """Store the video, SRT and thumbnail through the media store and fill in the job's result."""
    from reelforge.jobs.models import Job
    from reelforge.render.probe import probe
    from reelforge.render.service import SCENE_FILE, SCENE_FOLDERS, result_keys, scene_key, video_url
    from reelforge.storage import media_store

    work = _work(ctx)
    store = media_store(ctx.settings)
    keys = result_keys(ctx.job_id)
    video = store.put(keys["video"], work.video_path)
    store.put(keys["subtitles"], work.srt_path)
    store.put(keys["thumbnail"], work.thumbnail_path)
    for folder in SCENE_FOLDERS:  # the finished page shows them from any API server
        for picture in sorted((ctx.workdir / folder).glob("scene-*")):
            if SCENE_FILE.fullmatch(picture.name):
                store.put(scene_key(ctx.job_id, picture.name), picture)
    info = probe(ctx.settings, work.video_path)
    with _db(ctx).session() as s:
        job = s.get(Job, ctx.job_id)
        if job is None:
            raise PermanentError("the job row is gone")
        job.video_url = video_url(ctx.job_id)
        job.thumbnail_path = keys["thumbnail"]
        job.subtitles_path = keys["subtitles"]
        job.duration_seconds = round(info.duration, 3)
        job.size_bytes = video.size
        if job.started_at is not None:  # wall time since the first claim (resumed attempts included)
            spent = (utcnow() - job.started_at).total_seconds()
            after_commit(s, lambda: metrics.render_speed(spent, info.duration))
        if not job.title:
            job.title = work.document.title[:300]
        if (job.options or {}).get("auto_publish"):  # "upload to my default channel when done"
            from reelforge.youtube.flows import chain_upload_after_render

            chain_upload_after_render(s, job, ctx.settings)  # its upload job is dispatched after this commit
    ctx.log(
        stored.text(
            messages.VIDEO_READY,
            seconds=f"{info.duration:.1f}",
            mb=f"{video.size / 1e6:.1f}",
            width=info.width,
            height=info.height,
        )
    )


def steps(db: Database, record_id: str) -> list[Step]:
    weights = pipeline.STEP_WEIGHTS
    return [
        Step("script", step_script, weight=4),
        *(Step(name, _pipeline_step(name), weight=weights[name]) for name in pipeline.STEPS),
        Step("publish", step_publish, weight=1),
    ]
