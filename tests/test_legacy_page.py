"""The admin page shows the last legacy import's report, in Korean and English."""

from __future__ import annotations

from typing import Any

from reelforge.legacy.flows import run_import
from tests.test_legacy_import import make_folder


def test_admins_see_the_last_import_report_in_both_languages(  # type: ignore[no-untyped-def]
    db, settings, tmp_path, cookie_client, make_user
) -> None:
    admin = cookie_client(make_user(admin=True))
    before = admin.get("/admin/legacy-import", headers={"Accept-Language": "ko"})
    assert before.status_code == 200 and "아직 가져오기를 실행한 적이 없습니다." in before.text

    folder, _ = make_folder(tmp_path, users=8, edge=True)
    report = run_import(db, settings, folder)
    counts: dict[str, Any] = report.as_dict()["entities"]
    ko = admin.get("/admin/legacy-import", headers={"Accept-Language": "ko"})
    assert ko.status_code == 200
    assert "가져온 항목" in ko.text and "종류별 문제" in ko.text
    assert 'data-entity="users"' in ko.text and str(counts["users"]["imported"]) in ko.text
    en = admin.get("/admin/legacy-import", headers={"Accept-Language": "en"})
    assert "What came over" in en.text and "Problems by kind" in en.text
    kinds = report.as_dict()["problem_kinds"]
    if "duplicate_email" in kinds:  # --edge-cases writes a case-duplicate e-mail
        assert "대소문자만 다른 이메일" in ko.text and "E-mail differs only in letter case" in en.text
    assert "/admin/legacy-import" in admin.get("/admin", headers={"Accept-Language": "ko"}).text


def test_only_admins_see_it(cookie_client, make_user, client) -> None:  # type: ignore[no-untyped-def]
    creator = cookie_client(make_user())
    assert creator.get("/admin/legacy-import", follow_redirects=False).status_code in (403, 404)
    anonymous = client.get("/admin/legacy-import", follow_redirects=False)
    assert anonymous.status_code in (303, 307, 401)
