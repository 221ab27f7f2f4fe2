"""Scripts benchmark: offline writer speed, the script job end to end, and the automatic backup.

    .venv/bin/python bench/scripts.py                 # SQLite in a temp folder
    .venv/bin/python bench/scripts.py --jobs 50 --pad-mb 50

Prints:
- offline writer: scripts/s and ms per script over 50 topics x 3 types x 2 languages;
- script job (SQLite): ms per job for create (debit, row) + run (backup, write, save) through
  the real runner, and the share of the backup step;
- automatic backup: seconds to copy a database padded to --pad-mb megabytes with the online
  backup API (the copy a script run waits for).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from tests.test_scripts_offline import EN_TOPICS, KO_TOPICS  # noqa: E402

from reelforge.accounts.service import create_user  # noqa: E402
from reelforge.config import Settings  # noqa: E402
from reelforge.credits.service import grant  # noqa: E402
from reelforge.db import migrate  # noqa: E402
from reelforge.db.engine import Database  # noqa: E402
from reelforge.jobs import runner  # noqa: E402
from reelforge.providers.llm import ScriptRequest  # noqa: E402
from reelforge.providers.offline_writer import write_offline  # noqa: E402
from reelforge.scripts import backup, service  # noqa: E402


def bench_offline() -> None:
    requests = [
        ScriptRequest(topic=t, type=kind, language=lang)
        for lang, topics in (("ko", KO_TOPICS), ("en", EN_TOPICS))
        for t in topics
        for kind in ("longform", "shortform", "sora2")
    ]
    started = time.perf_counter()
    for r in requests:
        write_offline(r)
    elapsed = time.perf_counter() - started
    print(f"offline writer: {len(requests)} scripts in {elapsed:.3f}s = {len(requests) / elapsed:.0f} scripts/s "
          f"({1000 * elapsed / len(requests):.2f} ms each)")  # fmt: skip


def bench_jobs(n: int, pad_mb: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        settings = Settings(_env_file=None, env="test", data_dir=data, secret_key="b" * 48, script_backups_keep=5)
        db = Database(settings.resolved_database_url)
        migrate.upgrade(db.engine)
        with db.session() as s:
            admin = create_user(s, "bench-admin@example.com", "a-good-passphrase-1", is_admin=True, email_verified=True)
            user = create_user(s, "bench-user@example.com", "a-good-passphrase-1", email_verified=True)
            s.flush()
            grant(s, user.id, 1_000_000, reason="bench", admin_id=admin.id)
        if pad_mb:
            with db.session() as s:
                s.execute(text("CREATE TABLE bench_pad (b BLOB)"))
                for _ in range(pad_mb):
                    s.execute(text("INSERT INTO bench_pad VALUES (randomblob(1048576))"))
        size_mb = settings.data_dir.joinpath("reelforge.db").stat().st_size / 1e6
        timings, backups = [], []
        for i in range(n):
            t0 = time.perf_counter()
            with db.session() as s:
                req = service.make_request(settings, topic=KO_TOPICS[i % len(KO_TOPICS)], type="shortform")
                sid = service.create_script(s, user.id, req, settings).script.id
            result = runner.run(db, settings, "script", sid)
            assert result.status == "completed", result.error
            timings.append(time.perf_counter() - t0)
        for _ in range(5):
            t0 = time.perf_counter()
            backup.backup_before_script(db.url, settings.data_dir, 5)
            backups.append(time.perf_counter() - t0)
            time.sleep(1.01)  # one file per second: make each call copy again
        p95 = sorted(timings)[int(0.95 * (n - 1))]
        print(f"script job (SQLite, offline writer, database {size_mb:.1f} MB): {n} jobs, "
              f"median {1000 * statistics.median(timings):.0f} ms, p95 {1000 * p95:.0f} ms "
              "(create + backup + write + save; runs in the same second share one backup file)")  # fmt: skip
        print(
            f"automatic backup of {size_mb:.1f} MB: median {statistics.median(backups):.3f}s over {len(backups)} copies"
        )
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=30)
    parser.add_argument("--pad-mb", type=int, default=20, help="grow the database by this many MB before timing")
    args = parser.parse_args()
    bench_offline()
    bench_jobs(args.jobs, args.pad_mb)


if __name__ == "__main__":
    main()
