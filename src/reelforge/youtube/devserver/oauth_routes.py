"""The fake Google OAuth 2.0 endpoints: consent (auto-approved), token exchange and refresh, revoke."""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlencode

from reelforge.youtube.devserver.base import Grant, HandlerBase


class OAuthRoutes(HandlerBase):
    """PKCE S256 is verified and refresh tokens are issued only for `access_type=offline`, like Google."""

    def _authorize(self, q: dict[str, str]) -> None:
        if q.get("client_id") != self.fake.client_id:
            self._send(400, b"<h1>Error 401: invalid_client</h1>", {"Content-Type": "text/html"})
            return
        redirect = q.get("redirect_uri", "")
        if not redirect.startswith(("http://", "https://")) or q.get("response_type") != "code":
            self._send(400, b"<h1>Error 400: invalid_request</h1>", {"Content-Type": "text/html"})
            return
        if q.get("deny") == "1":
            self._redirect(redirect, {"error": "access_denied", "state": q.get("state", "")})
            return
        code = "4/fake-" + secrets.token_urlsafe(24)
        with self.fake.lock:
            self.fake.codes[code] = {
                "client_id": q["client_id"],
                "redirect_uri": redirect,
                "scopes": q.get("scope", "").split(),
                "challenge": q.get("code_challenge"),
                "method": q.get("code_challenge_method", "plain"),
                "offline": q.get("access_type") == "offline",
                "expires": time.time() + 600,
            }
        self._redirect(redirect, {"code": code, "state": q.get("state", ""), "scope": q.get("scope", "")})

    def _redirect(self, target: str, params: dict[str, str]) -> None:
        sep = "&" if "?" in target else "?"
        location = target + sep + urlencode(params)
        body = f'<p>Redirecting to <a href="{html.escape(location)}">the app</a>.</p>'.encode()
        self._send(302, body, {"Location": location, "Content-Type": "text/html"})

    def _client_auth(self, form: dict[str, str]) -> bool:
        cid, secret = form.get("client_id"), form.get("client_secret")
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            try:
                cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                return False
        return cid == self.fake.client_id and secret == self.fake.client_secret

    def _token(self, _q: dict[str, str]) -> None:
        body = self._read_body() or b""
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        with self.fake.lock:
            self.fake.token_requests.append({k: v for k, v in form.items() if k != "client_secret"})
        if not self._client_auth(form):
            self._json(401, {"error": "invalid_client", "error_description": "Unauthorized"})
            return
        grant_type = form.get("grant_type")
        with self.fake.lock:
            if grant_type == "authorization_code":
                entry = self.fake.codes.pop(form.get("code", ""), None)
                if entry is None or entry["expires"] < time.time():
                    self._json(400, {"error": "invalid_grant", "error_description": "Malformed auth code."})
                    return
                if form.get("redirect_uri") != entry["redirect_uri"]:
                    self._json(400, {"error": "redirect_uri_mismatch", "error_description": "Bad Request"})
                    return
                if entry["challenge"]:
                    verifier = form.get("code_verifier", "")
                    if entry["method"] == "S256":
                        computed = (
                            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                        )
                    else:
                        computed = verifier
                    if computed != entry["challenge"]:
                        self._json(400, {"error": "invalid_grant", "error_description": "Invalid code verifier."})
                        return
                refresh = "1//fake-" + secrets.token_urlsafe(32) if entry["offline"] else None
                grant = Grant(entry["client_id"], entry["scopes"], refresh)
                if refresh:
                    self.fake.refresh_tokens[refresh] = grant
                access = self.fake.issue_access_token(grant)
                payload: dict[str, Any] = {
                    "access_token": access,
                    "expires_in": self.fake.access_token_ttl,
                    "scope": " ".join(entry["scopes"]),
                    "token_type": "Bearer",
                }
                if refresh:
                    payload["refresh_token"] = refresh
                self._json(200, payload)
                return
            if grant_type == "refresh_token":
                grant_or_none = self.fake.refresh_tokens.get(form.get("refresh_token", ""))
                if grant_or_none is None:
                    self._json(
                        400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
                    )
                    return
                access = self.fake.issue_access_token(grant_or_none)
                self._json(
                    200,
                    {
                        "access_token": access,
                        "expires_in": self.fake.access_token_ttl,
                        "scope": " ".join(grant_or_none.scopes),
                        "token_type": "Bearer",
                    },
                )
                return
        self._json(400, {"error": "unsupported_grant_type"})

    def _revoke(self, q: dict[str, str]) -> None:
        body = self._read_body() or b""
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        token = form.get("token") or q.get("token", "")
        with self.fake.lock:
            grant = self.fake.refresh_tokens.pop(token, None)
            entry = self.fake.access_tokens.pop(token, None)
            if entry is not None:
                grant = grant or entry[0]
            if grant is None:
                self._json(400, {"error": "invalid_token", "error_description": "Token expired or revoked"})
                return
            # Revoking either token revokes the whole grant, as Google does.
            for k in [k for k, g in self.fake.refresh_tokens.items() if g is grant]:
                del self.fake.refresh_tokens[k]
            for k in [k for k, (g, _) in self.fake.access_tokens.items() if g is grant]:
                del self.fake.access_tokens[k]
            self.fake.revoked.append(token)
        self._json(200, {})
