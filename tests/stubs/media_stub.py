"""Local servers speaking the media protocols the render providers use (real HTTP on 127.0.0.1).

`MediaStub` extends the shared OpenAI stub with:
- `POST /v1/images/generations` -> `b64_json` PNG (a small picture whose colour depends on the prompt);
- `POST /v1/audio/speech` -> WAV (a sine tone; `streamed_sizes=True` writes 0xFFFFFFFF RIFF/data sizes
  like streaming servers do), length `speech_seconds`;
- the OpenAI Videos API: `POST /v1/videos` (multipart form), `GET /v1/videos/{id}` (status/progress,
  `openai-poll-after-ms` header; completes after `video_polls` polls), `GET /v1/videos/{id}/content`
  (an MP4 made once with ffmpeg);
- Azure AI Speech TTS REST: `POST /cognitiveservices/v1` (checks the key header and SSML, answers
  RIFF PCM in the requested `X-Microsoft-OutputFormat`).
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
import struct
import subprocess
from pathlib import Path
from typing import Any

from PIL import Image
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.stubs.openai_stub import StubServer


def sine_wav(seconds: float, rate: int = 24000, *, streamed_sizes: bool = False, freq: float = 220.0) -> bytes:
    n = int(seconds * rate)
    pcm = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / rate))) for i in range(n))
    riff = 0xFFFFFFFF if streamed_sizes else 36 + len(pcm)
    data = 0xFFFFFFFF if streamed_sizes else len(pcm)
    header = b"RIFF" + struct.pack("<I", riff) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    header += b"data" + struct.pack("<I", data)
    return header + pcm


class MediaStub(StubServer):
    def __init__(self, *, ffmpeg: str = "", azure_key: str = "azure-test-key") -> None:
        super().__init__()
        self.base_url = self.url + "/v1"
        self.ffmpeg = ffmpeg
        self.azure_key = azure_key
        self.speech_seconds = 1.2
        self.streamed_sizes = False
        self.video_polls = 2
        self.poll_after_ms = 30
        self.fail_video = False
        self.videos: dict[str, dict[str, Any]] = {}
        self._clip: bytes | None = None
        self.add_route("/v1/images/generations", self._images)
        self.add_route("/v1/audio/speech", self._speech)
        self.add_route("/v1/videos", self._video_create)
        self.add_route("/v1/videos/{vid}", self._video_get, methods=["GET"])
        self.add_route("/v1/videos/{vid}/content", self._video_content, methods=["GET"])
        self.add_route("/cognitiveservices/v1", self._azure)

    def __enter__(self) -> MediaStub:
        self.start()
        return self

    # ------------------------------------------------------------------ images
    async def _images(self, request: Request, body: dict[str, Any]) -> Response:
        if not body.get("model") or not body.get("prompt"):
            return JSONResponse({"error": {"message": "model and prompt are required"}}, status_code=400)
        w, h = (int(x) for x in str(body.get("size", "1024x1024")).split("x"))
        digest = hashlib.sha256(body["prompt"].encode()).digest()
        buf = io.BytesIO()
        Image.new("RGB", (w // 8, h // 8), tuple(digest[:3])).save(buf, "PNG")
        return JSONResponse({"created": 1, "data": [{"b64_json": base64.b64encode(buf.getvalue()).decode()}]})

    # ------------------------------------------------------------------ speech
    async def _speech(self, request: Request, body: dict[str, Any]) -> Response:
        if not body.get("input") or not body.get("model") or not body.get("voice"):
            return JSONResponse({"error": {"message": "model, voice and input are required"}}, status_code=400)
        if body.get("response_format") != "wav":
            return JSONResponse({"error": {"message": "this stub only speaks wav"}}, status_code=400)
        wav = sine_wav(self.speech_seconds, streamed_sizes=self.streamed_sizes)
        return Response(wav, media_type="audio/wav")

    # ------------------------------------------------------------------ Azure
    async def _azure(self, request: Request, body: dict[str, Any]) -> Response:
        if request.headers.get("ocp-apim-subscription-key") != self.azure_key:
            return Response(status_code=401)
        if request.headers.get("content-type", "").split(";")[0] != "application/ssml+xml":
            return Response("bad content type", status_code=400)
        fmt = request.headers.get("x-microsoft-outputformat", "")
        if fmt != "riff-24khz-16bit-mono-pcm":
            return Response("unsupported format in this stub", status_code=400)
        raw = body.get("_raw", b"")
        ssml = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        if "<speak" not in ssml or "<voice name=" not in ssml:
            return Response("invalid SSML", status_code=400)
        return Response(sine_wav(self.speech_seconds, 24000), media_type="audio/x-wav")

    # ------------------------------------------------------------------ videos
    async def _video_create(self, request: Request, body: dict[str, Any]) -> Response:
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            return JSONResponse({"error": {"message": "expected multipart/form-data"}}, status_code=400)
        raw = body.get("_raw", b"")
        form = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        fields = {}
        for part in form.split("Content-Disposition: form-data; name=")[1:]:
            name, _, rest = part.partition("\r\n\r\n")
            fields[name.strip('"')] = rest.split("\r\n--")[0]
        if fields.get("seconds") not in ("4", "8", "12"):
            return JSONResponse({"error": {"message": "seconds must be '4', '8' or '12'"}}, status_code=400)
        vid = f"video_{len(self.videos) + 1}"
        self.videos[vid] = {"polls": 0, "fields": fields}
        return JSONResponse(self._video_json(vid, "queued", 0))

    def _video_json(self, vid: str, status: str, progress: int) -> dict[str, Any]:
        fields = self.videos[vid]["fields"]
        out: dict[str, Any] = {
            "id": vid, "object": "video", "created_at": 1, "status": status, "progress": progress,
            "model": fields.get("model", ""), "seconds": fields.get("seconds", "4"),
            "size": fields.get("size", "1280x720"),
        }  # fmt: skip
        if status == "failed":
            out["error"] = {"code": "moderation_blocked", "message": "the stub refused this prompt"}
        return out

    async def _video_get(self, request: Request, body: dict[str, Any]) -> Response:
        vid = request.path_params["vid"]
        if vid not in self.videos:
            return JSONResponse({"error": {"message": "no such video"}}, status_code=404)
        state = self.videos[vid]
        state["polls"] += 1
        if self.fail_video:
            status, progress = "failed", 10
        elif state["polls"] > self.video_polls:
            status, progress = "completed", 100
        else:
            status, progress = "in_progress", int(100 * state["polls"] / (self.video_polls + 1))
        return JSONResponse(
            self._video_json(vid, status, progress), headers={"openai-poll-after-ms": str(self.poll_after_ms)}
        )

    async def _video_content(self, request: Request, body: dict[str, Any]) -> Response:
        vid = request.path_params["vid"]
        if vid not in self.videos or request.query_params.get("variant", "video") != "video":
            return JSONResponse({"error": {"message": "not found"}}, status_code=404)
        return Response(self.clip_bytes(), media_type="video/mp4")

    def clip_bytes(self) -> bytes:
        if self._clip is None:
            out = subprocess.run(
                [
                    self.ffmpeg,
                    "-hide_banner",
                    "-loglevel",
                    "error",
                    "-f",
                    "lavfi",
                    "-i",
                    "testsrc2=s=320x180:r=30:d=2",
                    "-c:v",
                    "libx264",
                    "-preset",
                    "ultrafast",
                    "-pix_fmt",
                    "yuv420p",
                    "-movflags",
                    "+frag_keyframe+empty_moov",
                    "-f",
                    "mp4",
                    "-",
                ],
                capture_output=True,
                check=True,
            )
            self._clip = out.stdout
        return self._clip


__all__ = ["MediaStub", "Path", "sine_wav"]
