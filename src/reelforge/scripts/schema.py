"""The script document's schema, re-exported for the scripts and render domains.

It is defined in `reelforge.providers.script_schema` because the script writers return it
and providers may not import a domain.
"""

from __future__ import annotations

from reelforge.providers.script_schema import (
    CLIP_SECONDS,
    SCENE_BOUNDS,
    SCHEMA_VERSION,
    Language,
    Scene,
    ScriptDocument,
    ScriptType,
    estimate_narration_seconds,
    load_document,
)

__all__ = [
    "CLIP_SECONDS",
    "SCENE_BOUNDS",
    "SCHEMA_VERSION",
    "Language",
    "Scene",
    "ScriptDocument",
    "ScriptType",
    "estimate_narration_seconds",
    "load_document",
]
