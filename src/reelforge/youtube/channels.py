"""YouTube channels: connecting one (OAuth with state + PKCE), its tokens, checking and disconnecting.

Every function takes a SQLAlchemy session and never commits. Network calls (token exchange,
channels.list, revoke) happen inside the caller's unit of work where the result must be stored
with it: a connected channel is only saved with a refresh token Google actually gave.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from google.oauth2.credentials import Credentials
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from reelforge.accounts.service import log_activity
from reelforge.config import Settings
from reelforge.db.base import utcnow
from reelforge.errors import Conflict, InvalidInput
from reelforge.youtube import client as yc
from reelforge.youtube import oauth
from reelforge.youtube.crypto import TokenCipher, TokenDecryptError
from reelforge.youtube.models import YoutubeChannel, YoutubeOAuthState
from reelforge.youtube.queries import get_channel

STATE_TTL = timedelta(minutes=15)
MAX_CHANNELS_PER_USER = 20


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --------------------------------------------------------------------------- connect
def start_connect(db: Session, settings: Settings, user_id: str, *, redirect: str | None = None) -> str:
    """Begin "Connect YouTube": store a fresh state + PKCE verifier and return Google's consent URL."""
    try:
        yc.client_config(settings)
    except yc.YoutubeNotConfigured as exc:
        raise Conflict(str(exc), reason="youtube_not_configured") from exc
    count = db.scalar(select(func.count()).where(YoutubeChannel.user_id == user_id)) or 0
    if count >= MAX_CHANNELS_PER_USER:
        raise Conflict(f"You can connect at most {MAX_CHANNELS_PER_USER} channels.", reason="too_many_channels")
    now = utcnow()
    db.execute(
        delete(YoutubeOAuthState).where(
            (YoutubeOAuthState.expires_at < now)
            | (YoutubeOAuthState.user_id == user_id) & (YoutubeOAuthState.created_at < now - timedelta(minutes=1))
        )
    )
    redirect = redirect or oauth.redirect_uri(settings)
    try:
        url, state, verifier = oauth.authorization_url(settings, redirect)
    except yc.YoutubeNotConfigured as exc:
        raise Conflict(str(exc), reason="youtube_not_configured") from exc
    cipher = TokenCipher(settings)
    db.add(
        YoutubeOAuthState(
            user_id=user_id,
            state_hash=_hash(state),
            code_verifier_encrypted=cipher.encrypt_text(verifier),
            redirect_uri=redirect,
            expires_at=now + STATE_TTL,
        )
    )
    db.flush()
    return url


def finish_connect(
    db: Session,
    settings: Settings,
    user_id: str,
    *,
    state: str,
    code: str | None,
    error: str | None = None,
) -> YoutubeChannel:
    """The OAuth callback: check `state` belongs to this user, exchange the code, store the channel."""
    row = None
    if state:
        row = db.scalar(select(YoutubeOAuthState).where(YoutubeOAuthState.state_hash == _hash(state)))
    if row is None or row.user_id != user_id or row.expires_at < utcnow():
        raise InvalidInput(
            "This sign-in link is not valid for your session (state mismatch or expired). Start again from "
            "Connect YouTube.",
            field="state",
            reason="state_mismatch",
        )
    db.delete(row)
    db.flush()
    if error:
        raise InvalidInput(f"Google did not grant access ({error}).", field="code", reason="access_denied")
    if not code:
        raise InvalidInput("The callback carries no authorisation code.", field="code")
    cipher = TokenCipher(settings)
    verifier = cipher.decrypt_text(row.code_verifier_encrypted or "")
    try:
        creds = oauth.exchange_code(settings, row.redirect_uri, state=state, verifier=verifier, code=code)
        info = yc.YoutubeApi(settings, creds).my_channel()
    except oauth.OAuthExchangeError as exc:
        raise InvalidInput(str(exc), field="code", reason="exchange_failed") from exc
    except (yc.YoutubeApiError, yc.ReconnectNeeded, yc.QuotaExceeded) as exc:
        raise InvalidInput(str(exc), reason="channel_lookup_failed") from exc
    except yc.YoutubeTransientError as exc:
        raise Conflict(f"YouTube did not answer; try again in a minute ({exc}).", reason="youtube_unavailable") from exc
    if not creds.refresh_token:
        raise InvalidInput(
            "Google returned no refresh token; remove reelforge's access in your Google account and connect again.",
            reason="no_refresh_token",
        )
    channel = db.scalar(
        select(YoutubeChannel).where(YoutubeChannel.user_id == user_id, YoutubeChannel.channel_id == info.channel_id)
    )
    has_default = db.scalar(
        select(func.count()).where(YoutubeChannel.user_id == user_id, YoutubeChannel.is_default.is_(True))
    )
    if channel is None:
        channel = YoutubeChannel(user_id=user_id, channel_id=info.channel_id, is_default=not has_default)
        db.add(channel)
    _apply_info(channel, info)
    store_credentials(settings, channel, creds)
    channel.needs_reconnect = False
    channel.last_error = None
    db.flush()
    log_activity(db, user_id, "youtube_connect", {"channel_id": channel.channel_id, "title": channel.channel_title})
    return channel


def _apply_info(channel: YoutubeChannel, info: yc.ChannelInfo) -> None:
    channel.channel_title = info.title[:300]
    channel.description = info.description
    channel.thumbnail_url = (info.thumbnail_url or "")[:500] or None
    channel.subscriber_count = info.subscriber_count


# --------------------------------------------------------------------------- tokens
def store_credentials(settings: Settings, channel: YoutubeChannel, creds: Credentials) -> None:
    data = yc.credentials_to_dict(creds)
    channel.token_encrypted = TokenCipher(settings).encrypt_json(data)
    channel.token_expires_at = yc.credentials_expiry(creds)
    channel.scopes = " ".join(data.get("scopes") or [])


def load_credentials(settings: Settings, channel: YoutubeChannel) -> Credentials:
    if not channel.token_encrypted:
        raise yc.ReconnectNeeded("this channel has no stored authorisation; reconnect it")
    try:
        data = TokenCipher(settings).decrypt_json(channel.token_encrypted)
    except TokenDecryptError as exc:
        raise yc.ReconnectNeeded("the stored authorisation cannot be read (secret key changed?); reconnect") from exc
    return yc.credentials_from_dict(settings, data)


def mark_reconnect_needed(db: Session, channel_ref_id: str, reason: str) -> None:
    db.execute(
        update(YoutubeChannel)
        .where(YoutubeChannel.id == channel_ref_id)
        .values(needs_reconnect=True, last_error=reason[:2000], updated_at=utcnow())
    )


def fresh_credentials(db: Session, settings: Settings, channel: YoutubeChannel) -> Credentials:
    """Credentials valid for at least five more minutes (refreshed and re-stored when needed).

    Raises ReconnectNeeded (after marking the channel in `db`; the caller must commit that
    even though it fails) or a transient error.
    """
    try:
        creds = load_credentials(settings, channel)
        if yc.ensure_fresh(settings, creds):
            store_credentials(settings, channel, creds)
            channel.needs_reconnect = False
            channel.last_error = None
    except yc.ReconnectNeeded as exc:
        channel.needs_reconnect = True
        channel.last_error = str(exc)[:2000]
        raise
    return creds


def check_channel(db: Session, settings: Settings, user_id: str, channel_ref_id: str) -> YoutubeChannel:
    """Refresh the token and the channel's title/avatar/subscribers. A dead token marks it, not raises."""
    channel = get_channel(db, user_id, channel_ref_id)
    try:
        creds = fresh_credentials(db, settings, channel)
        info = yc.YoutubeApi(settings, creds).my_channel()
    except yc.ReconnectNeeded as exc:  # the refresh token (or a 401 after refreshing) says the grant is gone
        channel.needs_reconnect = True
        channel.last_error = str(exc)[:2000]
        db.flush()
        return channel
    except (yc.YoutubeTransientError, yc.YoutubeApiError, yc.QuotaExceeded) as exc:
        raise Conflict(f"YouTube did not answer as expected: {exc}", reason="youtube_unavailable") from exc
    if info.channel_id != channel.channel_id:
        channel.needs_reconnect = True
        channel.last_error = "the authorisation now belongs to another channel; reconnect"
    else:
        _apply_info(channel, info)
    db.flush()
    return channel


# --------------------------------------------------------------------------- manage
def set_default(db: Session, user_id: str, channel_ref_id: str) -> YoutubeChannel:
    channel = get_channel(db, user_id, channel_ref_id)
    db.execute(
        update(YoutubeChannel)
        .where(YoutubeChannel.user_id == user_id, YoutubeChannel.id != channel.id)
        .values(is_default=False)
    )
    channel.is_default = True
    db.flush()
    return channel


def disconnect(
    db: Session, settings: Settings, user_id: str | None, channel_ref_id: str, *, actor_id: str | None = None
) -> bool:
    """Revoke the grant at Google (best effort) and forget the channel. Returns whether Google confirmed."""
    channel = get_channel(db, user_id, channel_ref_id)
    revoked = False
    if channel.token_encrypted:
        try:
            data = TokenCipher(settings).decrypt_json(channel.token_encrypted)
        except TokenDecryptError:
            data = {}
        token = data.get("refresh_token") or data.get("token")
        if token:
            revoked = yc.revoke_token(settings, token)
    owner, was_default = channel.user_id, channel.is_default
    log_activity(
        db,
        owner,
        "youtube_disconnect",
        {"channel_id": channel.channel_id, "title": channel.channel_title, "revoked": revoked},
        actor_id=actor_id,
    )
    db.delete(channel)
    db.flush()
    if was_default:
        nxt = db.scalar(
            select(YoutubeChannel).where(YoutubeChannel.user_id == owner).order_by(YoutubeChannel.created_at).limit(1)
        )
        if nxt is not None:
            nxt.is_default = True
            db.flush()
    return revoked
