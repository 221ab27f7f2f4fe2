"""Job log and ledger lines are stored in English and read in the reader's language."""

from __future__ import annotations

import pytest

from reelforge.credits import messages as credit_lines
from reelforge.i18n import stored
from reelforge.jobs import messages as job_lines
from reelforge.render import messages as render_lines
from reelforge.scripts import messages as script_lines

JOB = "44bbcdfe-1c2d-4e5f-8a9b-0c1d2e3f4a5b"  # fixed: xdist workers must collect the same ids


@pytest.mark.parametrize(
    ("line", "ko", "en"),
    [
        (stored.text(job_lines.STEP_STARTED, step="compose"), "합성 단계를 시작했습니다.", "Step compose started."),
        (
            stored.text(job_lines.REFUND, noun="job", id=JOB, status="cancelled"),
            f"환불: 작업 {JOB[:8]} (취소)",
            f"Refund: job {JOB[:8]} cancelled",
        ),
        (
            stored.text(job_lines.RESUMING, attempt=2, steps="script, images"),
            "2번째 시도: 스크립트, 이미지 다음부터 이어서 진행합니다.",
            "Attempt 2: resuming after script, images.",
        ),
        (
            stored.text(render_lines.VIDEO_DEBIT, type="shortform", title="바다는 왜 파랄까"),
            "영상 (숏폼): 바다는 왜 파랄까",
            "Video (shortform): 바다는 왜 파랄까",
        ),
        (stored.text(script_lines.SCRIPT_DEBIT, topic="가을 여행"), "스크립트: 가을 여행", "Script: 가을 여행"),
        (
            stored.text(credit_lines.TOPUP_APPROVED, amount=3000),
            "충전 요청 승인 (3000 크레딧)",
            "Top-up request approved (3000 credits)",
        ),
        (
            stored.text(credit_lines.FIRST_ADMIN_CREDITS),
            "첫 관리자 시작 크레딧",
            "Starting credits for the first admin",
        ),
    ],
)
def test_a_system_line_reads_in_korean_and_english(line: str, ko: str, en: str) -> None:
    assert stored.localize(line, "ko") == ko
    assert stored.localize(line, "en") == en


def test_lines_no_template_matches_are_shown_as_written() -> None:
    note = "관리자 메모: 이벤트 보상"
    assert stored.localize(note, "ko") == note and stored.localize(note, "en") == note
    assert stored.localize("", "ko") == "" and stored.localize(None, "ko") == ""
    # a user's words inside a template stay theirs, even when they look like a template
    tricky = stored.text(script_lines.SCRIPT_DEBIT, topic="Step compose started.")
    assert stored.localize(tricky, "ko") == "스크립트: Step compose started."


def test_only_registered_templates_can_be_written() -> None:
    with pytest.raises(KeyError):
        stored.text("Something nobody registered %(x)s", x=1)


def test_every_template_has_a_korean_translation() -> None:
    from reelforge import i18n

    missing = [t.msgid for t in stored._ordered if i18n.gettext("ko", t.msgid) == t.msgid and t.msgid.isascii()]
    assert missing == []
