"""API shapes of the accounts domain (/api/v1/auth, /api/v1/me, /api/v1/admin/users)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from reelforge.web.params import CleanInput

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=False)


class SignUpIn(CleanInput):
    model_config = _STRICT
    email: str = Field(max_length=320, examples=["creator@example.com"])
    password: str = Field(max_length=1024)
    name: str = Field(max_length=100)
    phone: str = Field(max_length=40, examples=["010-1234-5678"])
    address: str = Field(max_length=300)
    kakao_id: str | None = Field(default=None, max_length=100)
    locale: str | None = Field(default=None, max_length=10, examples=["ko"])


class LoginIn(CleanInput):
    model_config = _STRICT
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class TokenIn(CleanInput):
    model_config = _STRICT
    token: str = Field(max_length=200)


class EmailIn(CleanInput):
    model_config = _STRICT
    email: str = Field(max_length=320)


class ResetConfirmIn(CleanInput):
    model_config = _STRICT
    token: str = Field(max_length=200)
    password: str = Field(max_length=1024)


class ProfileIn(CleanInput):
    """A partial update: absent fields keep their value."""

    model_config = _STRICT
    name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=300)
    kakao_id: str | None = Field(default=None, max_length=100)
    locale: str | None = Field(default=None, max_length=10)


class PasswordChangeIn(CleanInput):
    model_config = _STRICT
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class ApiTokenIn(CleanInput):
    model_config = _STRICT
    name: str = Field(max_length=100)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    email: str
    name: str
    phone: str
    address: str
    kakao_id: str | None
    credits: int
    email_verified: bool
    is_admin: bool
    locale: str | None
    created_at: datetime
    last_login_at: datetime | None


class AdminUserOut(UserOut):
    is_active: bool
    admin_memo: str
    email_verified_at: datetime | None
    updated_at: datetime


class LoginOut(BaseModel):
    user: UserOut
    csrf_token: str = Field(description="Send as X-CSRF-Token on unsafe requests made with the session cookie.")
    expires_at: datetime


class SessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ip_address: str | None
    user_agent: str | None
    current: bool = False


class SessionHistoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    login_at: datetime
    last_activity_at: datetime
    logout_at: datetime | None
    ip_address: str | None
    user_agent: str | None
    is_active: bool


class ActivityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    action: str
    details: str
    ip_address: str | None
    user_agent: str | None
    actor_id: str | None
    created_at: datetime


class ApiTokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreated(ApiTokenOut):
    token: str = Field(description="The token itself. Shown only now; only its hash is stored.")


class UserListOut(BaseModel):
    users: list[AdminUserOut]
    next_cursor: str | None


class AdminUserPatch(CleanInput):
    model_config = _STRICT
    admin_memo: str | None = Field(default=None, max_length=5000)
    email_verified: bool | None = None
    is_admin: bool | None = None
    is_active: bool | None = None


class MessageOut(BaseModel):
    detail: str


class CountOut(BaseModel):
    ended: int
