"""Image providers: one still per scene.

- `OfflineArtist` (default): paints a deterministic picture per prompt with Pillow. The
  prompt picks the scene (sea, mountains, city, forest, space, tech, abstract), the time of
  day and the palette; a hash of the prompt varies the composition. Layers with
  atmospheric perspective, glow, light particles and a vignette give depth. The same
  prompt always gives the same picture; no network, about 0.2 s per 1080x1920 image.
- `OpenAIImages`: any OpenAI-compatible `POST /v1/images/generations` (official SDK,
  `b64_json`), model from settings (hosted image models retire; there is no default).
"""

from __future__ import annotations

from reelforge.config import Settings
from reelforge.providers.image.base import ImageProvider, ImageResult
from reelforge.providers.image.offline_artist import OfflineArtist
from reelforge.providers.image.openai_compatible import OpenAIImages

__all__ = ["ImageProvider", "ImageResult", "OfflineArtist", "OpenAIImages", "image_provider"]


def image_provider(settings: Settings) -> ImageProvider:
    if settings.image_provider == "openai":
        return OpenAIImages(
            base_url=settings.image_base_url,
            api_key=settings.image_api_key,
            model=settings.image_model,
            size=settings.image_size,
            timeout=settings.provider_timeout_seconds,
            retries=settings.provider_max_retries,
        )
    return OfflineArtist()
