"""`reelforge doctor` checks of the youtube domain."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from reelforge.config import Settings
from reelforge.db.engine import Database

if TYPE_CHECKING:
    from reelforge.doctor import Finding


def check_youtube(settings: Settings, db: Database) -> list[Finding]:
    from reelforge.doctor import Finding
    from reelforge.youtube import client as yc
    from reelforge.youtube import quota
    from reelforge.youtube.crypto import TokenCipher, TokenDecryptError
    from reelforge.youtube.models import YoutubeChannel

    out: list[Finding] = []
    try:
        yc.client_config(settings)
        out.append(
            Finding("youtube client", True, f"OAuth client configured; token endpoint {settings.youtube_token_uri}")
        )
    except yc.YoutubeNotConfigured as exc:
        unreadable = bool(settings.youtube_client_secrets_file)
        out.append(Finding("youtube client", not unreadable, str(exc) if unreadable else "not configured (optional)"))
    if settings.youtube_ca_bundle and not Path(settings.youtube_ca_bundle).is_file():
        out.append(Finding("youtube CA bundle", False, f"{settings.youtube_ca_bundle} does not exist"))
    cipher = TokenCipher(settings)
    unreadable_tokens = 0
    with db.read_session() as s:
        rows = s.execute(select(YoutubeChannel.id, YoutubeChannel.token_encrypted)).all()
        for _id, token in rows:
            if token:
                try:
                    cipher.decrypt_json(token)
                except TokenDecryptError:
                    unreadable_tokens += 1
        q = quota.quota_status(s, settings)
    out.append(
        Finding(
            "youtube tokens",
            unreadable_tokens == 0,
            f"{len(rows)} channel(s); {unreadable_tokens} token(s) unreadable with the current key"
            if unreadable_tokens
            else f"{len(rows)} channel(s), all tokens readable",
        )
    )
    out.append(Finding("youtube quota", True, f"{q.used}/{q.cap} uploads on {q.day} ({q.timezone})"))
    return out
