"""Prices (settings), prompt templates, folders, YouTube channels (tokens encrypted) and uploads."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from reelforge.credits.models import Setting
from reelforge.credits.prices import PRICE_SCRIPT_KEY, PRICE_VIDEO_KEY, is_valid_price
from reelforge.errors import AppError
from reelforge.legacy.context import ImportContext
from reelforge.legacy.values import flag, new_id, parse_when
from reelforge.library.models import Folder
from reelforge.scripts.models import Prompt, PromptVersion
from reelforge.scripts.prompts import LANGUAGE_NAMES, default_texts, prompt_id, validate_texts
from reelforge.youtube.crypto import TokenCipher
from reelforge.youtube.models import PRIVACY_STATUSES, YoutubeChannel, YoutubeUpload

_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_MUSTACHE = re.compile(r"\{\{\s*(\w+)\s*\}\}")
MAX_TOKEN_FILE = 1024 * 1024


def import_prices(ctx: ImportContext) -> None:
    """settings.json wins over the SQLite settings table (the seed: "settings live in JSON");
    a price an admin already set here is kept (reported)."""
    rows = ctx.data.of("settings")
    ctx.report.read("settings", len(rows))
    if not rows:
        return
    chosen = next((r for r in rows if not r.file.startswith("database.sqlite")), rows[-1])
    ctx.report.skipped("settings", len(rows) - 1)
    have = {k: v for k, v in ctx.session.execute(select(Setting.key, Setting.value))}
    if is_valid_price(have.get(PRICE_SCRIPT_KEY)):
        ctx.script_price = int(have[PRICE_SCRIPT_KEY])
    wrote = False
    for field, key in (("script", PRICE_SCRIPT_KEY), ("video", PRICE_VIDEO_KEY)):
        value = ctx.clean.whole("settings", chosen.file, chosen.key, field, chosen.data.get(field), default=None)
        if value is None:
            continue
        if not is_valid_price(value):
            ctx.report.problem("settings", "bad_price", chosen.file, chosen.key, f"{field}={value!r}; not imported")
            continue
        if key in have:
            if have[key] != value:
                ctx.report.problem(
                    "settings", "kept_existing", chosen.file, field, f"{have[key]} kept, {value} not set"
                )
            continue
        ctx.session.add(Setting(key=key, value=value, created_at=ctx.now, updated_at=ctx.now))
        if field == "script":
            ctx.script_price = value
        wrote = True
    ctx.report.imported("settings", 1 if wrote else 0)
    if not wrote:
        ctx.report.skipped("settings")


def import_prompts(ctx: ImportContext) -> None:
    """Each legacy template becomes version 1 of the Korean prompt of its type ({{x}} -> {x});
    one that does not render here is kept in the history and the built-in text is version 2."""
    e = "prompts"
    rows = ctx.data.of(e)
    ctx.report.read(e, len(rows))
    c = ctx.clean
    for r in rows:
        d, f, k = r.data, r.file, r.key
        kind = str(d.get("type") or str(d.get("id") or "").split("-")[0]).strip().lower()
        if kind not in ("longform", "shortform", "sora2"):
            ctx.report.problem(e, "bad_type", f, k, f"type {kind!r}; skipped")
            ctx.report.skipped(e)
            continue
        pid = prompt_id(kind, "ko")
        texts = {
            name: _MUSTACHE.sub(r"{\1}", c.text(e, f, k, name, d.get(legacy), 8000))
            for name, legacy in (
                ("system_prompt", "system_prompt"),
                ("scene_template", "scene_template"),
                ("image_template", "dalle_template"),
            )
        }
        if ctx.session.get(Prompt, pid) is not None:
            ctx.report.problem(e, "kept_existing", f, k, f"{pid} already exists here; legacy text not imported")
            ctx.report.skipped(e)
            continue
        version = 1
        live = texts
        try:
            validate_texts(texts)
        except AppError as exc:
            ctx.report.problem(e, "prompt_invalid", f, k, f"{exc.detail}; kept as version 1, built-in text is live")
            live, version = default_texts(kind, "ko"), 2
        when = c.when(e, f, k, "updated_at", d.get("updated_at"), required=True)
        ctx.session.add(
            Prompt(
                id=pid,
                type=kind,
                language="ko",
                name=c.text(e, f, k, "name", d.get("name"), 200) or f"{kind} ({LANGUAGE_NAMES['ko']})",
                version=version,
                created_at=when,
                updated_at=when,
                **live,
            )
        )
        ctx.session.flush()
        ctx.session.add(PromptVersion(prompt_id=pid, version=1, created_at=when, **texts))
        if version == 2:
            ctx.session.add(PromptVersion(prompt_id=pid, version=2, created_at=ctx.now, **live))
        ctx.report.imported(e)


def import_folders(ctx: ImportContext) -> None:
    e = "folders"
    rows = ctx.data.of(e)
    ctx.report.read(e, len(rows))
    ids = {r.key: new_id("folder", r.data.get("id") or r.key) for r in rows}
    existing = ctx.existing(Folder.__table__, ids.values())
    names = {(u, n) for u, n in ctx.session.execute(select(Folder.user_id, Folder.name))}
    out: list[dict[str, Any]] = []
    c = ctx.clean
    for r in rows:
        d, f, k = r.data, r.file, r.key
        if ids[k] in existing:
            ctx.report.skipped(e)
            continue
        uid = ctx.user_of(e, f, k, d.get("user_id"))
        if uid is None:
            ctx.report.skipped(e)
            continue
        name = c.text(e, f, k, "name", d.get("name"), 90).strip() or "Legacy"
        base, n = name, 2
        while (uid, name) in names:
            name, n = f"{base} ({n})", n + 1
        if name != base:
            ctx.report.problem(e, "renamed", f, k, f"{base!r} exists for this user; imported as {name!r}")
        names.add((uid, name))
        color = str(d.get("color") or "#8B5CF6")
        if not _COLOR.match(color):
            ctx.report.problem(e, "bad_color", f, k, f"{color[:20]!r}; default used")
            color = "#8B5CF6"
        created = c.when(e, f, k, "created_at", d.get("created_at"), required=True)
        out.append(
            {
                "id": ids[k],
                "user_id": uid,
                "name": name,
                "color": color,
                "created_at": created,
                "updated_at": c.when(e, f, k, "updated_at", d.get("updated_at"), required=False) or created,
            }
        )
    ctx.insert(Folder.__table__, out)
    ctx.report.imported(e, len(out))


def _read_token(folder: Path, name: str) -> tuple[dict[str, Any] | None, str]:
    """The token file's JSON object, or None and why. Only a bare file name inside DIR is read."""
    if not name or Path(name).name != name or name.startswith("."):
        return None, f"token file name {name[:80]!r} is missing or not a plain file name"
    path = folder / name
    try:
        if path.stat().st_size > MAX_TOKEN_FILE:
            return None, "token file is too large"
        value = json.loads(path.read_bytes().decode("utf-8-sig"))
    except FileNotFoundError:
        return None, f"token file {name} is missing"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"token file {name} is unreadable ({exc.__class__.__name__})"
    if not isinstance(value, dict):
        return None, f"token file {name} is not a JSON object"
    return value, ""


def import_channels(ctx: ImportContext) -> None:
    e = "youtube_channels"
    rows = ctx.data.of(e)
    ctx.report.read(e, len(rows))
    cipher = TokenCipher(ctx.settings)
    ids = {r.key: new_id("channel", r.data.get("id") or r.key) for r in rows}
    existing = ctx.existing(YoutubeChannel.__table__, ids.values())
    pairs = {
        (u, ch): i
        for i, u, ch in ctx.session.execute(
            select(YoutubeChannel.id, YoutubeChannel.user_id, YoutubeChannel.channel_id)
        )
    }
    ctx.channels.update(pairs)
    c = ctx.clean
    out: list[dict[str, Any]] = []
    for r in rows:
        d, f, k = r.data, r.file, r.key
        if ids[k] in existing:
            ctx.report.skipped(e)
            continue
        uid = ctx.user_of(e, f, k, d.get("user_id"))
        channel_id = c.text(e, f, k, "channel_id", d.get("channel_id"), 64)
        if uid is None or not channel_id or (uid, channel_id) in ctx.channels:
            if uid is not None:
                ctx.report.problem(e, "duplicate_channel", f, k, f"channel {channel_id!r} missing or already here")
            ctx.report.skipped(e)
            continue
        token, why = _read_token(ctx.data.folder, str(d.get("token_file") or ""))
        if token is None:
            ctx.report.problem(e, "token_missing", f, k, f"{why}; channel marked reconnect-needed")
        expiry = parse_when(token.get("expiry") or token.get("expiry_date")) if token else None
        scopes = token.get("scopes") or token.get("scope") or "" if token else ""
        out.append(
            {
                "id": ids[k],
                "user_id": uid,
                "channel_id": channel_id,
                "channel_title": c.text(e, f, k, "channel_title", d.get("channel_title"), 300),
                "thumbnail_url": c.opt_text(e, f, k, "thumbnail_url", d.get("thumbnail_url"), 500),
                "subscriber_count": c.whole(e, f, k, "subscriber_count", d.get("subscriber_count"), default=None),
                "description": c.text(e, f, k, "description", d.get("description"), 5000),
                "token_encrypted": cipher.encrypt_json(token) if token else None,
                "token_expires_at": expiry,
                "scopes": " ".join(scopes) if isinstance(scopes, list) else str(scopes)[:2000],
                "is_default": flag(d.get("is_default")),
                "needs_reconnect": token is None,
                "last_error": why or None,
                "created_at": c.when(e, f, k, "created_at", d.get("created_at"), required=True),
                "updated_at": c.when(e, f, k, "updated_at", d.get("updated_at"), required=True),
            }
        )
        ctx.channels[(uid, channel_id)] = ids[k]
    ctx.insert(YoutubeChannel.__table__, out)
    ctx.report.imported(e, len(out))


def import_uploads(ctx: ImportContext) -> None:
    e = "youtube_uploads"
    rows = ctx.data.of(e)
    ctx.report.read(e, len(rows))
    ids = {r.key: new_id("upload", r.data.get("id") or r.key) for r in rows}
    existing = ctx.existing(YoutubeUpload.__table__, ids.values())
    c = ctx.clean
    out: list[dict[str, Any]] = []
    for r in rows:
        d, f, k = r.data, r.file, r.key
        if ids[k] in existing:
            ctx.report.skipped(e)
            continue
        uid = ctx.user_of(e, f, k, d.get("user_id"))
        if uid is None:
            ctx.report.skipped(e)
            continue
        privacy = str(d.get("privacy_status") or "private").strip().lower()
        if privacy not in PRIVACY_STATUSES:
            ctx.report.problem(e, "bad_privacy", f, k, f"{privacy[:20]!r}; kept as 'private'")
            privacy = "private"
        channel_id = c.opt_text(e, f, k, "channel_id", d.get("channel_id"), 64)
        video_id = c.opt_text(e, f, k, "video_id", d.get("video_id"), 64)
        source = ctx.jobs.get(str(d.get("job_id"))) if d.get("job_id") else None
        if d.get("job_id") and source is None:
            ctx.report.problem(e, "orphan", f, k, f"job {d.get('job_id')!r} unknown; link dropped")
        created = c.when(e, f, k, "created_at", d.get("created_at"), required=True)
        out.append(
            {
                "id": ids[k],
                "user_id": uid,
                "job_id": None,
                "source_job_id": source,
                "channel_ref_id": ctx.channels.get((uid, channel_id or "")),
                "status": "completed" if video_id else "failed",
                "video_id": video_id,
                "video_url": c.opt_text(e, f, k, "video_url", d.get("video_url"), 500),
                "title": c.text(e, f, k, "title", d.get("title"), 300),
                "description": c.text(e, f, k, "description", d.get("description"), 5000),
                "tags": [],
                "thumbnail_url": c.opt_text(e, f, k, "thumbnail_url", d.get("thumbnail_url"), 500),
                "channel_id": channel_id,
                "channel_title": c.opt_text(e, f, k, "channel_title", d.get("channel_title"), 300),
                "privacy_status": privacy,
                "published_at": c.when(e, f, k, "published_at", d.get("published_at"), required=False),
                "warnings": [],
                "extra": {"legacy_id": str(d.get("id") or k)[:200]},
                "created_at": created,
                "updated_at": created,
            }
        )
    ctx.insert(YoutubeUpload.__table__, out)
    ctx.report.imported(e, len(out))
