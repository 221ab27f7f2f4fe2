"""Account use cases the JSON API and the HTML pages share.

Each takes the request's session and never commits. Mail is registered with
`after_commit`, so no link leaves for a user or token that a rollback undid. `lang` is the
visitor's language: a mail goes out in the user's own setting, else in that one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from reelforge import i18n
from reelforge.accounts import login, mail, password_reset, profile, signup
from reelforge.accounts.admin_users import AdminContext, admin_resend_verification
from reelforge.accounts.models import Session as LoginSession
from reelforge.accounts.models import User
from reelforge.accounts.service import log_activity, maybe_purge
from reelforge.accounts.sessions import NewSession, resolve_session
from reelforge.config import Settings
from reelforge.db.outbox import after_commit
from reelforge.errors import Conflict
from reelforge.i18n import N_


# ------------------------------------------------------------------ mail
def _mail_locale(user: User, lang: str) -> str:
    return i18n.normalize_locale(user.locale) or lang


def send_verification(db: Session, settings: Settings, user: User, token: str, *, lang: str) -> None:
    message, link = mail.verification_message(settings, user.email, token, _mail_locale(user, lang))
    after_commit(db, lambda: mail.deliver(settings, message, link=link))


def send_reset(db: Session, settings: Settings, user: User, token: str, *, lang: str) -> None:
    message, link = mail.reset_message(settings, user.email, token, _mail_locale(user, lang))
    after_commit(db, lambda: mail.deliver(settings, message, link=link))


def send_lockout_notice(db: Session, settings: Settings, user: User, *, lang: str) -> None:
    minutes = max(1, settings.login_account_window_seconds // 60)
    message, link = mail.lockout_message(settings, user.email, minutes, _mail_locale(user, lang))
    after_commit(db, lambda: mail.deliver(settings, message, link=link))


def send_signup_notice(db: Session, settings: Settings, user: User, *, lang: str) -> None:
    message, link = mail.existing_account_message(settings, user.email, _mail_locale(user, lang))
    after_commit(db, lambda: mail.deliver(settings, message, link=link))


# ------------------------------------------------------------------ sign-up and verification
def sign_up(
    db: Session, settings: Settings, data: signup.SignUp, *, lang: str, ip: str | None, user_agent: str | None
) -> str:
    """Create the account and mail its verification link once the account is committed.

    Returns the normalised address. The caller answers the same whether or not it already had
    an account: in that case nothing is created and the owner gets a notice instead."""
    result = signup.sign_up(db, data, ip=ip, user_agent=user_agent)
    if result.token is not None:
        send_verification(db, settings, result.user, result.token, lang=lang)
    elif result.notify_owner:
        send_signup_notice(db, settings, result.user, lang=lang)
    return result.user.email


def resend_verification(
    db: Session, settings: Settings, user: User, *, lang: str, ip: str | None, user_agent: str | None
) -> None:
    """A new verification link (the old one stops working); 409 if verified, 429 within a minute."""
    if user.email_verified:
        raise Conflict("This e-mail address is already verified.")
    token = signup.issue_verification(db, user, throttle=True)
    log_activity(db, user.id, "verification_sent", ip=ip, user_agent=user_agent)
    send_verification(db, settings, user, token, lang=lang)


def admin_resend(db: Session, settings: Settings, ctx: AdminContext, target: User, *, lang: str) -> None:
    token = admin_resend_verification(db, ctx, target)
    send_verification(db, settings, target, token, lang=lang)


# ------------------------------------------------------------------ password
def request_password_reset(db: Session, settings: Settings, email: str, *, lang: str, ip: str | None) -> None:
    """Mail a reset link if an active account uses `email`; silent otherwise (no account probing)."""
    found = password_reset.request_password_reset(db, email, ip=ip)
    if found is not None:
        send_reset(db, settings, *found, lang=lang)


def change_password(
    db: Session,
    user: User,
    current: str,
    new: str,
    *,
    current_session: LoginSession | None,
    ip: str | None,
    user_agent: str | None,
    current_token_id: str | None = None,
) -> int:
    """Change the password; every session and API token but the caller's own ends. Returns how
    many sessions ended."""
    return profile.change_password(
        db,
        user,
        current,
        new,
        keep_session_id=current_session.id if current_session else None,
        keep_token_id=current_token_id,
        ip=ip,
        user_agent=user_agent,
    )


# ------------------------------------------------------------------ login
@dataclass(frozen=True)
class LoginResult:
    outcome: login.LoginOutcome
    new_session: NewSession | None  # set when outcome.user is

    @property
    def refusal(self) -> str:
        """The msgid telling a refused visitor why (never whether the e-mail exists)."""
        if self.outcome.reason == "disabled":
            return N_("This account is disabled. Contact the administrator.")
        return N_("Wrong e-mail address or password.")


def log_in(
    db: Session,
    settings: Settings,
    email: str,
    password: str,
    *,
    previous_token: str,
    ip: str | None,
    user_agent: str | None,
    lang: str = i18n.DEFAULT_LOCALE,
) -> LoginResult:
    """Check the credentials (429 past the failure limit) and start a fresh session.

    A refusal is returned, not raised: the failed attempt must commit to count toward the limit.
    The browser's previous session (`previous_token`, the old cookie) ends: no fixation.
    """
    outcome = login.authenticate(
        db,
        email,
        password,
        ip=ip,
        user_agent=user_agent,
        max_failures=settings.login_max_failures,
        window=timedelta(seconds=settings.login_window_seconds),
        account=login.AccountLimit(
            settings.login_account_max_failures, timedelta(seconds=settings.login_account_window_seconds)
        ),
    )
    if outcome.locked is not None:
        send_lockout_notice(db, settings, outcome.locked, lang=lang)
    if outcome.user is None:
        return LoginResult(outcome, None)
    if previous_token:
        previous = resolve_session(db, previous_token)
        if previous is not None and previous.session is not None:
            login.logout(db, previous.session, ip=ip, user_agent=user_agent)
    maybe_purge(db, every_minutes=settings.session_purge_minutes)
    new = login.start_session(db, outcome.user, ip=ip, user_agent=user_agent)
    return LoginResult(outcome, new)
