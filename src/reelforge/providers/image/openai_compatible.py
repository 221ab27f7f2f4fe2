"""Stills from any OpenAI-compatible `POST /v1/images/generations` (official SDK, `b64_json`)."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image

from reelforge import metrics
from reelforge.errors import PermanentError, TransientError
from reelforge.providers.image.base import ImageResult, save_atomic


class OpenAIImages:
    """`POST {base}/images/generations` through the official SDK; the picture comes back as b64_json."""

    offline = False

    def __init__(self, *, base_url: str, api_key: str, model: str, size: str, timeout: float, retries: int):
        import openai

        if not model:
            raise PermanentError("REELFORGE_IMAGE_MODEL is not set (the image model of the OpenAI-compatible server)")
        self.name = f"openai-images:{model}"
        self.model = model
        self.size = size
        self.client = openai.OpenAI(
            base_url=base_url or None, api_key=api_key or "not-needed", timeout=timeout, max_retries=retries
        )

    def request_size(self, size: tuple[int, int]) -> str:
        if self.size != "auto":
            return self.size
        w, h = size
        return "1024x1536" if h > w * 1.2 else "1536x1024" if w > h * 1.2 else "1024x1024"

    @metrics.counts_provider_errors("openai-images")
    def generate(self, prompt: str, target: Path, *, size: tuple[int, int]) -> ImageResult:
        import openai

        from reelforge.providers.tts import _raise_for_provider

        try:
            response = self.client.images.generate(
                model=self.model, prompt=prompt, n=1, size=self.request_size(size),  # type: ignore[arg-type]
                response_format="b64_json",
            )  # fmt: skip
        except openai.BadRequestError as exc:
            if "response_format" in str(exc.message):  # gpt-image style servers always answer b64 and refuse the field
                try:
                    response = self.client.images.generate(
                        model=self.model, prompt=prompt, n=1, size=self.request_size(size)
                    )  # type: ignore[arg-type]
                except Exception as again:
                    _raise_for_provider(again, "image endpoint")
                    raise
            else:
                _raise_for_provider(exc, "image endpoint")
                raise
        except Exception as exc:
            _raise_for_provider(exc, "image endpoint")
            raise
        data = response.data[0] if response.data else None
        if data is None or not data.b64_json:
            raise TransientError("the image endpoint answered without b64_json image data")
        try:
            picture = Image.open(io.BytesIO(base64.b64decode(data.b64_json)))
            picture.load()
        except Exception as exc:
            raise PermanentError(f"the image endpoint returned an unreadable image: {exc}") from exc
        save_atomic(picture.convert("RGB"), target)
        return ImageResult(target, self.name)
