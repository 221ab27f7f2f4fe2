"""Test fixtures shared by every suite.

Databases: `db_url` is parametrised over SQLite and PostgreSQL. SQLite gets a fresh file
per test (copied from a migrated template, so it is fast); PostgreSQL gets one fresh
database per test run (migrated once) and every table is emptied after each test, so
concurrency tests see real commits. PostgreSQL runs when REELFORGE_TEST_POSTGRES_URL is
set; otherwise those cases skip with the reason - unless REELFORGE_REQUIRE_SERVICES=1
(CI), where a missing service fails the test instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from reelforge.config import Settings
from reelforge.db import migrate
from reelforge.db.engine import Database
from reelforge.db.registry import metadata

REQUIRE_SERVICES = os.environ.get("REELFORGE_REQUIRE_SERVICES") == "1"
POSTGRES_URL = os.environ.get("REELFORGE_TEST_POSTGRES_URL", "")
REDIS_URL = os.environ.get("REELFORGE_TEST_REDIS_URL", "")


def need_service(reason: str) -> None:
    """Skip for a missing service on a developer machine; fail in CI."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing (REELFORGE_REQUIRE_SERVICES=1): {reason}")
    pytest.skip(reason)


# ---------------------------------------------------------------- SQLite template
@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db.engine)
    db.dispose()
    return path


# ---------------------------------------------------------------- PostgreSQL per run
@pytest.fixture(scope="session")
def postgres_run_url() -> Iterator[str]:
    if not POSTGRES_URL:
        need_service("PostgreSQL not configured: set REELFORGE_TEST_POSTGRES_URL")
    admin_url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    name = f"reelforge_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        need_service(f"PostgreSQL at {admin_url.render_as_string(hide_password=True)} unreachable: {exc}")
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    db = Database(url)
    migrate.upgrade(db.engine)
    db.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """A migrated, empty database: each test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        target = tmp_path / "reelforge.db"
        shutil.copyfile(sqlite_template, target)
        os.chmod(target, 0o600)
        yield f"sqlite:///{target}"
        return
    url = request.getfixturevalue("postgres_run_url")
    _truncate_all(url)  # also clears rows a crashed earlier test left behind
    yield url
    _truncate_all(url)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    data = tmp_path / "data"
    return Settings(env="test", data_dir=data, database_url=db_url, secret_key="t" * 48, _env_file=None)


@pytest.fixture
def app(settings: Settings, db: Database):  # type: ignore[no-untyped-def]
    from reelforge.web.app import create_app

    return create_app(settings, db)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


# ---------------------------------------------------------------- real HTTP server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    def __init__(self, app, port: int) -> None:  # type: ignore[no-untyped-def]
        import uvicorn

        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.time() + 15
        while not self.server.started:
            if time.time() > deadline:
                raise RuntimeError("live server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    server = LiveServer(app, free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        need_service("Redis not configured: set REELFORGE_TEST_REDIS_URL")
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        need_service(f"Redis at {REDIS_URL} unreachable: {exc}")
    return REDIS_URL


# ---------------------------------------------------------------- users and auth
@pytest.fixture
def make_user(db: Database):  # type: ignore[no-untyped-def]
    """Create a user through the accounts service; returns the ORM row (detached, fresh values)."""
    from tests import factories

    counter = iter(range(10_000))

    def _make(
        email: str | None = None,
        *,
        password: str = factories.PASSWORD,
        admin: bool = False,
        verified: bool = True,
        name: str = "Test User",
    ):  # type: ignore[no-untyped-def]
        return factories.user(
            db,
            email or f"user{next(counter)}@example.com",
            password=password,
            admin=admin,
            verified=verified,
            name=name,
        )

    return _make


@pytest.fixture
def api_client(app, db: Database):  # type: ignore[no-untyped-def]
    """`api_client(user)` -> a TestClient that sends that user's personal API token."""
    from fastapi.testclient import TestClient

    from tests import factories

    clients: list[TestClient] = []

    def _client(user):  # type: ignore[no-untyped-def]
        c = factories.token_client(app, db, user)
        c.__enter__()
        clients.append(c)
        return c

    yield _client
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def cookie_client(app, db: Database):  # type: ignore[no-untyped-def]
    """`cookie_client(user)` -> a TestClient logged in with a session cookie; `.csrf` holds its token."""
    from fastapi.testclient import TestClient

    from tests import factories

    clients: list[TestClient] = []

    def _client(user):  # type: ignore[no-untyped-def]
        c = factories.cookie_client(app, db, user)
        c.__enter__()
        clients.append(c)
        return c

    yield _client
    for c in clients:
        c.__exit__(None, None, None)


# ---------------------------------------------------------------- S3 protocol on loopback
@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3 protocol server (moto) on loopback, one per test run; tests use their own bucket."""
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")  # never ask a cloud for credentials
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_settings(s3_endpoint: str, settings: Settings) -> Settings:
    """`settings` with the media store in a fresh bucket of the loopback S3 server."""
    import boto3

    bucket = f"media-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    ).create_bucket(Bucket=bucket)
    return settings.model_copy(
        update={
            "media_backend": "s3",
            "s3_bucket": bucket,
            "s3_endpoint_url": s3_endpoint,
            "s3_region": "us-east-1",
            "s3_path_style": True,
            "s3_access_key_id": "test",
            "s3_secret_access_key": "test",
        }
    )
