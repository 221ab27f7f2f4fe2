"""`reelforge import-legacy`: a legacy data folder (made by the shared generator, then broken by
hand) imported on SQLite and PostgreSQL - counts, ledger, passwords, dry run, re-import."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from reelforge.accounts.models import User
from reelforge.config import get_settings
from reelforge.credits.audit import audit_ledger
from reelforge.credits.models import CreditHistory
from reelforge.db.registry import metadata
from reelforge.legacy.flows import run_import
from reelforge.legacy.values import new_id, parse_when
from reelforge.youtube.crypto import TokenCipher
from reelforge.youtube.models import YoutubeChannel

GENERATOR = Path("/work/shared/legacy/make_legacy.py")
pytestmark = pytest.mark.skipif(not GENERATOR.exists(), reason="the shared legacy generator is not here")


def make_folder(tmp_path: Path, *, seed: int = 7, users: int = 12, edge: bool = True) -> tuple[Path, dict[str, str]]:
    out = tmp_path / f"legacy-{seed}-{users}"
    args = [sys.executable, str(GENERATOR), str(out), "--seed", str(seed), "--users", str(users)]
    subprocess.run([*args, *(["--edge-cases"] if edge else [])], check=True, capture_output=True)
    passwords = json.loads((tmp_path / f"{out.name}.passwords.json").read_text())
    return out, passwords


def table_counts(db: Any) -> dict[str, int]:
    with db.read_session() as s:
        return {t.name: s.scalar(select(func.count()).select_from(t)) for t in metadata.sorted_tables}


def load(folder: Path, name: str) -> Any:
    return json.loads((folder / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(("seed", "users", "edge"), [(7, 12, True), (3, 5, False)])
def test_generated_folder_imports_with_counts_matching_the_source(db, settings, tmp_path, seed, users, edge) -> None:  # type: ignore[no-untyped-def]
    folder, _ = make_folder(tmp_path, seed=seed, users=users, edge=edge)
    report = run_import(db, settings, folder)
    counts = report.as_dict()["entities"]
    history = load(folder, "credit_history.json")
    orphans = 1 if edge else 0
    assert counts["users"] == {"read": users, "imported": users, "skipped": 0, "problems": counts["users"]["problems"]}
    assert counts["credit_history"]["read"] == len(history)
    assert counts["credit_history"]["imported"] == len(history) - orphans
    assert counts["youtube_channels"]["imported"] == len(load(folder, "youtube_channels.json"))
    assert counts["charge_requests"]["imported"] == len(load(folder, "charge_requests.json"))
    kinds = report.kinds()
    if edge:
        assert kinds["orphan"] >= 1 and kinds["ignored_file"] == 1 and kinds["email_normalised"] == 1
    with db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(User)) == users
        assert s.scalar(select(func.count()).select_from(CreditHistory)) >= len(history) - orphans
        # Balances come from the ledger, and the ledger audit is clean (the generator's chains are whole).
        q = select(CreditHistory.user_id, func.sum(CreditHistory.amount)).group_by(CreditHistory.user_id)
        sums = {uid: n for uid, n in s.execute(q)}
        for uid, credits in s.execute(select(User.id, User.credits)):
            assert credits == int(sums.get(uid) or 0)
        audit = audit_ledger(s)
        assert audit.ok, audit.breaches
        assert kinds["chain_break"] == 0
        # No token file in the generated folder: every channel asks to be reconnected.
        assert all(s.scalars(select(YoutubeChannel.needs_reconnect)))
        emails = set(s.scalars(select(User.email)))
        assert all(e == e.lower() for e in emails)


def test_legacy_password_logs_in_once_over_http_and_is_rehashed(client, db, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder, passwords = make_folder(tmp_path)
    users = load(folder, "users.json")
    users[1]["password"] = users[1]["password"].upper()  # legacy hashes come in either case
    (folder / "users.json").write_text(json.dumps(users, ensure_ascii=False), encoding="utf-8")
    run_import(db, settings, folder)
    for legacy in (users[1], users[3]):  # users[3]'s e-mail is upper case in the legacy file
        email = legacy["email"]
        with db.read_session() as s:
            before = s.scalar(select(User.password_hash).where(User.email == email.lower()))
        assert before is not None and before.startswith("legacy-sha256$")
        r = client.post("/api/v1/auth/login", json={"email": email, "password": passwords[email.lower()]})
        assert r.status_code == 200, r.text
        with db.read_session() as s:
            after = s.scalar(select(User.password_hash).where(User.email == email.lower()))
        assert after is not None and after.startswith("$argon2id$")
        client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": r.json()["csrf_token"]})
        again = client.post("/api/v1/auth/login", json={"email": email, "password": passwords[email.lower()]})
        assert again.status_code == 200
        wrong = client.post("/api/v1/auth/login", json={"email": email, "password": "not-the-password"})
        assert wrong.status_code == 401


def test_dry_run_writes_nothing_and_reports_the_same(db, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder, _ = make_folder(tmp_path)
    before = table_counts(db)
    dry = run_import(db, settings, folder, dry_run=True)
    assert table_counts(db) == before
    real = run_import(db, settings, folder)
    assert dry.as_dict()["entities"] == real.as_dict()["entities"]
    assert dry.kinds() == real.kinds()


def test_second_run_imports_nothing_new(db, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder, _ = make_folder(tmp_path)
    run_import(db, settings, folder)
    after_first = table_counts(db)
    second = run_import(db, settings, folder)
    assert all(c["imported"] == 0 for c in second.as_dict()["entities"].values())
    after_second = table_counts(db)
    after_second.pop("settings"), after_first.pop("settings")  # the last report is kept there
    assert after_second == after_first


def test_broken_files_are_reported_and_the_rest_imported(db, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder, _ = make_folder(tmp_path)
    users = load(folder, "users.json")
    users[1]["name"] = "bad\x00name\x07" + "x" * 500
    users[1]["createdAt"] = "not a date"
    twin = {**users[2], "id": "twin-of-2", "email": users[2]["email"].upper()}
    (folder / "users.json").write_bytes(b"\xef\xbb\xbf" + json.dumps([*users, twin]).encode())  # BOM
    text = (folder / "credit_history.json").read_text(encoding="utf-8")
    (folder / "credit_history.json").write_text(text[: len(text) // 2], encoding="utf-8")  # cut midway
    (folder / "user_activity_logs.json").write_text("{not json", encoding="utf-8")
    channels = load(folder, "youtube_channels.json")
    token = {"token": "ya29.SECRET-ACCESS", "refresh_token": "1//SECRET-REFRESH", "expiry": 1767225600000}
    (folder / channels[0]["tokenFile"]).write_text(json.dumps(token), encoding="utf-8")
    (folder / channels[1]["tokenFile"]).write_text("{broken", encoding="utf-8")
    report = run_import(db, settings, folder)
    kinds = report.kinds()
    assert kinds["invalid_json"] == 2 and kinds["duplicate_email"] == 1
    assert kinds["control_chars"] >= 1 and kinds["truncated"] >= 1 and kinds["bad_timestamp"] >= 1
    assert kinds["token_missing"] == len(channels) - 1
    entities = report.as_dict()["entities"]
    assert entities["users"]["imported"] == len(users) + 1  # the case-duplicate is kept, disabled
    assert 0 < entities["credit_history"]["imported"] < len(json.loads(text))
    for p in report.problems:
        assert set(p) == {"kind", "entity", "file", "row", "detail"}
    with db.read_session() as s:
        dup = s.get(User, new_id("user", "twin-of-2"))
        assert dup is not None and not dup.is_active and "+legacy-duplicate-" in dup.email
        first = s.scalar(select(YoutubeChannel).where(YoutubeChannel.channel_id == channels[0]["channelId"]))
        assert first is not None and not first.needs_reconnect and first.token_encrypted
        assert "SECRET" not in first.token_encrypted
        assert TokenCipher(settings).decrypt_json(first.token_encrypted)["refresh_token"] == "1//SECRET-REFRESH"
        assert audit_ledger(s).ok
    if db.dialect == "sqlite":
        db.dispose()
        path = Path(db.url.removeprefix("sqlite:///"))
        for f in (path, path.with_name(path.name + "-wal")):
            if f.exists():
                assert b"SECRET" not in f.read_bytes()


def test_cli_prints_the_report_writes_json_and_refuses_an_empty_folder(db_url, settings, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from reelforge.cli import app

    folder, _ = make_folder(tmp_path, users=4)
    monkeypatch.setenv("REELFORGE_DATABASE_URL", db_url)
    monkeypatch.setenv("REELFORGE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("REELFORGE_SECRET_KEY", "t" * 48)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        out = tmp_path / "report.json"
        result = runner.invoke(app, ["import-legacy", str(folder), "--dry-run", "--report", str(out)])
        assert result.exit_code == 0, result.output
        assert "dry run" in result.output and "credit_history" in result.output
        assert json.loads(out.read_text())["entities"]["users"]["read"] == 4
        empty = tmp_path / "empty"
        empty.mkdir()
        assert runner.invoke(app, ["import-legacy", str(empty)]).exit_code == 2
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2025-06-01T10:00:00.000Z", "2025-06-01T10:00:00+00:00"),
        ("2025-06-01T19:00:00+09:00", "2025-06-01T10:00:00+00:00"),
        ("2025-06-01T10:00:00", "2025-06-01T10:00:00+00:00"),
        ("2025-06-01 10:00:00", "2025-06-01T10:00:00+00:00"),
        (1748772000, "2025-06-01T10:00:00+00:00"),
        (1748772000000, "2025-06-01T10:00:00+00:00"),
        ("1748772000000", "2025-06-01T10:00:00+00:00"),
        ("yesterday", None),
        (True, None),
    ],
)
def test_timestamps_in_every_legacy_form_become_aware_utc(raw, iso) -> None:  # type: ignore[no-untyped-def]
    parsed = parse_when(raw)
    assert (parsed.isoformat() if parsed else None) == iso


def test_legacy_hash_check_accepts_either_case() -> None:
    from reelforge.accounts.passwords import LEGACY_PREFIX, verify_password

    digest = hashlib.sha256(b"pw-legacy-1234").hexdigest()
    assert verify_password(LEGACY_PREFIX + digest.upper(), "pw-legacy-1234")
    assert not verify_password(LEGACY_PREFIX + digest.upper(), "pw-legacy-12345")


@pytest.mark.slow
def test_kill_9_midway_leaves_the_database_as_before_and_a_rerun_completes(db, db_url, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder, _ = make_folder(tmp_path, users=1500)
    env = {
        **os.environ,
        "REELFORGE_DATABASE_URL": db_url,
        "REELFORGE_DATA_DIR": str(settings.data_dir),
        "REELFORGE_SECRET_KEY": "t" * 48,
    }
    command = [sys.executable, "-m", "reelforge", "import-legacy", str(folder)]
    started = time.monotonic()
    subprocess.run([*command, "--dry-run"], env=env, check=True, capture_output=True)
    whole = time.monotonic() - started
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(whole * 0.6)  # well inside the one transaction (the dry run did the same work)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with db.read_session() as s:
        users = s.scalar(select(func.count()).select_from(User))
        ledger = s.scalar(select(func.count()).select_from(CreditHistory))
    assert (users, ledger) == (0, 0) or users == 1500  # never half an import
    subprocess.run(command, env=env, check=True, capture_output=True)
    with db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 1500
        assert audit_ledger(s).ok


def test_doctor_reports_exactly_the_chain_breaks_the_import_reported(db, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder, _ = make_folder(tmp_path, edge=False)
    history = load(folder, "credit_history.json")
    target = history[40]
    target["balance"] += 10  # a hand-edited balance: this row and the next one no longer chain
    (folder / "credit_history.json").write_text(json.dumps(history, ensure_ascii=False), encoding="utf-8")
    report = run_import(db, settings, folder)
    breaks = [p for p in report.problems if p["kind"] == "chain_break"]
    assert len(breaks) == 2 and breaks[0]["row"] == "40"
    with db.read_session() as s:
        audit = audit_ledger(s)
    assert len(audit.breaches) == 2 and all("says balance" in b for b in audit.breaches)


def test_every_imported_active_user_logs_in_over_http_with_the_old_password(client, db, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder, passwords = make_folder(tmp_path, seed=11, users=12, edge=True)
    run_import(db, settings, folder)
    logged_in = 0
    for email, password in sorted(passwords.items()):
        with db.read_session() as s:
            user = s.scalar(select(User).where(User.email == email.lower()))
            if user is None or not user.is_active or not (user.password_hash or "").startswith("legacy-sha256$"):
                continue  # a disabled account or one with an unusable hash is reported, not logged in
        r = client.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, (email, r.text)
        client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": r.json()["csrf_token"]})
        with db.read_session() as s:
            rehashed = s.scalar(select(User.password_hash).where(User.email == email.lower()))
        assert rehashed is not None and rehashed.startswith("$argon2id$"), email
        logged_in += 1
    assert logged_in >= len(passwords) // 2, f"only {logged_in} of {len(passwords)} users could log in"
