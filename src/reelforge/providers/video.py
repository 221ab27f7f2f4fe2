"""Video-model providers for the `sora2` type: one short clip per scene.

- `OfflineClipMaker` (default): paints the prompt with the offline artist and animates it
  with ffmpeg (slow push-in, a gentle sway and a breathing light), a few seconds of real
  motion with no network.
- `OpenAIVideos`: any endpoint with the OpenAI Videos API shape (OpenAI's own Sora API
  closed in 2026-09; other services keep the shape): `POST /v1/videos` (multipart form,
  `seconds` as a string), poll `GET /v1/videos/{id}` honouring the `openai-poll-after-ms`
  header, download `GET /v1/videos/{id}/content?variant=video`. Model and base URL are
  settings. Polling checks for cancellation between requests.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from reelforge import metrics
from reelforge.config import Settings
from reelforge.errors import JobCancelled, PermanentError, TransientError
from reelforge.media_tools import ffmpeg_path
from reelforge.providers.image import OfflineArtist

Report = Callable[[float], None]


class ClipContext(Protocol):
    """The part of the job engine's `JobContext` a clip needs; any `JobContext` fits, so providers
    need not import the job engine."""

    @property
    def settings(self) -> Settings: ...

    def log(self, message: str, level: str = "info") -> None: ...

    def check_cancelled(self) -> None: ...

    def run_process(
        self,
        argv: Sequence[str],
        *,
        on_line: Callable[[str], None] | None = None,
        timeout: float | None = None,
        cwd: Path | None = None,
    ) -> int: ...


@contextmanager
def _sdk_quiet() -> Iterator[None]:
    """The SDK marks `client.videos` deprecated because OpenAI's own Sora service closed; the
    protocol lives on at other services, which is what this client talks to."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The Sora API", category=DeprecationWarning)
        yield


@dataclass(frozen=True)
class ClipResult:
    path: Path
    provider: str


class VideoProvider(Protocol):
    name: str
    offline: bool

    def generate(
        self, ctx: ClipContext, prompt: str, target: Path, *, seconds: int, size: tuple[int, int], report: Report
    ) -> ClipResult: ...


class OfflineClipMaker:
    name = "offline-clip-maker"
    offline = True

    @metrics.counts_provider_errors("offline-clips")
    def generate(
        self, ctx: ClipContext, prompt: str, target: Path, *, seconds: int, size: tuple[int, int], report: Report
    ) -> ClipResult:
        w, h = size
        target.parent.mkdir(parents=True, exist_ok=True)
        still = target.with_suffix(".src.png")
        if not still.is_file():
            OfflineArtist().generate(prompt, still, size=(_even(w * 1.15), _even(h * 1.15)))
        frames = seconds * 30
        p = f"(n/{frames - 1})"
        graph = (
            f"[0:v]format=yuv420p,loop=loop={frames - 1}:size=1:start=0,setpts=N/30/TB,"
            f"scale=w='2*trunc({w}*(1.02+0.12*{p})/2)':h='2*trunc({h}*(1.02+0.12*{p})/2)':eval=frame:flags=bilinear,"
            f"crop=w={w}:h={h}:x='(iw-ow)/2+(iw-ow)/3*sin(2*PI*{p})':y='(ih-oh)/2',"
            f"eq=brightness='0.04*sin(2*PI*t/{seconds})':eval=frame,format=yuv420p[v]"
        )
        partial = target.with_name(target.stem + ".part.mp4")
        argv = [ffmpeg_path(ctx.settings.ffmpeg), "-hide_banner", "-nostdin", "-y", "-loglevel", "error"]
        argv += ["-i", str(still), "-filter_complex", graph, "-map", "[v]", "-r", "30", "-frames:v", str(frames)]
        argv += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "17", "-pix_fmt", "yuv420p"]
        argv += ["-progress", "pipe:1", "-nostats", str(partial)]

        def on_line(line: str) -> None:
            if line.startswith("frame="):
                value = line.split("=", 1)[1].strip()
                if value.isdigit():
                    report(int(value) / frames)

        code = ctx.run_process(argv, on_line=on_line, timeout=600)
        if code != 0:
            partial.unlink(missing_ok=True)
            raise PermanentError("the offline clip maker's ffmpeg run failed")
        os.replace(partial, target)
        still.unlink(missing_ok=True)
        return ClipResult(target, self.name)


def _even(v: float) -> int:
    return round(v / 2) * 2


class OpenAIVideos:
    """The OpenAI Videos API shape through the official SDK (create, poll, download)."""

    offline = False

    def __init__(
        self, *, base_url: str, api_key: str, model: str, timeout: float, retries: int, poll_timeout: float
    ) -> None:
        import openai

        if not model:
            raise PermanentError("REELFORGE_VIDEO_MODEL is not set (the video model of the Videos API endpoint)")
        self.name = f"openai-videos:{model}"
        self.model = model
        self.poll_timeout = poll_timeout
        self.client = openai.OpenAI(
            base_url=base_url or None, api_key=api_key or "not-needed", timeout=timeout, max_retries=retries
        )

    @staticmethod
    def api_size(size: tuple[int, int]) -> str:
        w, h = size
        return "720x1280" if h > w else "1280x720"

    @metrics.counts_provider_errors("openai-videos")
    def generate(
        self, ctx: ClipContext, prompt: str, target: Path, *, seconds: int, size: tuple[int, int], report: Report
    ) -> ClipResult:
        with _sdk_quiet():
            return self._generate(ctx, prompt, target, seconds=seconds, size=size, report=report)

    def _generate(
        self, ctx: ClipContext, prompt: str, target: Path, *, seconds: int, size: tuple[int, int], report: Report
    ) -> ClipResult:
        from reelforge.providers.tts import _raise_for_provider

        marker = target.with_suffix(".id")  # resume polling the same remote job after a restart
        video_id = marker.read_text().strip() if marker.is_file() else ""
        try:
            if not video_id:
                created = self.client.videos.create(
                    model=self.model,
                    prompt=prompt,
                    seconds=str(seconds),  # type: ignore[arg-type]
                    size=self.api_size(size),  # type: ignore[arg-type]
                )
                video_id = created.id
                target.parent.mkdir(parents=True, exist_ok=True)
                marker.write_text(video_id)
                ctx.log(f"video model job {video_id} created")
            deadline = time.monotonic() + self.poll_timeout
            while True:
                ctx.check_cancelled()
                raw = self.client.videos.with_raw_response.retrieve(video_id)
                video: Any = raw.parse()
                status = getattr(video, "status", "")
                report(float(getattr(video, "progress", 0) or 0) / 100.0)
                if status == "completed":
                    break
                if status == "failed":
                    marker.unlink(missing_ok=True)
                    error = getattr(video, "error", None)
                    message = getattr(error, "message", "") if error is not None else ""
                    raise PermanentError(f"the video model failed this clip: {message or 'no reason given'}")
                if time.monotonic() > deadline:
                    raise TransientError(f"the video model did not finish within {self.poll_timeout:.0f}s")
                wait_ms = raw.headers.get("openai-poll-after-ms", "")
                wait = int(wait_ms) / 1000 if wait_ms.isdigit() else 2.0
                _sleep_cancellable(ctx, min(max(wait, 0.05), 30.0))
            content = self.client.videos.download_content(video_id, variant="video")
            partial = target.with_name(target.stem + ".part.mp4")
            content.write_to_file(partial)
        except (PermanentError, TransientError, JobCancelled):
            raise  # JobCancelled covers its kinds too: a lost lease, a worker shutting down
        except Exception as exc:
            _raise_for_provider(exc, "video endpoint")
            raise
        if partial.stat().st_size < 1024:
            partial.unlink(missing_ok=True)
            raise PermanentError("the video endpoint returned an empty clip")
        os.replace(partial, target)
        marker.unlink(missing_ok=True)
        return ClipResult(target, self.name)


def _sleep_cancellable(ctx: ClipContext, seconds: float) -> None:
    end = time.monotonic() + seconds
    while True:
        ctx.check_cancelled()
        left = end - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.25))


def video_provider(settings: Settings) -> VideoProvider:
    if settings.video_provider == "openai":
        return OpenAIVideos(
            base_url=settings.video_base_url,
            api_key=settings.video_api_key,
            model=settings.video_model,
            timeout=settings.provider_timeout_seconds,
            retries=settings.provider_max_retries,
            poll_timeout=settings.video_poll_timeout_seconds,
        )
    return OfflineClipMaker()
