"""Script jobs end to end on SQLite and PostgreSQL: paid creation, the job (backup, write, save), editing."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reelforge.config import Settings
from reelforge.db.engine import Database
from reelforge.jobs import runner
from reelforge.scripts import backup, service
from reelforge.scripts.models import Script
from tests.factories import balance, grant_credits, reload_user
from tests.scripts_helpers import ledger, log_lines, script_row
from tests.stubs.openai_stub import OpenAIStub
from tests.test_scripts_llm import draft

PRICE = 100  # the default script price
TOPIC = "고양이가 상자를 좋아하는 이유"


@pytest.fixture
def payer(make_user, db: Database):  # type: ignore[no-untyped-def]
    user = make_user()
    grant_credits(db, user.id, 1000)
    return reload_user(db, user.id)


def order(client: Any, **body: Any) -> Any:
    return client.post("/api/v1/scripts", json={"topic": TOPIC, "type": "shortform", "language": "ko", **body})


def run_job(db: Database, settings: Settings, script_id: str) -> runner.RunResult:
    return runner.run(db, settings, "script", script_id)


def test_order_run_and_read_a_script(api_client, payer, db: Database, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    c = api_client(payer)
    opts = c.get("/api/v1/scripts/options").json()
    assert opts["price"] == PRICE and opts["provider"] == "offline" and opts["topic_max_chars"] == 200
    r = order(c)
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert r.json()["status"] == "pending"
    assert balance(db, payer.id) == 900
    assert ledger(db, payer.id)[-1] == ("use", -PRICE, sid, None)
    assert script_row(db, sid).debit_id is not None

    result = run_job(db, settings, sid)
    assert result.status == "completed", result.error
    assert result.steps_run == ["backup", "write", "save"]

    got = c.get(f"/api/v1/scripts/{sid}").json()
    assert got["status"] == "completed" and got["progress"] == 100
    assert got["title"].startswith(TOPIC)
    assert got["offline_draft"] is True and got["provider"] == "offline"
    assert got["scene_count"] == 6 == len(got["scenes"])
    assert all(s["estimated_seconds"] > 0 for s in got["scenes"])
    assert got["estimated_seconds"] == pytest.approx(sum(s["estimated_seconds"] for s in got["scenes"]), abs=0.2)
    assert got["content"]["schema_version"] == 1 and got["content"]["language"] == "ko"
    assert got["options"]["prompt_id"] == "shortform-default-ko"

    lines = log_lines(db, sid)
    backup_at = next(i for i, x in enumerate(lines) if x.startswith("Backup:"))
    topic_at = next(i for i, x in enumerate(lines) if x.startswith("Topic:"))
    assert backup_at < topic_at  # the backup is taken before writing
    assert any(x.startswith("✎ [1] ") for x in lines)  # the draft streamed into the log
    logs_api = c.get(f"/api/v1/scripts/{sid}/logs").json()
    assert [x["log_message"] for x in logs_api] == lines
    assert (
        c.get(f"/api/v1/scripts/{sid}/logs", params={"after": logs_api[-2]["id"]}).json()[0]["id"] == logs_api[-1]["id"]
    )

    if db.dialect == "sqlite":
        files = backup.list_auto_backups(settings.data_dir)
        assert len(files) == 1 and backup.NAME_RE.match(files[0].name)
        assert oct(files[0].stat().st_mode & 0o777) == "0o600"
        with sqlite3.connect(files[0]) as con:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            # the copy holds the state before the run: the script row, still pending, and its debit
            assert con.execute("SELECT status FROM scripts WHERE id = ?", (sid,)).fetchone()[0] == "processing"
            assert con.execute("SELECT count(*) FROM credit_history").fetchone()[0] >= 2
    else:
        assert any("automatic backup skipped on postgresql" in x for x in lines)
        assert backup.list_auto_backups(settings.data_dir) == []

    # SSE: the finished job streams its log and ends
    with c.stream("GET", f"/api/v1/scripts/{sid}/events") as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        body = "".join(resp.iter_text())
    assert "event: log" in body and "event: end" in body and '"status": "completed"' in body.replace('":"', '": "')


def test_payment_rules(api_client, make_user, db: Database) -> None:  # type: ignore[no-untyped-def]
    poor = make_user()
    r = order(api_client(poor))
    assert r.status_code == 402
    assert r.json()["balance"] == 0 and r.json()["price"] == PRICE
    unverified = make_user(verified=False)
    grant_credits(db, unverified.id, 1000)
    r = order(api_client(reload_user(db, unverified.id)))
    assert r.status_code == 403
    assert balance(db, unverified.id) == 1000
    with db.read_session() as s:
        assert s.query(Script).count() == 0  # the row was rolled back with the refused debit


def test_idempotency_key_returns_the_same_script_and_charges_once(api_client, payer, db: Database) -> None:  # type: ignore[no-untyped-def]
    c = api_client(payer)
    first = c.post("/api/v1/scripts", json={"topic": TOPIC}, headers={"Idempotency-Key": "order-1"})
    again = c.post("/api/v1/scripts", json={"topic": TOPIC}, headers={"Idempotency-Key": "order-1"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == again.json()["id"]
    assert balance(db, payer.id) == 900
    assert c.post("/api/v1/scripts", json={"topic": TOPIC}, headers={"Idempotency-Key": "x" * 300}).status_code == 422


BAD_ORDERS: list[tuple[dict[str, Any], str]] = [
    ({"topic": "가" * 201}, "topic"),
    ({"topic": "   "}, "topic"),
    ({"topic": TOPIC, "type": "square"}, "type"),
    ({"topic": TOPIC, "language": "fr"}, "language"),
    ({"topic": TOPIC, "tone": "angry"}, "tone"),
    ({"topic": TOPIC, "length": "huge"}, "length"),
    ({"topic": TOPIC, "type": "shortform", "scene_count": 12}, "scene_count"),
]


def test_bad_orders_are_clear_422s_and_cost_nothing(api_client, payer, db: Database) -> None:  # type: ignore[no-untyped-def]
    c = api_client(payer)
    for body, field in BAD_ORDERS:
        r = c.post("/api/v1/scripts", json=body)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["field"] == field and r.json()["detail"], (body, r.json())
    assert balance(db, payer.id) == 1000
    with db.read_session() as s:
        assert s.query(Script).count() == 0


def test_over_long_topic_says_the_limit(api_client, payer) -> None:  # type: ignore[no-untyped-def]
    r = api_client(payer).post("/api/v1/scripts", json={"topic": "x" * 250})
    assert r.json()["reason"] == "too_long" and r.json()["limit"] == 200 and "250" in r.json()["detail"]


def _completed(db: Database, settings: Settings, user_id: str, topic: str = TOPIC, kind: str = "shortform") -> str:
    with db.session() as s:
        req = service.make_request(settings, topic=topic, type=kind, language="ko")
        sid = service.create_script(s, user_id, req, settings).script.id
    assert run_job(db, settings, sid).status == "completed"
    return sid


def test_list_search_pagination_and_ownership(api_client, payer, make_user, db: Database, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    c = api_client(payer)
    ids = [
        order(c, topic=t).json()["id"]
        for t in ("고양이가 상자를 좋아하는 이유", "블랙홀의 비밀", "100% 확실한 방법_테스트")
    ]
    page1 = c.get("/api/v1/scripts", params={"limit": 2}).json()
    assert [x["id"] for x in page1["items"]] == ids[::-1][:2] and page1["next_cursor"]
    page2 = c.get("/api/v1/scripts", params={"limit": 2, "cursor": page1["next_cursor"]}).json()
    assert [x["id"] for x in page2["items"]] == [ids[0]] and page2["next_cursor"] is None
    assert [x["id"] for x in c.get("/api/v1/scripts", params={"q": "블랙홀"}).json()["items"]] == [ids[1]]
    assert [x["id"] for x in c.get("/api/v1/scripts", params={"q": "100%"}).json()["items"]] == [ids[2]]
    assert c.get("/api/v1/scripts", params={"q": "_"}).json()["items"][0]["id"] == ids[2]  # LIKE wildcards escaped
    assert c.get("/api/v1/scripts", params={"status": "nope"}).status_code == 422
    assert c.get("/api/v1/scripts", params={"cursor": "garbage"}).status_code == 422
    other = api_client(make_user())
    assert other.get(f"/api/v1/scripts/{ids[0]}").status_code == 404
    assert other.get(f"/api/v1/scripts/{ids[0]}/logs").status_code == 404
    assert other.delete(f"/api/v1/scripts/{ids[0]}").status_code == 404
    assert other.get("/api/v1/scripts").json()["items"] == []


def test_edit_duplicate_delete(api_client, payer, db: Database, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    c = api_client(payer)
    pending = order(c).json()["id"]
    assert c.patch(f"/api/v1/scripts/{pending}", json={"title": "x"}).status_code == 409
    assert c.delete(f"/api/v1/scripts/{pending}").status_code == 409
    assert c.post(f"/api/v1/scripts/{pending}/duplicate").status_code == 409

    sid = _completed(db, settings, payer.id)
    doc = c.get(f"/api/v1/scripts/{sid}").json()
    scenes = [{k: s[k] for k in ("narration", "image_prompt", "caption")} for s in doc["content"]["scenes"]]
    new_scenes = [
        *scenes[::-1][:5],
        {"narration": "새로 추가한 장면입니다.", "image_prompt": "a new shot", "caption": None},
    ]
    r = c.patch(
        f"/api/v1/scripts/{sid}",
        json={
            "title": "내가 고친 제목",
            "tags": ["#고양이", " 상자 "],
            "scenes": new_scenes,
            "expected_updated_at": doc["updated_at"],
        },
    )
    assert r.status_code == 200, r.text
    edited = r.json()
    assert edited["title"] == "내가 고친 제목" and edited["content"]["tags"] == ["고양이", "상자"]
    assert [s["narration"] for s in edited["scenes"]] == [s["narration"] for s in new_scenes]
    assert edited["scenes"][-1]["estimated_seconds"] > 0
    # stale edit
    stale = c.patch(f"/api/v1/scripts/{sid}", json={"title": "late", "expected_updated_at": doc["updated_at"]})
    assert stale.status_code == 409 and stale.json()["reason"] == "stale"
    # invalid edits change nothing
    assert c.patch(f"/api/v1/scripts/{sid}", json={"scenes": scenes[:3]}).status_code == 422
    bad = c.patch(f"/api/v1/scripts/{sid}", json={"scenes": [{**scenes[0], "narration": ""}, *scenes[1:]]})
    assert bad.status_code == 422 and bad.json()["field"].startswith("scenes.0")
    assert c.patch(f"/api/v1/scripts/{sid}", json={"title": ""}).status_code == 422
    assert c.patch(f"/api/v1/scripts/{sid}", json={"title": "t" * 101}).status_code == 422
    assert c.patch(f"/api/v1/scripts/{sid}", json={"content": {}}).status_code == 422
    assert c.get(f"/api/v1/scripts/{sid}").json()["title"] == "내가 고친 제목"

    copy = c.post(f"/api/v1/scripts/{sid}/duplicate")
    assert copy.status_code == 201
    assert copy.json()["id"] != sid and copy.json()["status"] == "completed"
    assert copy.json()["title"] == "내가 고친 제목 (사본)"
    assert copy.json()["content"]["scenes"] == edited["content"]["scenes"]
    assert balance(db, payer.id) == 800  # two orders, the copy was free

    assert c.delete(f"/api/v1/scripts/{sid}").status_code == 204
    assert c.get(f"/api/v1/scripts/{sid}").status_code == 404
    assert c.get(f"/api/v1/scripts/{copy.json()['id']}").status_code == 200


def test_cancel_pending_refunds_once(api_client, payer, db: Database, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    c = api_client(payer)
    sid = order(c).json()["id"]
    assert c.post(f"/api/v1/scripts/{sid}/cancel").json()["result"] == "cancelled"
    assert c.post(f"/api/v1/scripts/{sid}/cancel").status_code == 409
    assert balance(db, payer.id) == 1000
    assert [t for t, *_ in ledger(db, payer.id)].count("refund") == 1
    assert run_job(db, settings, sid).claimed is False


# ------------------------------------------------------------------ with an OpenAI-compatible model
@pytest.fixture
def stub():  # type: ignore[no-untyped-def]
    with OpenAIStub() as server:
        yield server


def with_llm(settings: Settings, stub: OpenAIStub, **extra: Any) -> Settings:
    return settings.model_copy(
        update={
            "llm_base_url": stub.base_url,
            "llm_api_key": "sk-test",
            "llm_model": "stub-model",
            "llm_max_retries": 1,
            "job_retry_backoff_seconds": 0.01,
            **extra,
        }
    )


def _order_direct(db: Database, settings: Settings, user_id: str) -> str:
    with db.session() as s:
        req = service.make_request(settings, topic=TOPIC, type="shortform", language="ko")
        return service.create_script(s, user_id, req, settings).script.id


def test_model_written_script_records_tokens_and_streams(
    payer, db: Database, settings: Settings, stub: OpenAIStub
) -> None:  # type: ignore[no-untyped-def]
    stub.chat_replies.append(draft(6))
    llm = with_llm(settings, stub)
    sid = _order_direct(db, llm, payer.id)
    result = run_job(db, llm, sid)
    assert result.status == "completed", result.error
    row = script_row(db, sid)
    assert row.provider == "openai:stub-model"
    assert row.input_tokens > 0 and row.output_tokens > 0
    assert row.content["offline_draft"] is False and len(row.content["scenes"]) == 6
    lines = log_lines(db, sid)
    streamed = "".join(x[2:] for x in lines if x.startswith("✎ "))
    assert "1번째 장면의 내레이션입니다." in streamed
    assert any(x.startswith("Tokens: ") for x in lines)


def test_invalid_json_then_repaired_in_a_job(payer, db: Database, settings: Settings, stub: OpenAIStub) -> None:  # type: ignore[no-untyped-def]
    stub.chat_replies.extend(["{oops", draft(6)])
    llm = with_llm(settings, stub)
    sid = _order_direct(db, llm, payer.id)
    assert run_job(db, llm, sid).status == "completed"
    assert len(stub.calls("/v1/chat/completions")) == 2
    assert balance(db, payer.id) == 900


def test_timeout_fails_the_job_and_refunds_once(payer, db: Database, settings: Settings, stub: OpenAIStub) -> None:  # type: ignore[no-untyped-def]
    stub.delay_next("/v1/chat/completions", 3.0, times=5)
    llm = with_llm(settings, stub, llm_timeout_seconds=0.3)
    sid = _order_direct(db, llm, payer.id)
    assert balance(db, payer.id) == 900
    result = run_job(db, llm, sid)
    assert result.status == "failed"
    row = script_row(db, sid)
    assert row.status == "failed" and "did not answer within 0.3s" in (row.error or "")
    assert row.content is None
    assert balance(db, payer.id) == 1000
    entries = ledger(db, payer.id)
    refunds = [e for e in entries if e[0] == "refund"]
    assert len(refunds) == 1 and refunds[0][1] == PRICE and refunds[0][2] == sid
    # finishing again (a second worker, a recovery) cannot refund twice
    assert runner.finish(db, runner.TABLES["scripts"], sid, "failed", error="again") is False
    assert balance(db, payer.id) == 1000


def test_rate_limit_exhausted_is_retried_by_the_runner_then_succeeds(
    payer, db: Database, settings: Settings, stub: OpenAIStub
) -> None:  # type: ignore[no-untyped-def]
    # the SDK tries twice (max_retries=1) and gives up; the runner's step retry then gets through
    stub.fail_next("/v1/chat/completions", 429, times=2, headers={"retry-after-ms": "10"})
    stub.chat_replies.append(draft(6))
    llm = with_llm(settings, stub)
    sid = _order_direct(db, llm, payer.id)
    result = run_job(db, llm, sid)
    assert result.status == "completed", result.error
    assert len(stub.calls("/v1/chat/completions")) == 3
    assert any("rate limiting" in x and "retry 1/" in x for x in log_lines(db, sid))


# ------------------------------------------------------------------ backups
def test_backup_retention_keeps_the_newest_n(db: Database, settings: Settings) -> None:
    if db.dialect != "sqlite":
        result = backup.backup_before_script(db.url, settings.data_dir, 3)
        assert result.path is None and "pg_dump" in (result.skipped or "")
        return
    start = datetime(2026, 11, 26, 8, 0, 0, tzinfo=UTC)
    made: list[Path] = []
    for i in range(5):
        result = backup.backup_before_script(db.url, settings.data_dir, 3, now=start + timedelta(seconds=i))
        assert result.path is not None
        made.append(result.path)
    assert made[0].name == "database_2026-11-26_08-00-00_auto_before_script.sqlite"
    assert backup.list_auto_backups(settings.data_dir) == made[2:]
    for path in made[2:]:
        with sqlite3.connect(path) as con:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert con.execute("SELECT count(*) FROM alembic_version").fetchone()[0] == 1
    other = settings.data_dir / "backups" / "manual.sqlite"
    other.write_bytes(b"not ours")
    backup.backup_before_script(db.url, settings.data_dir, 1, now=start + timedelta(seconds=9))
    assert len(backup.list_auto_backups(settings.data_dir)) == 1 and other.exists()  # only automatic ones pruned
    off = backup.backup_before_script(db.url, settings.data_dir, 0)
    assert off.path is None and "turned off" in (off.skipped or "")


def test_a_backup_is_made_before_each_run(
    payer, db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    clock = iter([datetime(2026, 11, 26, 9, 0, s, tzinfo=UTC) for s in range(10)])
    real = backup.backup_before_script
    monkeypatch.setattr(backup, "backup_before_script", lambda *a, **k: real(*a, **k, now=next(clock)))
    sids = [_completed(db, settings, payer.id) for _ in range(3)]
    names = [p.name for p in backup.list_auto_backups(settings.data_dir)]
    if db.dialect == "sqlite":
        assert names == [f"database_2026-11-26_09-00-0{s}_auto_before_script.sqlite" for s in range(3)]
    else:  # PostgreSQL: no file, one log line per run saying why
        assert names == []
        for sid in sids:
            assert sum("automatic backup skipped on postgresql" in x for x in log_lines(db, sid)) == 1


def test_concurrent_orders_with_one_idempotency_key_make_one_script(payer, db: Database, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    import threading

    barrier = threading.Barrier(4)
    results: list[tuple[str, bool]] = []
    failures: list[BaseException] = []

    def order_once() -> None:
        try:
            barrier.wait()
            with db.session() as s:
                req = service.make_request(settings, topic=TOPIC)
                created = service.create_script(s, payer.id, req, settings, idempotency_key="same-key")
                results.append((created.script.id, created.created))
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=order_once) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert failures == []
    assert len({sid for sid, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, False, False, True]
    assert balance(db, payer.id) == 1000 - PRICE
    with db.read_session() as s:
        assert s.query(Script).count() == 1
