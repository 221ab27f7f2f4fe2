"""Use cases of the scripts domain shared by the JSON API and the HTML pages.

Each flow runs in the caller's unit of work and registers what must happen once it
commits (queue the writing job, wake a cancelled worker, remove a work folder) with
`after_commit`, so neither HTTP layer dispatches anything by hand.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from reelforge.config import Settings
from reelforge.db.outbox import after_commit
from reelforge.jobs import events
from reelforge.jobs.broker import require_broker
from reelforge.jobs.dispatch import dispatch
from reelforge.jobs.runner import signal_cancel
from reelforge.jobs.service import remove_folder
from reelforge.providers.llm import ScriptRequest
from reelforge.scripts import service
from reelforge.scripts.models import Script

KIND = "script"


def _dispatch_after_commit(db: Session, settings: Settings, script_id: str) -> None:
    after_commit(db, lambda: dispatch(settings, KIND, script_id))


def order_script(
    db: Session, user_id: str, settings: Settings, request: ScriptRequest, *, idempotency_key: str | None = None
) -> service.Created:
    """Debit and create the script; queue its writing once committed (not for an Idempotency-Key replay)."""
    require_broker(settings)
    result = service.create_script(db, user_id, request, settings, idempotency_key=idempotency_key)
    if result.created:
        _dispatch_after_commit(db, settings, result.script.id)
    return result


def retry_script(db: Session, script_id: str, *, user_id: str, settings: Settings) -> Script:
    """Queue a failed or cancelled script again (charged again by the job rules)."""
    require_broker(settings)
    row = service.retry_script(db, script_id, user_id=user_id, settings=settings)
    _dispatch_after_commit(db, settings, script_id)
    return row


def cancel_script(db: Session, script_id: str, *, user_id: str) -> str:
    """Cancel a waiting or running script; a running worker is woken once committed."""
    result = service.cancel_script(db, script_id, user_id=user_id)

    def wake() -> None:
        signal_cancel(script_id)
        events.notify(script_id)

    after_commit(db, wake)
    return result


def delete_script(db: Session, script_id: str, *, user_id: str, settings: Settings) -> None:
    """Delete a finished script; its work folder goes once the delete committed."""
    folder = service.delete_script(db, script_id, user_id=user_id, settings=settings)
    after_commit(db, lambda: remove_folder(settings, folder))
