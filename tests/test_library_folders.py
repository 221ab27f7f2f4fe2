"""Folders: CRUD over the API and the pages, unique names, delete keeps items unfiled,
moving many at once, the folder filter on the scripts and jobs lists, and ownership."""

from __future__ import annotations

from typing import Any

from reelforge.db.engine import Database
from tests.library_helpers import folder, job_folder, script, script_folder, video

EN = {"Accept-Language": "en"}
KO = {"Accept-Language": "ko"}


def test_folder_crud_over_the_api(make_user: Any, api_client: Any) -> None:
    c = api_client(make_user())
    r = c.post("/api/v1/folders", json={"name": "  여행   브이로그 "})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["name"] == "여행 브이로그" and created["color"] == "#8B5CF6"  # trimmed; the seed's colour
    assert created["script_count"] == 0 and created["video_count"] == 0
    fid = created["id"]
    r = c.patch(f"/api/v1/folders/{fid}", json={"name": "Travel", "color": "#12ab9f"})
    assert r.status_code == 200 and r.json()["name"] == "Travel" and r.json()["color"] == "#12AB9F"
    r = c.patch(f"/api/v1/folders/{fid}", json={"color": "#1234"}, headers=EN)
    assert r.status_code == 422 and r.json()["field"] == "color" and "#8B5CF6" in r.json()["detail"]
    assert c.patch(f"/api/v1/folders/{fid}", json={"color": "red"}).status_code == 422
    assert c.get(f"/api/v1/folders/{fid}").json()["color"] == "#12AB9F"  # unchanged by the refusals
    listed = c.get("/api/v1/folders").json()
    assert [f["name"] for f in listed["items"]] == ["Travel"]
    assert listed["unfiled_scripts"] == 0 and listed["unfiled_videos"] == 0
    assert c.delete(f"/api/v1/folders/{fid}").status_code == 204
    assert c.get(f"/api/v1/folders/{fid}").status_code == 404
    assert c.get("/api/v1/folders").json()["items"] == []


def test_names_are_unique_per_user_case_insensitive_and_bounded(make_user: Any, api_client: Any) -> None:
    alice, bob = api_client(make_user()), api_client(make_user())
    assert alice.post("/api/v1/folders", json={"name": "Cooking"}).status_code == 201
    r = alice.post("/api/v1/folders", json={"name": "  cooking "}, headers=EN)
    assert r.status_code == 409
    body = r.json()
    assert body["detail"] == "You already have a folder named “cooking”." and body["field"] == "name"
    assert "params" not in body
    r = alice.post("/api/v1/folders", json={"name": "COOKING"}, headers=KO)
    assert r.status_code == 409 and r.json()["detail"] == "“COOKING” 폴더가 이미 있습니다."
    assert bob.post("/api/v1/folders", json={"name": "cooking"}).status_code == 201  # per user
    other = alice.post("/api/v1/folders", json={"name": "Baking"}).json()["id"]
    assert alice.patch(f"/api/v1/folders/{other}", json={"name": "COOKING"}).status_code == 409
    assert alice.patch(f"/api/v1/folders/{other}", json={"name": "baking"}).status_code == 200  # its own name
    r = alice.post("/api/v1/folders", json={"name": "가" * 101}, headers=KO)
    assert r.status_code == 422 and r.json()["detail"] == "폴더 이름이 너무 깁니다(최대 100자)."
    r = alice.post("/api/v1/folders", json={"name": "   "}, headers=EN)
    assert r.status_code == 422 and r.json()["detail"] == "A folder needs a name."
    assert alice.post("/api/v1/folders", json={"name": "x" * 600}).status_code == 422  # over the body bound
    assert alice.post("/api/v1/folders", json={"name": "가" * 100}).status_code == 201


def test_delete_keeps_items_unfiled_and_counts(make_user: Any, api_client: Any, db: Database) -> None:
    user = make_user()
    c = api_client(user)
    fid = c.post("/api/v1/folders", json={"name": "여행"}).json()["id"]
    s1, s2 = script(db, user.id, "부산 여행", fid), script(db, user.id, "제주 여행")
    v1 = video(db, user.id, "부산 영상", folder_id=fid)
    video(db, user.id, "업로드", kind="upload", type="upload", folder_id=fid)  # not a video of the library
    got = c.get(f"/api/v1/folders/{fid}").json()
    assert (got["script_count"], got["video_count"]) == (1, 1)
    listed = c.get("/api/v1/folders").json()
    assert listed["unfiled_scripts"] == 1 and listed["unfiled_videos"] == 0
    assert c.delete(f"/api/v1/folders/{fid}").status_code == 204
    assert script_folder(db, s1) is None and job_folder(db, v1) is None
    assert script_folder(db, s2) is None
    assert {s["id"] for s in c.get("/api/v1/scripts").json()["items"]} == {s1, s2}  # nothing was deleted
    assert c.get("/api/v1/folders").json()["unfiled_videos"] == 1


def test_move_many_at_once_all_or_nothing(make_user: Any, api_client: Any, db: Database) -> None:
    user, stranger = make_user(), make_user()
    c = api_client(user)
    fid = c.post("/api/v1/folders", json={"name": "쇼츠"}).json()["id"]
    scripts = [script(db, user.id, f"대본 {i}") for i in range(3)]
    videos = [video(db, user.id, f"영상 {i}", minutes_after=i) for i in range(3)]
    r = c.post(f"/api/v1/folders/{fid}/items", json={"script_ids": scripts, "video_ids": videos[:2]})
    assert r.status_code == 200 and r.json() == {"folder_id": fid, "moved_scripts": 3, "moved_videos": 2}
    assert [job_folder(db, v) for v in videos] == [fid, fid, None]
    got = c.get(f"/api/v1/folders/{fid}").json()
    assert (got["script_count"], got["video_count"]) == (3, 2)

    theirs = video(db, stranger.id, "남의 영상")
    upload = video(db, user.id, "업로드 작업", kind="upload", type="upload")
    for bad in (theirs, upload, "no-such-id"):
        r = c.post(f"/api/v1/folders/{fid}/items", json={"video_ids": [videos[2], bad]}, headers=EN)
        assert r.status_code == 422 and r.json()["missing"] == [bad], r.text
    assert job_folder(db, videos[2]) is None and job_folder(db, theirs) is None  # nothing half moved

    too_many = [f"id-{i}" for i in range(201)]
    assert c.post(f"/api/v1/folders/{fid}/items", json={"script_ids": too_many}).status_code == 422
    r = c.post(f"/api/v1/folders/{fid}/items", json={"script_ids": too_many[:150], "video_ids": too_many[:60]})
    assert r.status_code == 422 and "200" in r.json()["detail"]

    r = c.post("/api/v1/folders/none/items", json={"video_ids": videos[:1], "script_ids": scripts[:1]})
    assert r.status_code == 200 and r.json()["folder_id"] is None
    assert job_folder(db, videos[0]) is None and script_folder(db, scripts[0]) is None


def test_lists_filter_by_folder_and_show_it(make_user: Any, api_client: Any, cookie_client: Any, db: Database) -> None:
    user = make_user()
    c = api_client(user)
    travel = folder(db, user.id, "여행", "#22C55E")
    food = folder(db, user.id, "맛집")
    s_travel, s_food, s_none = (
        script(db, user.id, "여행 대본", travel),
        script(db, user.id, "맛집 대본", food),
        script(db, user.id, "기타 대본"),
    )
    v_travel, v_none = (
        video(db, user.id, "여행 영상", folder_id=travel),
        video(db, user.id, "기타 영상", minutes_after=1),
    )

    def ids(url: str) -> set[str]:
        r = c.get(url)
        assert r.status_code == 200, r.text
        return {x["id"] for x in r.json()["items"]}

    assert ids(f"/api/v1/scripts?folder_id={travel}") == {s_travel}
    assert ids("/api/v1/scripts?folder_id=none") == {s_none}
    assert ids("/api/v1/scripts") == {s_travel, s_food, s_none}
    assert c.get(f"/api/v1/scripts?folder_id={travel}").json()["items"][0]["folder_id"] == travel
    assert ids(f"/api/v1/jobs?folder_id={travel}") == {v_travel}
    assert ids(f"/api/v1/jobs?folder={travel}") == {v_travel}  # the older parameter name still works
    assert ids("/api/v1/jobs?folder_id=none") == {v_none}
    assert ids(f"/api/v1/library?folder_id={travel}") == {v_travel}
    assert ids("/api/v1/library?folder_id=none") == {v_none}

    page = cookie_client(user)
    html = page.get(f"/scripts?folder_id={travel}", headers=KO).text
    assert "여행 대본" in html and "맛집 대본" not in html and "기타 대본" not in html
    assert f'data-folder-tag="{travel}"' in html and "#22C55E" in html
    html = page.get("/jobs?folder_id=none", headers=KO).text
    assert "기타 영상" in html and "여행 영상" not in html
    html = page.get("/jobs", headers=EN).text
    assert f'data-folder-tag="{travel}"' in html and "All folders" in html


def test_other_users_folders_are_404_and_anonymous_401(
    make_user: Any, api_client: Any, cookie_client: Any, client: Any, db: Database
) -> None:
    owner, other = make_user(), make_user()
    fid = folder(db, owner.id, "비밀")
    mine = video(db, other.id, "내 영상")
    c = api_client(other)
    assert c.get(f"/api/v1/folders/{fid}").status_code == 404
    assert c.patch(f"/api/v1/folders/{fid}", json={"name": "x"}).status_code == 404
    assert c.delete(f"/api/v1/folders/{fid}").status_code == 404
    assert c.post(f"/api/v1/folders/{fid}/items", json={"video_ids": [mine]}).status_code == 404
    assert job_folder(db, mine) is None
    assert c.get("/api/v1/folders").json()["items"] == []
    assert c.get(f"/api/v1/library?folder_id={fid}").json()["items"] == []  # no peeking through the filter
    page = cookie_client(other)
    assert page.post(f"/folders/{fid}", data={"csrf_token": page.csrf, "name": "x"}).status_code == 404
    assert page.post(f"/folders/{fid}/delete", data={"csrf_token": page.csrf}).status_code == 404
    assert api_client(owner).get(f"/api/v1/folders/{fid}").json()["name"] == "비밀"

    for method, url in (
        ("get", "/api/v1/folders"),
        ("post", "/api/v1/folders"),
        ("get", "/api/v1/library"),
        ("post", f"/api/v1/folders/{fid}/items"),
    ):
        assert getattr(client, method)(url).status_code == 401
    for url in ("/folders", "/library"):
        r = client.get(url, follow_redirects=False)
        assert r.status_code in (302, 303) and r.headers["location"].startswith("/login")


def test_folders_page_forms_in_korean_and_english(make_user: Any, cookie_client: Any, db: Database) -> None:
    user = make_user()
    c = cookie_client(user)
    assert c.post("/folders", data={"name": "여행"}).status_code == 403  # no CSRF token
    r = c.post("/folders", data={"csrf_token": c.csrf, "name": "여행", "color": "#22c55e"}, headers=KO)
    assert r.status_code == 200 and "“여행” 폴더를 만들었습니다." in r.text and "#22C55E" in r.text
    r = c.post("/folders", data={"csrf_token": c.csrf, "name": "여행"}, headers=KO)
    assert "“여행” 폴더가 이미 있습니다." in r.text
    r = c.post("/folders", data={"csrf_token": c.csrf, "name": "Trip", "color": "blue"}, headers=EN)
    assert "The colour must look like #8B5CF6." in r.text
    fid = api_folder_id(db, user.id, "여행")
    script(db, user.id, "여행 대본", fid)
    html = c.get("/folders", headers=KO).text
    assert "폴더" in html and "대본 1개" in html and "영상 0개" in html and "새 폴더" in html
    html = c.get("/folders", headers=EN).text
    assert "New folder" in html and "1 script" in html and "0 videos" in html
    r = c.post(f"/folders/{fid}", data={"csrf_token": c.csrf, "name": "제주", "color": "#000000"}, headers=EN)
    assert "Folder saved." in r.text and "제주" in r.text
    r = c.post(f"/folders/{fid}/delete", data={"csrf_token": c.csrf}, headers=KO)
    assert "“제주” 폴더를 삭제했습니다." in r.text and "아직 폴더가 없습니다." in r.text
    nav = c.get("/folders", headers=KO).text
    assert 'href="/library"' in nav and "라이브러리" in nav


def api_folder_id(db: Database, user_id: str, name: str) -> str:
    from sqlalchemy import select

    from reelforge.library.models import Folder

    with db.read_session() as s:
        found = s.scalar(select(Folder.id).where(Folder.user_id == user_id, Folder.name == name))
        assert found is not None
        return found
