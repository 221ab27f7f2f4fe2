"""The video library: the /library grid (renders only, YouTube badge with its link), search,
sort, filter and pages over the page and GET /api/v1/library, filing videos from the grid,
the finished-video page's "Publish to YouTube", and a deleted video saying its media is gone."""

from __future__ import annotations

from typing import Any

import pytest

from reelforge.db.engine import Database
from tests.library_helpers import folder, job_folder, video, youtube_upload

EN = {"Accept-Language": "en"}
KO = {"Accept-Language": "ko"}


@pytest.fixture
def shelf(make_user: Any, db: Database) -> dict[str, Any]:
    """A creator with five renders (one uploaded to YouTube, two in a folder) and an upload job."""
    user = make_user()
    travel = folder(db, user.id, "여행", "#F97316")
    ids = {
        "busan": video(db, user.id, "부산 바다 산책", minutes_after=1, duration=95, folder_id=travel),
        "jeju": video(db, user.id, "제주 오름 Vlog", minutes_after=2, type="longform", duration=610, folder_id=travel),
        "seoul": video(db, user.id, "Seoul night walk", minutes_after=3, duration=45),
        "draft": video(db, user.id, "만드는 중인 영상", minutes_after=4, status="processing"),
        "failed": video(db, user.id, "Broken render", minutes_after=5, status="failed", type="square"),
    }
    ids["upload"] = video(db, user.id, "UPLOAD-JOB-TITLE", minutes_after=6, kind="upload", type="upload")
    youtube_upload(db, user.id, ids["busan"], video_id="abcDEF12345")
    return {"user": user, "folder": travel, **ids}


def _titles(c: Any, query: str = "") -> list[str]:
    r = c.get(f"/api/v1/library{query}")
    assert r.status_code == 200, r.text
    return [i["title"] for i in r.json()["items"]]


def test_grid_shows_renders_with_their_facts_and_youtube_badge(shelf: dict[str, Any], cookie_client: Any) -> None:
    c = cookie_client(shelf["user"])
    html = c.get("/library", headers=KO).text
    for title in ("부산 바다 산책", "제주 오름 Vlog", "Seoul night walk", "만드는 중인 영상", "Broken render"):
        assert title in html
    assert "UPLOAD-JOB-TITLE" not in html  # upload jobs are not videos of the library
    assert html.count("data-video-card=") == 5
    card = html[html.index(f'data-video-card="{shelf["busan"]}"') :]
    card = card[: card.index("</li>")]
    assert 'href="https://youtu.be/abcDEF12345"' in card and "data-youtube-badge" in card and "YouTube에 있음" in card
    assert "1:35" in card and "숏폼" in card and "완료" in card and "여행" in card and "#F97316" in card
    assert f"/api/v1/renders/{shelf['busan']}/thumbnail.jpg" in card and "2026" in card
    jeju = html[html.index(f'data-video-card="{shelf["jeju"]}"') :]
    assert "10:10" in jeju[: jeju.index("</li>")] and "data-youtube-badge" not in jeju[: jeju.index("</li>")]
    draft = html[html.index(f'data-video-card="{shelf["draft"]}"') :]
    assert "thumbnail.jpg" not in draft[: draft.index("</li>")]  # no thumbnail before it is finished

    en = c.get("/library", headers=EN).text
    assert "Video library" in en and "On YouTube" in en and "Newest first" in en and "Search titles" in en
    assert "영상 라이브러리" in html and "최신순" in html and "제목 검색" in html

    api = c.get("/api/v1/library").json()
    busan = next(i for i in api["items"] if i["id"] == shelf["busan"])
    assert busan["youtube"]["url"] == "https://youtu.be/abcDEF12345" and busan["folder_name"] == "여행"
    assert busan["duration_seconds"] == 95 and busan["type"] == "shortform"
    assert all(i["youtube"] is None for i in api["items"] if i["id"] != shelf["busan"])


def test_search_sort_and_filters(shelf: dict[str, Any], api_client: Any, cookie_client: Any) -> None:
    c = api_client(shelf["user"])
    assert _titles(c) == ["Broken render", "만드는 중인 영상", "Seoul night walk", "제주 오름 Vlog", "부산 바다 산책"]
    assert _titles(c, "?sort=oldest")[0] == "부산 바다 산책"
    assert _titles(c, "?sort=title") == sorted(_titles(c), key=str.lower)
    assert _titles(c, "?sort=length")[:3] == ["제주 오름 Vlog", "부산 바다 산책", "Seoul night walk"]
    assert _titles(c, "?q=vlog") == ["제주 오름 Vlog"]  # case-insensitive
    assert _titles(c, "?q=부산") == ["부산 바다 산책"]
    assert _titles(c, "?q=100%25") == []  # LIKE wildcards are literal
    assert _titles(c, f"?folder_id={shelf['folder']}&sort=oldest") == ["부산 바다 산책", "제주 오름 Vlog"]
    assert _titles(c, "?type=longform") == ["제주 오름 Vlog"]
    assert _titles(c, "?status=failed") == ["Broken render"]
    for bad in ("?sort=random", "?type=upload", "?status=done", "?page=0", "?per_page=1000", "?q=" + "x" * 300):
        assert c.get(f"/api/v1/library{bad}").status_code == 422, bad

    first = c.get("/api/v1/library?per_page=2").json()
    second = c.get("/api/v1/library?per_page=2&page=2").json()
    last = c.get("/api/v1/library?per_page=2&page=3").json()
    assert first["has_more"] and second["has_more"] and not last["has_more"]
    seen = [i["id"] for i in first["items"] + second["items"] + last["items"]]
    assert len(seen) == len(set(seen)) == 5

    page = cookie_client(shelf["user"])
    html = page.get("/library?q=seoul&sort=title", headers=EN).text
    assert html.count("data-video-card=") == 1 and "Seoul night walk" in html
    html = page.get(f"/library?folder_id={shelf['folder']}&type=longform", headers=EN).text
    assert html.count("data-video-card=") == 1 and "제주 오름 Vlog" in html
    html = page.get("/library?status=failed&sort=nonsense&type=bogus", headers=EN)  # bad values dropped
    assert html.status_code == 200 and html.text.count("data-video-card=") == 1
    assert "No video matches." in page.get("/library?q=zzz", headers=EN).text


def test_file_videos_from_the_grid(shelf: dict[str, Any], cookie_client: Any, make_user: Any, db: Database) -> None:
    c = cookie_client(shelf["user"])
    target = folder(db, shelf["user"].id, "밤")
    form = {"csrf_token": c.csrf, "folder_id": target, "video_ids": [shelf["seoul"], shelf["failed"]]}
    r = c.post("/library/move", data={**form, "back": "/library?sort=title"}, headers=KO, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/library?sort=title"
    assert job_folder(db, shelf["seoul"]) == target and job_folder(db, shelf["failed"]) == target
    html = c.get(f"/library?folder_id={target}", headers=KO).text
    assert "영상 2개를 옮겼습니다." in html and html.count("data-video-card=") == 2
    r = c.post("/library/move", data={"csrf_token": c.csrf, "folder_id": "none", "video_ids": [shelf["seoul"]]})
    assert r.status_code == 200 and job_folder(db, shelf["seoul"]) is None
    r = c.post("/library/move", data={"csrf_token": c.csrf, "folder_id": target, "video_ids": [shelf["upload"]]})
    assert r.status_code == 200 and job_folder(db, shelf["upload"]) is None  # an upload job is not filed
    stranger_folder = folder(db, make_user().id, "남의 폴더")
    form = {"csrf_token": c.csrf, "folder_id": stranger_folder, "video_ids": [shelf["jeju"]]}
    assert c.post("/library/move", data=form).status_code == 404
    assert job_folder(db, shelf["jeju"]) == shelf["folder"]


def test_finished_video_page_offers_publish_and_delete_says_media_removed(
    shelf: dict[str, Any], cookie_client: Any
) -> None:
    c = cookie_client(shelf["user"])
    html = c.get(f"/renders/{shelf['seoul']}", headers=KO).text
    assert f'href="/youtube/upload/{shelf["seoul"]}"' in html and "YouTube에 게시" in html
    assert "Publish to YouTube" in c.get(f"/renders/{shelf['seoul']}", headers=EN).text
    assert "/youtube/upload/" not in c.get(f"/renders/{shelf['draft']}").text  # not finished: nothing to publish
    assert c.get(f"/youtube/upload/{shelf['seoul']}").status_code == 200  # the link leads to the upload form
    r = c.post(f"/jobs/{shelf['seoul']}/delete", data={"csrf_token": c.csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/library"
    after = c.get("/library", headers=KO).text
    assert "영상을 삭제했습니다. 영상 파일, 자막, 이미지도 지웠습니다." in after
    assert "Seoul night walk" not in after
    r = c.post(f"/jobs/{shelf['failed']}/delete", data={"csrf_token": c.csrf}, headers=EN)
    assert "its video file, subtitles and pictures were removed" in r.text
    assert r.text.count("data-video-card=") == 3  # busan, jeju, draft are left
