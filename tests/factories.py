"""Typed factories for test data, built through the real services (never raw balance writes).

Each function takes the `Database` (and `Settings` where the service needs it), commits its
own transaction and returns ids or detached rows, so a test can hand them to any client.
Credits always go through `reelforge.credits.service.grant`, so the ledger audit stays clean.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from reelforge.accounts.models import User
from reelforge.config import Settings
from reelforge.credits.models import CreditHistory
from reelforge.db.engine import Database
from reelforge.jobs.models import Job
from reelforge.scripts.models import Script
from reelforge.scripts.schema import Scene, ScriptDocument

PASSWORD = "a-good-passphrase-1"
VIDEO_PRICE, SCRIPT_PRICE = 150, 100  # the default prices
DOC = ScriptDocument(
    title="바다는 왜 파랄까",
    language="ko",
    type="shortform",
    scenes=[
        Scene(narration="바다는 왜 파랗게 보일까요?", image_prompt="calm ocean at sunrise"),
        Scene(narration="물이 붉은 빛을 먼저 흡수하기 때문입니다.", image_prompt="deep blue sea waves"),
    ],
)


# ---------------------------------------------------------------- users
def user(
    db: Database,
    email: str | None = None,
    *,
    password: str = PASSWORD,
    admin: bool = False,
    verified: bool = True,
    name: str = "Test User",
) -> User:
    """A user made by the accounts service; the returned row is detached with fresh values."""
    from reelforge.accounts.service import create_user

    with db.session() as s:
        return create_user(
            s,
            email or f"user-{uuid.uuid4().hex[:10]}@example.com",
            password,
            name=name,
            is_admin=admin,
            email_verified=verified,
        )


def admin_user(db: Database, email: str | None = None) -> User:
    return user(db, email or f"admin-{uuid.uuid4().hex[:10]}@example.com", admin=True)


def unverified_user(db: Database, email: str | None = None) -> User:
    return user(db, email, verified=False)


def reload_user(db: Database, user_id: str) -> User:
    """The user row as stored now (credits included), detached."""
    with db.read_session() as s:
        row = s.get(User, user_id)
        assert row is not None, user_id
        s.expunge(row)
        return row


# ---------------------------------------------------------------- credits
def grant_credits(
    db: Database, user_id: str, amount: int, *, admin_id: str | None = None, reason: str = "test credits"
) -> None:
    """An admin adjustment through the ledger; a throwaway admin signs it when none is given."""
    from reelforge.credits.service import grant

    signer = admin_id or admin_user(db).id
    with db.session() as s:
        grant(s, user_id, amount, reason=reason, admin_id=signer)


def funded_user(db: Database, amount: int, *, admin_id: str | None = None, reason: str = "test credits") -> User:
    """A verified user holding `amount` credits (returned with the new balance)."""
    made = user(db)
    grant_credits(db, made.id, amount, admin_id=admin_id, reason=reason)
    return reload_user(db, made.id)


def balance(db: Database, user_id: str) -> int:
    from reelforge.credits.service import balance as current

    with db.read_session() as s:
        return current(s, user_id)


def ledger_rows(db: Database, user_id: str) -> list[CreditHistory]:
    """The user's ledger in booking order (detached rows)."""
    with db.read_session() as s:
        rows = list(
            s.scalars(select(CreditHistory).where(CreditHistory.user_id == user_id).order_by(CreditHistory.seq))
        )
        for row in rows:
            s.expunge(row)
        return rows


# ---------------------------------------------------------------- scripts, folders, jobs
def script(db: Database, user_id: str, doc: ScriptDocument = DOC, status: str = "completed") -> str:
    """A script row: `completed` carries the document; any other status has no content yet."""
    with db.session() as s:
        row = Script(
            user_id=user_id,
            title=doc.title,
            original_topic=doc.title,
            type=doc.type,
            language=doc.language,
            status=status,
            content=doc.model_dump(mode="json") if status == "completed" else None,
        )
        s.add(row)
        s.flush()
        return row.id


def folder(db: Database, user_id: str, name: str = "여행") -> str:
    from reelforge.library.models import Folder

    with db.session() as s:
        row = Folder(user_id=user_id, name=name)
        s.add(row)
        s.flush()
        return row.id


def render_job(
    db: Database,
    settings: Settings,
    user_id: str,
    script_id: str | None = None,
    *,
    options: dict[str, Any] | None = None,
    folder_id: str | None = None,
) -> str:
    """A pending render ordered through the render flow (debited like an API order)."""
    from reelforge.render.flows import order_render

    sid = script_id or script(db, user_id)
    with db.session() as s:
        created = order_render(
            s, user_id, settings, options={"quality": "preview", **(options or {})}, script_id=sid, folder_id=folder_id
        )
        return created.job.id


def job(db: Database, job_id: str) -> Job:
    """The job row as stored now, detached."""
    with db.read_session() as s:
        row = s.get(Job, job_id)
        assert row is not None, job_id
        s.expunge(row)
        return row


# ---------------------------------------------------------------- clients
def api_token(db: Database, owner: User, name: str = "tests") -> str:
    from reelforge.accounts.sessions import create_api_token

    with db.session() as s:
        # load, not merge: merging a stale detached user would write its old credits back
        plain, _ = create_api_token(s, s.get(User, owner.id), name)
        return plain


def token_client(app: FastAPI, db: Database, owner: User) -> TestClient:
    """A TestClient sending `owner`'s API token; the caller enters and exits it."""
    c = TestClient(app, raise_server_exceptions=False)
    c.headers["Authorization"] = f"Bearer {api_token(db, owner)}"
    return c


def cookie_client(app: FastAPI, db: Database, owner: User) -> TestClient:
    """A TestClient logged in with a session cookie; `.csrf` holds its CSRF token."""
    from reelforge.accounts.sessions import create_session
    from reelforge.web.auth import SESSION_COOKIE

    with db.session() as s:
        new = create_session(s, s.get(User, owner.id), ip="127.0.0.1", user_agent="pytest")
        token, csrf = new.token, new.session.csrf_token
    c = TestClient(app, raise_server_exceptions=False)
    c.cookies.set(SESSION_COOKIE, token)
    c.csrf = csrf  # type: ignore[attr-defined]
    return c
