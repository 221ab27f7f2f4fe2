"""Step checkpoints in the media store, so a job's next step can run on any worker.

A job's work folder lives on the machine that runs it. When a step finishes, before it is
recorded in `steps_done`, the files it added or changed go to the media store under
`work/<table>/<id>/` together with a manifest (path -> size). A worker that claims the job
later - the same machine after a restart or another one after a kill -9 - restores the
manifest's files it lacks before it runs the next step. Recording the step only after its
checkpoint is stored is what makes "skip what is done" true on every machine.

On by default when the store is a bucket (`REELFORGE_JOB_CHECKPOINTS=auto`); a local store
on one machine needs none, since the work folder is already where the next attempt runs.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from reelforge.config import Settings
from reelforge.storage import MediaMissing, MediaStore, media_store

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
_STATE = ".checkpoint-state.json"  # this machine's view: what it already stored (size, mtime)
MAX_FILES = 5000


def enabled(settings: Settings) -> bool:
    mode = settings.job_checkpoints
    return mode == "on" or (mode == "auto" and settings.media_backend != "local")


def prefix(table: str, record_id: str) -> str:
    return f"work/{table}/{record_id}"


def _files(workdir: Path) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for path in sorted(workdir.rglob("*")):
        name = path.name
        if not path.is_file() or name.endswith(".part") or name.startswith(".") or ".part." in name:
            continue  # partial writes and this module's own state never travel
        out[path.relative_to(workdir).as_posix()] = path
        if len(out) > MAX_FILES:
            raise ValueError(f"more than {MAX_FILES} files in {workdir}: refusing to checkpoint")
    return out


def _read_json(data: bytes | str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def save(settings: Settings, table: str, record_id: str, workdir: Path, *, store: MediaStore | None = None) -> int:
    """Store what changed in `workdir` since the last checkpoint; returns how many files went up."""
    store = store or media_store(settings)
    base = prefix(table, record_id)
    state_file = workdir / _STATE
    state = _read_json(state_file.read_text(encoding="utf-8")) if state_file.is_file() else {}
    manifest: dict[str, int] = {}
    sent = 0
    for rel, path in _files(workdir).items():
        stat = path.stat()
        mark = [stat.st_size, stat.st_mtime_ns]
        if state.get(rel) != mark:
            store.put(f"{base}/{rel}", path)
            state[rel] = mark
            sent += 1
        manifest[rel] = stat.st_size
    store.put_bytes(
        f"{base}/{MANIFEST}", json.dumps(manifest, sort_keys=True).encode(), content_type="application/json"
    )
    state_file.write_text(json.dumps(state), encoding="utf-8")
    return sent


def restore(settings: Settings, table: str, record_id: str, workdir: Path, *, store: MediaStore | None = None) -> int:
    """Fetch the checkpointed files this machine's work folder lacks; returns how many came down."""
    store = store or media_store(settings)
    base = prefix(table, record_id)
    try:
        manifest = _read_json(store.read_bytes(f"{base}/{MANIFEST}", limit=4 * 1024 * 1024))
    except MediaMissing:
        return 0
    fetched = 0
    state: dict[str, Any] = {}
    for rel, size in manifest.items():
        target = workdir / rel
        if workdir.resolve() not in target.resolve().parents:
            log.warning("checkpoint of %s names %r outside its folder; ignored", record_id, rel)
            continue
        if not (target.is_file() and target.stat().st_size == size):
            store.fetch(f"{base}/{rel}", target)
            fetched += 1
        stat = target.stat()
        state[rel] = [stat.st_size, stat.st_mtime_ns]  # already stored: the next save skips it
    (workdir / _STATE).write_text(json.dumps(state), encoding="utf-8")
    return fetched


def discard(settings: Settings, table: str, record_id: str) -> int:
    """Drop a finished or deleted job's checkpoint (its results live under their own keys)."""
    if not enabled(settings):
        return 0
    return media_store(settings).delete_prefix(prefix(table, record_id))
