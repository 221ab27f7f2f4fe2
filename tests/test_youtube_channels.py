"""YouTube channels: OAuth connect against the local fake Google (state, PKCE, offline access),
tokens encrypted at rest, refresh, reconnect-needed, default, disconnect + revoke, ownership."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from reelforge.config import Settings
from reelforge.db.engine import Database
from reelforge.errors import InvalidInput
from reelforge.youtube import client as yc
from reelforge.youtube.channels import finish_connect, fresh_credentials
from reelforge.youtube.crypto import TokenCipher
from reelforge.youtube.models import YoutubeChannel, YoutubeOAuthState
from tests.stubs.fake_youtube import FakeYouTube, authorize, connect_channel, fake_youtube, youtube_settings

__all__ = ["fake_youtube"]


@pytest.fixture
def settings(settings: Settings, fake_youtube: FakeYouTube) -> Settings:  # overrides conftest's
    return youtube_settings(settings, fake_youtube)


def _dump(db: Database, table: str) -> str:
    with db.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT * FROM {table}")).all()
    return "\n".join(repr(tuple(r)) for r in rows)


def test_connect_stores_channel_with_pkce_offline_and_scopes(
    api_client: Any, make_user: Any, fake_youtube: FakeYouTube, db: Database
) -> None:
    user = make_user()
    c = api_client(user)
    url = c.post("/api/v1/youtube/channels/connect").json()["authorization_url"]
    assert "access_type=offline" in url and "prompt=consent" in url
    assert "code_challenge_method=S256" in url
    for scope in ("youtube.upload", "youtube.force-ssl", "youtube.readonly"):
        assert scope in url
    path, params = authorize(fake_youtube, url)
    back = c.get(path, params=params, follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == "/youtube"

    # The code exchange carried a PKCE verifier matching the challenge sent to the consent page.
    exchange = [r for r in fake_youtube.token_requests if r.get("grant_type") == "authorization_code"]
    assert len(exchange) == 1
    verifier = exchange[0]["code_verifier"]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert f"code_challenge={challenge}" in url

    channels = c.get("/api/v1/youtube/channels").json()
    assert len(channels) == 1
    ch = channels[0]
    assert ch["channel_id"] == fake_youtube.channel["id"]
    assert ch["channel_title"] == "reelforge dev channel"
    assert ch["subscriber_count"] == 1234
    assert ch["is_default"] is True and ch["needs_reconnect"] is False
    with db.read_session() as s:
        row = s.get(YoutubeChannel, ch["id"])
        assert row is not None
        creds = TokenCipher(_settings_of(c)).decrypt_json(row.token_encrypted or "")
    assert creds["refresh_token"] in fake_youtube.refresh_tokens  # offline access gave a refresh token
    # The one-time state is consumed.
    with db.read_session() as s:
        assert s.scalar(select(YoutubeOAuthState)) is None


def _settings_of(client: Any) -> Settings:
    return client.app.state.settings  # type: ignore[no-any-return]


def test_state_mismatch_is_refused(api_client: Any, make_user: Any, fake_youtube: FakeYouTube, db: Database) -> None:
    alice, mallory = make_user(), make_user()
    a, m = api_client(alice), api_client(mallory)
    path, params = authorize(fake_youtube, a.post("/api/v1/youtube/channels/connect").json()["authorization_url"])

    # A forged state.
    forged = dict(params, state="forged-" + params["state"][7:])
    resp = m.get(path, params=forged, follow_redirects=False)
    assert resp.status_code == 303
    # Alice's genuine state presented in Mallory's session (login CSRF / session swap).
    resp = m.get(path, params=params, follow_redirects=False)
    assert resp.status_code == 303
    assert m.get("/api/v1/youtube/channels").json() == []
    assert not [r for r in fake_youtube.token_requests if r.get("grant_type") == "authorization_code"]

    # The service says why.
    with db.session() as s, pytest.raises(InvalidInput) as err:
        finish_connect(s, _settings_of(a), mallory.id, state=params["state"], code=params["code"])
    assert err.value.extra["reason"] == "state_mismatch"

    # Alice's own callback still works, once.
    assert a.get(path, params=params, follow_redirects=False).status_code == 303
    assert len(a.get("/api/v1/youtube/channels").json()) == 1
    with db.session() as s, pytest.raises(InvalidInput):
        finish_connect(s, _settings_of(a), alice.id, state=params["state"], code=params["code"])


def test_denied_consent_creates_nothing(api_client: Any, make_user: Any, fake_youtube: FakeYouTube) -> None:
    c = api_client(make_user())
    url = c.post("/api/v1/youtube/channels/connect").json()["authorization_url"]
    path, params = authorize(fake_youtube, url + "&deny=1")
    assert params["error"] == "access_denied"
    assert c.get(path, params=params, follow_redirects=False).status_code == 303
    assert c.get("/api/v1/youtube/channels").json() == []


def test_tokens_are_encrypted_at_rest(
    api_client: Any, make_user: Any, fake_youtube: FakeYouTube, db: Database, db_url: str
) -> None:
    c = api_client(make_user())
    connect_channel(c, fake_youtube)
    secrets_issued = list(fake_youtube.refresh_tokens) + list(fake_youtube.access_tokens)
    assert len(secrets_issued) >= 2
    dump = _dump(db, "youtube_channels") + _dump(db, "youtube_oauth_states")
    assert "token_encrypted" not in dump  # sanity: we are looking at values
    assert dump  # the channel row is there
    for token in secrets_issued:
        assert token not in dump
    if db_url.startswith("sqlite"):
        db.dispose()  # close connections; then read every byte of the database file and its WAL
        path = Path(db_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
        assert fake_youtube.channel["id"].encode() in raw  # the channel is stored in that file...
        for token in secrets_issued:
            assert token.encode() not in raw  # ...its tokens are not, in any form we can see


def test_refresh_and_reconnect_needed(api_client: Any, make_user: Any, fake_youtube: FakeYouTube, db: Database) -> None:
    fake_youtube.access_token_ttl = 60  # shorter than the 5-minute refresh margin
    c = api_client(make_user())
    ch = connect_channel(c, fake_youtube)
    with db.read_session() as s:
        before = s.get(YoutubeChannel, ch["id"])
        assert before is not None
        old_cipher = before.token_encrypted
    resp = c.post(f"/api/v1/youtube/channels/{ch['id']}/check")
    assert resp.status_code == 200 and resp.json()["needs_reconnect"] is False
    assert [r for r in fake_youtube.token_requests if r.get("grant_type") == "refresh_token"]
    with db.read_session() as s:
        after = s.get(YoutubeChannel, ch["id"])
        assert after is not None and after.token_encrypted != old_cipher

    fake_youtube.invalidate_refresh_tokens()  # the user removed access in their Google account
    resp = c.post(f"/api/v1/youtube/channels/{ch['id']}/check")
    assert resp.status_code == 200
    body = resp.json()
    assert body["needs_reconnect"] is True and "reconnect" in (body["last_error"] or "")
    assert c.get("/api/v1/youtube/channels").json()[0]["needs_reconnect"] is True

    # Connecting again clears the flag on the same row.
    again = connect_channel(c, fake_youtube)
    assert again["id"] == ch["id"] and again["needs_reconnect"] is False


def test_default_disconnect_revoke_and_other_users(
    api_client: Any, make_user: Any, fake_youtube: FakeYouTube, db: Database
) -> None:
    alice, bob = make_user(), make_user()
    a, b = api_client(alice), api_client(bob)
    first = connect_channel(a, fake_youtube)
    # A second channel for Alice (another Google account) - same fake, another channel id.
    fake_youtube.channel = dict(fake_youtube.channel, id="UCsecondchannel0000000xx", title="Second")
    second = connect_channel(a, fake_youtube)
    assert first["is_default"] and not second["is_default"]
    assert a.post(f"/api/v1/youtube/channels/{second['id']}/default").json()["is_default"] is True
    listed = a.get("/api/v1/youtube/channels").json()
    assert [x["id"] for x in listed] == [second["id"], first["id"]]

    # Bob sees none of it, and cannot touch it: 404, not 403.
    assert b.get("/api/v1/youtube/channels").json() == []
    for method, url in (
        ("post", f"/api/v1/youtube/channels/{first['id']}/default"),
        ("post", f"/api/v1/youtube/channels/{first['id']}/check"),
        ("delete", f"/api/v1/youtube/channels/{first['id']}"),
    ):
        resp = getattr(b, method)(url)
        assert resp.status_code == 404, (url, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")

    live_before = len(fake_youtube.refresh_tokens)
    resp = a.delete(f"/api/v1/youtube/channels/{second['id']}")
    assert resp.status_code == 200 and resp.json() == {"disconnected": True, "revoked_at_google": True}
    assert len(fake_youtube.refresh_tokens) == live_before - 1 and fake_youtube.revoked
    remaining = a.get("/api/v1/youtube/channels").json()
    assert [x["id"] for x in remaining] == [first["id"]] and remaining[0]["is_default"] is True
    from reelforge.accounts.models import UserActivityLog

    with db.read_session() as s:
        actions = list(s.scalars(select(UserActivityLog.action).where(UserActivityLog.user_id == alice.id)))
    assert actions.count("youtube_connect") == 2 and actions.count("youtube_disconnect") == 1


def test_not_configured_is_a_clear_409(api_client: Any, make_user: Any, app: Any) -> None:
    app.state.settings = app.state.settings.model_copy(update={"youtube_client_id": "", "youtube_client_secret": ""})
    resp = api_client(make_user()).post("/api/v1/youtube/channels/connect")
    assert resp.status_code == 409
    assert "REELFORGE_YOUTUBE_CLIENT_ID" in resp.json()["detail"]


def test_client_secrets_file(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "client_secret.json"
    path.write_text('{"web": {"client_id": "abc.apps.googleusercontent.com", "client_secret": "shh"}}')
    cfg = yc.client_config(
        settings.model_copy(
            update={"youtube_client_id": "", "youtube_client_secret": "", "youtube_client_secrets_file": str(path)}
        )
    )
    assert cfg["web"]["client_id"] == "abc.apps.googleusercontent.com"
    assert cfg["web"]["token_uri"] == settings.youtube_token_uri


def test_doctor_check_and_rotated_secret(
    api_client: Any, make_user: Any, fake_youtube: FakeYouTube, db: Database, settings: Settings
) -> None:
    from reelforge.youtube.checks import check_youtube

    c = api_client(make_user())
    ch = connect_channel(c, fake_youtube)
    findings = {f.check: f for f in check_youtube(settings, db)}
    assert all(f.ok for f in findings.values()), findings
    assert "1 channel(s), all tokens readable" in findings["youtube tokens"].detail

    rotated = settings.model_copy(update={"secret_key": "r" * 48})
    findings = {f.check: f for f in check_youtube(rotated, db)}
    assert not findings["youtube tokens"].ok
    # The app under the new secret marks the channel instead of crashing.
    with db.session() as s:
        channel = s.get(YoutubeChannel, ch["id"])
        assert channel is not None
        with pytest.raises(yc.ReconnectNeeded):
            fresh_credentials(s, rotated, channel)
        assert channel.needs_reconnect is True
