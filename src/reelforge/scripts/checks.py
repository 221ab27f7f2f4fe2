"""`reelforge doctor` checks of the scripts domain (no network calls)."""

from __future__ import annotations

import os

from sqlalchemy import func, select

from reelforge.config import Settings
from reelforge.db.engine import Database
from reelforge.doctor import Finding


def check_scripts(settings: Settings, db: Database) -> list[Finding]:
    from reelforge.providers.llm import provider_name
    from reelforge.scripts import backup, prompts
    from reelforge.scripts.models import Prompt

    findings: list[Finding] = []
    name = provider_name(settings)
    if name == "offline":
        findings.append(
            Finding("script writer", True, "offline writer (set REELFORGE_LLM_API_KEY or _BASE_URL for a model)")
        )
    elif not settings.llm_api_key and not settings.llm_base_url:
        findings.append(
            Finding("script writer", False, "REELFORGE_LLM_PROVIDER=openai needs REELFORGE_LLM_API_KEY or _BASE_URL")
        )
    else:
        where = settings.llm_base_url or "OpenAI (default endpoint)"
        findings.append(Finding("script writer", True, f"{settings.llm_model} at {where} ({settings.llm_json_mode})"))
    with db.read_session() as s:
        stored = s.scalar(select(func.count()).select_from(Prompt)) or 0
    expected = len(prompts.TYPES) * len(prompts.LANGUAGES)
    findings.append(
        Finding(
            "prompt templates",
            True,
            f"{stored}/{expected} stored" + ("" if stored >= expected else "; the defaults are added on first use"),
        )
    )
    if db.dialect == "sqlite" and settings.script_backups_keep > 0:
        folder = backup.backup_dir(settings.data_dir)
        writable = os.access(folder if folder.exists() else settings.data_dir.resolve(), os.W_OK)
        count = len(backup.list_auto_backups(settings.data_dir))
        findings.append(
            Finding(
                "script backups",
                writable,
                f"{count} automatic backup(s) in {folder}, keeping {settings.script_backups_keep}"
                if writable
                else f"{folder} is not writable",
            )
        )
    return findings
