"""Accounts service: the rules for users. Takes a session, never commits."""

from __future__ import annotations

import secrets

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reelforge.accounts import passwords
from reelforge.accounts.models import User
from reelforge.errors import Conflict, InvalidInput

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
# A short list of the most common passwords of 10+ characters (the policy refuses them).
COMMON_PASSWORDS = frozenset(
    {
        "1234567890",
        "0123456789",
        "12345678910",
        "qwertyuiop",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "password123",
        "password1234",
        "iloveyou123",
        "qwerty12345",
        "abcdefghij",
        "aaaaaaaaaa",
        "passwordpassword",
        "qwertyqwerty",
        "11111111111",
        "0000000000",
        "1111111111",
        "asdfghjkl;",
        "q1w2e3r4t5",
        "zxcvbnm123",
        "123456789a",
        "a123456789",
        "password12",
        "letmein123",
        "welcome123",
        "admin12345",
        "administrator",
        "sunshine123",
        "football123",
        "princess123",
    }
)


def normalize_email(raw: str) -> str:
    """Trim and lower-case; refuse what is not an e-mail address."""
    candidate = (raw or "").strip().lower()
    if len(candidate) > 320:
        raise InvalidInput("E-mail address is too long.", field="email")
    try:
        validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(f"Not a valid e-mail address: {exc}", field="email") from exc
    return candidate


def check_password_policy(password: str, email: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Password must be at least {MIN_PASSWORD_LENGTH} characters.", field="password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput("Password is too long.", field="password")
    lowered = password.lower()
    if lowered == email.lower() or lowered == email.split("@")[0].lower():
        raise InvalidInput("Password must not be your e-mail address.", field="password")
    if lowered in COMMON_PASSWORDS or len(set(password)) < 3:
        raise InvalidInput("This password is too common; choose another.", field="password")


def get_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(
    session: Session,
    email: str,
    password: str,
    *,
    name: str = "",
    is_admin: bool = False,
    email_verified: bool = False,
) -> User:
    normalized = normalize_email(email)
    check_password_policy(password, normalized)
    if get_by_email(session, normalized) is not None:
        raise Conflict("An account with this e-mail address already exists.", field="email")
    user = User(
        email=normalized,
        password_hash=passwords.hash_password(password),
        name=name,
        is_admin=is_admin,
        email_verified=email_verified,
    )
    session.add(user)
    session.flush()
    return user


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def bootstrap_admin(session: Session, email: str) -> tuple[User, str] | None:
    """On a fresh install, create the first admin with a random password (returned once)."""
    if count_users(session) > 0:
        return None
    password = secrets.token_urlsafe(12)
    user = create_user(session, email, password, name="Administrator", is_admin=True, email_verified=True)
    return user, password
