"""The HTML order form passes `folder_id` and `publish` to the same flow as the JSON API.

Parity: a render ordered through the form with a folder and auto-publish stores the same
job columns (and the same debit) as one ordered through POST /api/v1/renders.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from reelforge.accounts.models import User
from reelforge.credits.models import CreditHistory
from reelforge.db.engine import Database
from reelforge.jobs.models import Job
from reelforge.scripts.models import Script
from reelforge.youtube.models import YoutubeChannel
from tests import factories
from tests.factories import SCRIPT_PRICE, VIDEO_PRICE
from tests.parity import row_dict
from tests.test_render_api import _ledger


def _channel(db: Database, user_id: str, channel_id: str = "UC-test", *, default: bool = True) -> str:
    with db.session() as s:
        channel = YoutubeChannel(user_id=user_id, channel_id=channel_id, channel_title=f"채널 {channel_id}")
        channel.is_default = default
        s.add(channel)
        s.flush()
        return channel.id


def _columns(job: Job) -> dict[str, Any]:
    return {
        "kind": job.kind,
        "type": job.type,
        "status": job.status,
        "title": job.title,
        "script_id": job.script_id,
        "folder_id": job.folder_id,
        "parent_job_id": job.parent_job_id,
        "options": job.options,
    }


def _debit_of(db: Database, job_id: str) -> CreditHistory:
    (row,) = [e for e in factories.ledger_rows(db, factories.job(db, job_id).user_id) if e.job_id == job_id]
    return row


@pytest.fixture
def creator(make_user: Any, db: Database) -> Any:
    user = make_user()
    factories.grant_credits(db, user.id, 1000)
    return user


def test_form_with_folder_and_publish_stores_what_the_api_stores(
    creator: Any, api_client: Any, cookie_client: Any, db: Database
) -> None:
    folder_id = factories.folder(db, creator.id)
    channel_ref = _channel(db, creator.id)
    sid = factories.script(db, creator.id)
    options = {"type": "shortform", "subtitles": "bold", "music": "ambient", "quality": "preview"}

    api = api_client(creator)
    body = {"script_id": sid, "options": options, "folder_id": folder_id, "auto_publish": True, "youtube": {}}
    r = api.post("/api/v1/renders", json=body)
    assert r.status_code == 202, r.text
    api_job = factories.job(db, r.json()["id"])

    c = cookie_client(creator)
    page = c.get(f"/renders/new?script_id={sid}")
    assert page.status_code == 200
    assert 'name="folder_id"' in page.text and f'value="{folder_id}"' in page.text
    assert 'name="publish"' in page.text
    form = {"csrf_token": c.csrf, "script_id": sid, **options, "folder_id": folder_id, "publish": "1"}
    r = c.post("/renders/new", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    form_job = factories.job(db, r.headers["location"].rsplit("/", 1)[1])

    assert form_job.id != api_job.id
    assert _columns(form_job) == _columns(api_job)
    assert form_job.folder_id == folder_id
    assert form_job.options["auto_publish"] is True
    assert form_job.options["youtube"] == {"privacy_status": "private", "channel_id": channel_ref}
    assert factories.balance(db, creator.id) == 1000 - 2 * VIDEO_PRICE
    debits = [e for e in _ledger(db, creator.id) if e[0] == "use"]
    assert sorted(debits) == sorted([("use", -VIDEO_PRICE, api_job.id, None), ("use", -VIDEO_PRICE, form_job.id, None)])

    # field by field: the whole job row and its debit row, ids labelled (tests/parity.py)
    api_debit, form_debit = (_debit_of(db, job.id) for job in (api_job, form_job))
    api_labels = {api_job.id: "job", api_debit.id: "debit"}
    form_labels = {form_job.id: "job", form_debit.id: "debit"}
    assert row_dict(form_job, form_labels) == row_dict(api_job, api_labels)
    assert (api_debit.seq, api_debit.balance_after, form_debit.seq, form_debit.balance_after) == (
        2,
        1000 - VIDEO_PRICE,
        3,
        1000 - 2 * VIDEO_PRICE,
    )
    per_order = ("seq", "balance_after")
    assert row_dict(form_debit, form_labels, skip=per_order) == row_dict(api_debit, api_labels, skip=per_order)


def test_form_without_folder_or_publish_matches_the_api_without_them(
    creator: Any, api_client: Any, cookie_client: Any, db: Database
) -> None:
    sid = factories.script(db, creator.id)
    r = api_client(creator).post("/api/v1/renders", json={"script_id": sid, "options": {"quality": "preview"}})
    assert r.status_code == 202, r.text
    api_job = factories.job(db, r.json()["id"])
    c = cookie_client(creator)
    form = {"csrf_token": c.csrf, "script_id": sid, "quality": "preview", "folder_id": ""}
    r = c.post("/renders/new", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    form_job = factories.job(db, r.headers["location"].rsplit("/", 1)[1])
    assert _columns(form_job) == _columns(api_job)
    assert form_job.folder_id is None and "auto_publish" not in form_job.options


def test_form_picks_one_of_several_channels(creator: Any, cookie_client: Any, db: Database) -> None:
    _channel(db, creator.id, "UC-first")
    second = _channel(db, creator.id, "UC-second", default=False)
    sid = factories.script(db, creator.id)
    c = cookie_client(creator)
    page = c.get(f"/renders/new?script_id={sid}").text
    assert 'name="publish_channel_id"' in page and f'value="{second}"' in page
    form = {"csrf_token": c.csrf, "script_id": sid, "quality": "preview", "publish": "1", "publish_channel_id": second}
    r = c.post("/renders/new", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert factories.job(db, r.headers["location"].rsplit("/", 1)[1]).options["youtube"]["channel_id"] == second


def test_form_refuses_what_the_api_refuses_and_charges_nothing(
    creator: Any, make_user: Any, cookie_client: Any, db: Database
) -> None:
    sid = factories.script(db, creator.id)
    someone_elses = factories.folder(db, make_user().id)
    c = cookie_client(creator)
    base = {"csrf_token": c.csrf, "script_id": sid, "quality": "preview"}

    page = c.get(f"/renders/new?script_id={sid}").text
    assert 'name="publish"' not in page and 'name="folder_id"' not in page  # no channel, no folder yet

    r = c.post("/renders/new", data={**base, "folder_id": someone_elses}, follow_redirects=False)
    assert r.status_code == 422 and "No such folder." in r.text
    r = c.post("/renders/new", data={**base, "publish": "1"}, follow_redirects=False)
    assert r.status_code == 409 and "Connect a YouTube channel" in r.text
    assert factories.balance(db, creator.id) == 1000
    with db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(Job).where(Job.user_id == creator.id)) == 0


def test_topic_order_failing_at_the_video_debit_leaves_no_script(
    make_user: Any, cookie_client: Any, db: Database
) -> None:
    """Enough for the script but not the video: the form answers 402 and, like the API, keeps nothing."""
    user = make_user()
    factories.grant_credits(db, user.id, SCRIPT_PRICE + VIDEO_PRICE - 1)
    c = cookie_client(user)
    form = {"csrf_token": c.csrf, "topic": "가을에 단풍이 드는 이유", "type": "shortform", "language": "ko"}
    r = c.post("/renders/new", data=form, follow_redirects=False)
    assert r.status_code == 402, r.text
    assert "가을에 단풍이 드는 이유" in r.text  # the form keeps what was typed
    assert factories.balance(db, user.id) == SCRIPT_PRICE + VIDEO_PRICE - 1
    with db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(Script).where(Script.user_id == user.id)) == 0


@pytest.mark.parametrize(
    ("locale", "labels"),
    [
        ("ko", ["폴더", "폴더 없음", "영상이 완성되면 YouTube에 게시"]),
        ("en", ["Folder", "No folder", "Publish to YouTube when the video is ready"]),
    ],
)
def test_form_labels_are_translated(
    creator: Any, cookie_client: Any, db: Database, locale: str, labels: list[str]
) -> None:
    factories.folder(db, creator.id)
    _channel(db, creator.id)
    with db.session() as s:
        row = s.get(User, creator.id)
        assert row is not None
        row.locale = locale
    page = cookie_client(creator).get("/renders/new").text
    for label in labels:
        assert label in page
