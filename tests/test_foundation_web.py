"""The app factory: probes, problem details, request ids, security headers."""

from __future__ import annotations

import stat
from pathlib import Path

from fastapi import APIRouter
from pydantic import BaseModel

from reelforge.config import Settings
from reelforge.errors import Conflict


def test_healthz_and_readyz(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["migrations"] == "ok"


def test_openapi_docs_served(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/api/docs")
    assert page.status_code == 200
    # Offline: every asset of the docs page is served by us, nothing from a CDN.
    assert "cdn.jsdelivr.net" not in page.text and "https://" not in page.text
    for asset in ("/api/docs-assets/swagger-ui-bundle.js", "/api/docs-assets/swagger-ui.css"):
        assert asset in page.text
        got = client.get(asset)
        assert got.status_code == 200 and len(got.content) > 100_000
    spec = client.get("/api/openapi.json").json()
    assert "/api/v1/meta" in spec["paths"]


def test_request_id_and_security_headers(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/meta", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in r.headers["content-security-policy"]
    r = client.get("/api/v1/meta", headers={"X-Request-ID": "bad id\n<script>"})
    assert r.headers["x-request-id"] != "bad id\n<script>"
    assert len(r.headers["x-request-id"]) == 16


class Body(BaseModel):
    amount: int
    name: str


def _add_test_routes(app) -> None:  # type: ignore[no-untyped-def]
    router = APIRouter(prefix="/api/v1/_test")

    @router.post("/echo")
    def echo(body: Body) -> dict[str, object]:
        return body.model_dump()

    @router.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    @router.get("/conflict")
    def conflict() -> None:
        raise Conflict("Already approved.", status_now="approved")

    app.include_router(router)


def test_malformed_body_is_a_problem_not_a_500(app) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    _add_test_routes(app)
    with TestClient(app) as c:
        r = c.post("/api/v1/_test/echo", content=b"{not json", headers={"content-type": "application/json"})
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        body = r.json()
        assert body["status"] == 422 and body["title"] == "Invalid request" and body["detail"]

        r = c.post("/api/v1/_test/echo", json={"amount": "lots", "name": None})
        assert r.status_code == 422
        fields = {e["field"] for e in r.json()["errors"]}
        assert fields == {"amount", "name"}

        r = c.get("/api/v1/_test/conflict")
        assert r.status_code == 409
        assert r.json()["detail"] == "Already approved." and r.json()["status_now"] == "approved"


def test_unexpected_error_hides_the_trace(app) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    _add_test_routes(app)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/v1/_test/boom")
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert "secret internal detail" not in r.text
    assert "Traceback" not in r.text
    assert r.json()["request_id"] == r.headers["x-request-id"]


def test_unknown_routes(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/does-not-exist")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    r = client.get("/no-such-page", headers={"accept": "text/html"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "<h1>" in r.text or "404" in r.text


def test_data_folder_and_secret_modes(tmp_path: Path) -> None:
    s = Settings(env="test", data_dir=tmp_path / "d", _env_file=None)
    key = s.effective_secret_key()
    assert len(key) >= 48
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "d" / "secret.key").stat().st_mode) == 0o600
    assert s.effective_secret_key() == key  # stable across starts


def test_production_refuses_default_secret(tmp_path: Path) -> None:
    import pytest

    s = Settings(env="production", data_dir=tmp_path, secret_key="changeme", _env_file=None)
    with pytest.raises(ValueError, match="refusing"):
        s.effective_secret_key()
    ok = Settings(env="production", data_dir=tmp_path, secret_key="x" * 40, _env_file=None)
    assert ok.effective_secret_key() == "x" * 40
