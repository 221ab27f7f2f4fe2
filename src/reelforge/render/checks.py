"""`reelforge doctor` checks of the render pipeline: ffmpeg features, offline voice, font, providers, media store."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

from reelforge.config import Settings

if TYPE_CHECKING:
    from reelforge.db.engine import Database
    from reelforge.doctor import Finding

NEEDED_FILTERS = ("subtitles", "xfade", "loop", "sidechaincompress", "loudnorm", "amix", "crop", "scale")


def _run(argv: list[str]) -> str:
    return subprocess.run(argv, capture_output=True, text=True, timeout=20).stdout


def check_render(settings: Settings, db: Database) -> list[Finding]:
    from reelforge.doctor import Finding
    from reelforge.render.ffmpeg import ffmpeg_path

    out: list[Finding] = []
    try:
        ffmpeg = ffmpeg_path(settings.ffmpeg)
        filters = subprocess.run(
            [ffmpeg, "-hide_banner", "-filters"], capture_output=True, text=True, timeout=20
        ).stdout
        encoders = subprocess.run(
            [ffmpeg, "-hide_banner", "-encoders"], capture_output=True, text=True, timeout=20
        ).stdout
        names = {line.split()[1] for line in filters.splitlines() if len(line.split()) > 2}
        missing = [f for f in NEEDED_FILTERS if f not in names]
        missing += [e for e in ("libx264", "aac") if f" {e} " not in encoders]
        out.append(
            Finding(
                "render: ffmpeg features", not missing, "missing: " + ", ".join(missing) if missing else "all present"
            )
        )
    except Exception as exc:  # noqa: BLE001
        out.append(Finding("render: ffmpeg features", False, f"cannot run ffmpeg: {exc}"))
    try:
        from reelforge.providers.tts import _Espeak

        engine = _Espeak.get()
        pcm = engine.synth("안녕하세요", "ko", 235)
        out.append(Finding("render: offline voice", len(pcm) > 1000, f"espeak-ng at {engine.sample_rate} Hz, ko voice"))
    except Exception as exc:  # noqa: BLE001
        out.append(Finding("render: offline voice", False, f"espeak-ng not usable: {exc}"))
    try:
        from reelforge.render.fonts import collection_path, kr_face_index, licence_path

        collection_path()
        kr_face_index()
        licence = licence_path()
        out.append(Finding("render: Korean font", licence is not None, f"Noto Sans CJK KR; licence: {licence}"))
    except Exception as exc:  # noqa: BLE001
        out.append(Finding("render: Korean font", False, str(exc)))
    problems = []
    if settings.image_provider == "openai" and not settings.image_model:
        problems.append("REELFORGE_IMAGE_MODEL is empty")
    if settings.tts_provider == "openai" and not settings.tts_model:
        problems.append("REELFORGE_TTS_MODEL is empty")
    if settings.tts_provider == "azure" and not (settings.azure_speech_key and settings.azure_speech_region):
        problems.append("Azure Speech key/region missing")
    if settings.video_provider == "openai" and not settings.video_model:
        problems.append("REELFORGE_VIDEO_MODEL is empty")
    detail = (
        f"images={settings.image_provider}, speech={settings.tts_provider}, video={settings.video_provider}"
        if not problems
        else "; ".join(problems)
    )
    out.append(Finding("render: providers", not problems, detail))
    try:
        from reelforge.storage import media_store

        described = media_store(settings).check()  # writes, reads back and deletes a probe object
        out.append(Finding("render: media store", True, described))
    except Exception as exc:  # noqa: BLE001
        out.append(Finding("render: media store", False, str(exc)))
    return out
