"""Use cases of the render domain shared by the JSON API and the HTML pages.

`order_render` is the one way a video is ordered: the pages' form and the API pass the
same fields (script or topic, options, folder, auto-publish) and get the same rows. The
job is dispatched through the outbox, so nothing is queued unless the order committed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from reelforge.config import Settings
from reelforge.credits import service as credits
from reelforge.db.outbox import after_commit
from reelforge.errors import Conflict, InvalidInput
from reelforge.jobs.broker import require_broker
from reelforge.jobs.dispatch import dispatch
from reelforge.library.queries import get_owned_folder
from reelforge.render import service
from reelforge.render.queries import get_owned_render
from reelforge.scripts import service as scripts
from reelforge.scripts.queries import get_owned_script
from reelforge.youtube import uploads as youtube


def order_render(
    db: Session,
    user_id: str,
    settings: Settings,
    *,
    options: dict[str, Any],
    script_id: str | None = None,
    topic: str | None = None,
    idempotency_key: str | None = None,
    folder_id: str | None = None,
    parent_job_id: str | None = None,
    publish: dict[str, Any] | None = None,
) -> service.Created:
    """Order a render of the user's finished script, or of a script written first from `topic`.

    `publish` (auto-publish options, see youtube.uploads.validate_auto_publish; `{}` for the
    default channel) chains an upload to the user's channel when the render completes.
    An Idempotency-Key replay returns the earlier job and dispatches nothing.
    """
    if (script_id is None) == (topic is None or not topic.strip()):
        raise InvalidInput("Give either script_id (render a script) or topic (write and render).", field="script_id")
    key = credits.validate_idempotency_key(idempotency_key)
    earlier = service.find_replay(db, user_id, key)
    if earlier is not None:
        return service.Created(earlier, created=False)
    require_broker(settings)  # 503 before anything is written or charged when the job queue is down
    if folder_id is not None:
        get_owned_folder(db, folder_id, user_id=user_id)
    publish_options = None
    if publish is not None:
        # Checked first (no channel, bad privacy/schedule): a 4xx before any script is ordered or charged.
        publish_options = youtube.validate_auto_publish(db, user_id, publish)
    if script_id is not None:
        script = get_owned_script(db, script_id, user_id=user_id)
        opts, title = service.options_for_script(settings, script, options)
    else:
        opts = service.validate_options(settings, options)
        script_type = "shortform" if opts.type == "square" else opts.type
        request = scripts.make_request(settings, topic=topic or "", type=script_type, language=opts.language)
        # Not dispatched on its own: the render's first step writes it.
        script = scripts.create_script(db, user_id, request, settings).script
        title = request.topic
    job = service.create_render_job(
        db,
        user_id,
        settings,
        opts=opts,
        script_id=script.id,
        title=title,
        from_topic=bool(topic),
        idempotency_key=key,
        folder_id=folder_id,
        parent_job_id=parent_job_id,
        publish_options=publish_options,
    )
    job_id = job.id
    after_commit(db, lambda: dispatch(settings, service.KIND, job_id))
    return service.Created(job, created=True, script=script)


def render_again(
    db: Session, user_id: str, settings: Settings, job_id: str, options: dict[str, Any], idempotency_key: str | None
) -> service.Created:
    """A new render of the same script with other options (the earlier job stays as it is)."""
    job = get_owned_render(db, job_id, user_id=user_id)
    if job.script_id is None:
        raise Conflict("The script of this video was deleted; it cannot be rendered again.")
    return order_render(
        db,
        user_id,
        settings,
        options=service.options_again(job, options),
        script_id=job.script_id,
        idempotency_key=idempotency_key,
        folder_id=job.folder_id,
        parent_job_id=job.id,
    )
