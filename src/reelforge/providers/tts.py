"""Text-to-speech providers: one WAV file per scene, with its real duration.

- `EspeakSpeech` (offline, the default): espeak-ng driven through ctypes from the
  library and voice data the `espeakng-loader` wheel ships (no apt, no system espeak).
- `OpenAISpeech`: any OpenAI-compatible `POST /v1/audio/speech` endpoint (Kokoro-FastAPI,
  openedai-speech, ...), asked for WAV.
- `AzureSpeech`: Azure AI Speech text-to-speech REST API (Korean neural voices such as
  ko-KR-SunHiNeural, ko-KR-InJoonNeural), asked for 24 kHz 16-bit mono RIFF PCM.

Durations always come from the audio itself: for WAV, from the byte count of the PCM data
(streamed WAV answers may carry 0xFFFFFFFF as RIFF/data sizes, so the header's sizes are
not trusted).
"""

from __future__ import annotations

import ctypes
import os
import struct
import threading
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from xml.sax.saxutils import escape

import httpx

from reelforge import metrics
from reelforge.config import Settings
from reelforge.errors import PermanentError, TransientError


@dataclass(frozen=True)
class SpeechResult:
    path: Path
    seconds: float
    provider: str


class SpeechProvider(Protocol):
    name: str
    offline: bool

    def synthesize(
        self, text: str, target: Path, *, language: str, voice: str = "", speed: float = 1.0
    ) -> SpeechResult:
        """Write `text` spoken as a WAV file to `target`."""


# --------------------------------------------------------------------------- WAV helpers
@dataclass(frozen=True)
class PcmInfo:
    channels: int
    sample_rate: int
    sample_width: int
    data_offset: int
    data_bytes: int

    @property
    def seconds(self) -> float:
        frame = self.channels * self.sample_width
        return self.data_bytes / float(frame * self.sample_rate) if frame and self.sample_rate else 0.0


def parse_wav(blob: bytes) -> PcmInfo:
    """Read a RIFF/WAVE header; the data size is taken from the byte count, not the header."""
    if len(blob) < 12 or blob[:4] != b"RIFF" or blob[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    pos = 12
    fmt: tuple[int, int, int] | None = None
    while pos + 8 <= len(blob):
        chunk_id = blob[pos : pos + 4]
        (size,) = struct.unpack("<I", blob[pos + 4 : pos + 8])
        body = pos + 8
        if chunk_id == b"fmt ":
            audio_format, channels, rate = struct.unpack("<HHI", blob[body : body + 8])
            (bits,) = struct.unpack("<H", blob[body + 14 : body + 16])
            if audio_format not in (1, 0xFFFE):
                raise ValueError(f"WAV format {audio_format} is not PCM")
            fmt = (channels, rate, bits // 8)
        elif chunk_id == b"data":
            if fmt is None:
                raise ValueError("WAV data chunk before its fmt chunk")
            channels, rate, width = fmt
            available = len(blob) - body
            data_bytes = available if size in (0, 0xFFFFFFFF) or size > available else size
            frame = channels * width
            data_bytes -= data_bytes % frame if frame else 0
            return PcmInfo(channels, rate, width, body, data_bytes)
        if size == 0xFFFFFFFF:
            break
        pos = body + size + (size & 1)
    raise ValueError("WAV file without a data chunk")


def write_clean_wav(blob: bytes, target: Path) -> float:
    """Rewrite a (possibly streamed) WAV with correct sizes; returns its duration in seconds."""
    info = parse_wav(blob)
    pcm = blob[info.data_offset : info.data_offset + info.data_bytes]
    if info.data_bytes == 0:
        raise ValueError("the speech audio is empty")
    _atomic_wav(target, pcm, info.channels, info.sample_width, info.sample_rate)
    return info.seconds


def _atomic_wav(target: Path, pcm: bytes, channels: int, width: int, rate: int) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(pcm)
    os.replace(tmp, target)


def wav_seconds(path: Path) -> float:
    return parse_wav(path.read_bytes()).seconds


# --------------------------------------------------------------------------- espeak-ng (offline)
_SYNTH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_ESPEAK_CHARS_UTF8 = 1
_ESPEAK_RATE = 1
_ESPEAK_PITCH = 3
_POS_CHARACTER = 1
_DEFAULT_VOICES = {"ko": "ko", "en": "en-us"}


class _Espeak:
    """The process-wide espeak-ng library (it keeps global state: one synthesis at a time)."""

    _instance: _Espeak | None = None
    _create_lock = threading.Lock()

    def __init__(self) -> None:
        import espeakng_loader

        self.lock = threading.Lock()
        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        data = espeakng_loader.get_data_path()
        lib = self.lib
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.espeak_SetSynthCallback.argtypes = [_SYNTH_CALLBACK]
        # espeak_Initialize's path is the folder that *contains* espeak-ng-data.
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, str(Path(data).parent).encode(), 0)
        if rate <= 0:
            raise RuntimeError(f"espeak-ng could not start (data at {data})")
        self.sample_rate = rate
        self._chunks: list[bytes] = []
        self._abort = False

        def _callback(wav: Any, count: int, _events: ctypes.c_void_p) -> int:
            if count > 0 and wav:
                self._chunks.append(ctypes.string_at(wav, count * 2))
            return 1 if self._abort else 0

        self._callback = _SYNTH_CALLBACK(_callback)  # keep a reference: ctypes does not
        lib.espeak_SetSynthCallback(self._callback)

    @classmethod
    def get(cls) -> _Espeak:
        with cls._create_lock:
            if cls._instance is None:
                cls._instance = _Espeak()
            return cls._instance

    def synth(self, text: str, voice: str, words_per_minute: int, pitch: int = 50) -> bytes:
        with self.lock:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise PermanentError(f"espeak-ng has no voice {voice!r}")
            self.lib.espeak_SetParameter(_ESPEAK_RATE, words_per_minute, 0)
            self.lib.espeak_SetParameter(_ESPEAK_PITCH, pitch, 0)
            self._chunks = []
            self._abort = False
            data = text.encode("utf-8") + b"\0"
            buf = ctypes.create_string_buffer(data)
            err = self.lib.espeak_Synth(buf, len(data), 0, _POS_CHARACTER, 0, _ESPEAK_CHARS_UTF8, None, None)
            if err != 0:
                raise RuntimeError(f"espeak-ng synthesis failed (error {err})")
            self.lib.espeak_Synchronize()
            pcm = b"".join(self._chunks)
            self._chunks = []
            return pcm


class EspeakSpeech:
    """Offline narration with espeak-ng: robotic but clear, instant, and needs no network."""

    name = "espeak-ng"
    offline = True

    def voices(self, language: str) -> list[str]:
        return [_DEFAULT_VOICES.get(language, language)] + (["en-gb"] if language == "en" else [])

    @metrics.counts_provider_errors("espeak-ng")
    def synthesize(
        self, text: str, target: Path, *, language: str, voice: str = "", speed: float = 1.0
    ) -> SpeechResult:
        engine = _Espeak.get()
        # espeak-ng speaks Korean slowly at its default rate; 235 wpm gives ~7 syllables/s (natural pace)
        base_wpm = 235 if language == "ko" else 165
        wpm = max(80, min(450, int(base_wpm * speed)))  # espeak-ng accepts 80-450
        pcm = engine.synth(text, voice or _DEFAULT_VOICES.get(language, language), wpm)
        if not pcm:
            raise PermanentError("espeak-ng produced no audio for this text")
        _atomic_wav(target, pcm, 1, 2, engine.sample_rate)
        return SpeechResult(target, len(pcm) / 2 / engine.sample_rate, self.name)


# --------------------------------------------------------------------------- OpenAI-compatible
def _raise_for_provider(exc: Exception, what: str) -> None:
    """Map SDK/HTTP failures to the job engine's retry classes."""
    import openai

    if isinstance(exc, openai.RateLimitError | openai.APITimeoutError | openai.APIConnectionError):
        raise TransientError(f"{what}: {exc.__class__.__name__}: {exc}") from exc
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code >= 500 or exc.status_code in (408, 409, 429):
            raise TransientError(f"{what}: HTTP {exc.status_code}") from exc
        raise PermanentError(f"{what}: HTTP {exc.status_code}: {_short(exc.message)}") from exc
    raise exc


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


class OpenAISpeech:
    """`POST {base}/audio/speech` with `response_format=wav` through the official SDK."""

    offline = False

    def __init__(self, *, base_url: str, api_key: str, model: str, default_voice: str, timeout: float, retries: int):
        import openai

        if not model:
            raise PermanentError("REELFORGE_TTS_MODEL is not set (the speech model of the OpenAI-compatible server)")
        self.name = f"openai-speech:{model}"
        self.model = model
        self.default_voice = default_voice or "alloy"
        self.client = openai.OpenAI(
            base_url=base_url or None, api_key=api_key or "not-needed", timeout=timeout, max_retries=retries
        )

    @metrics.counts_provider_errors("openai-speech")
    def synthesize(
        self, text: str, target: Path, *, language: str, voice: str = "", speed: float = 1.0
    ) -> SpeechResult:
        try:
            response = self.client.audio.speech.create(
                model=self.model,
                voice=voice or self.default_voice,
                input=text,
                response_format="wav",
                speed=speed,
            )
            blob = response.read()
        except Exception as exc:
            _raise_for_provider(exc, "speech endpoint")
            raise
        try:
            seconds = write_clean_wav(blob, target)
        except ValueError as exc:
            raise PermanentError(f"the speech endpoint did not return WAV audio: {exc}") from exc
        return SpeechResult(target, seconds, self.name)


# --------------------------------------------------------------------------- Azure AI Speech
AZURE_DEFAULT_VOICES = {"ko": "ko-KR-SunHiNeural", "en": "en-US-JennyNeural"}
AZURE_LOCALES = {"ko": "ko-KR", "en": "en-US"}


class AzureSpeech:
    """Azure AI Speech TTS REST: `POST https://{region}.tts.speech.microsoft.com/cognitiveservices/v1`.

    SSML body, `Ocp-Apim-Subscription-Key`, `X-Microsoft-OutputFormat: riff-24khz-16bit-mono-pcm`.
    `endpoint` overrides the regional URL (sovereign clouds, private endpoints, tests).
    """

    name = "azure-speech"
    offline = False
    output_format = "riff-24khz-16bit-mono-pcm"

    def __init__(self, *, region: str, key: str, endpoint: str = "", timeout: float = 60.0, retries: int = 2):
        if not key or not (region or endpoint):
            raise PermanentError("Azure Speech needs REELFORGE_AZURE_SPEECH_KEY and REELFORGE_AZURE_SPEECH_REGION")
        self.url = endpoint.rstrip("/") or f"https://{region}.tts.speech.microsoft.com"
        self.url += "/cognitiveservices/v1"
        self.key = key
        self.timeout = timeout
        self.retries = retries

    def ssml(self, text: str, *, language: str, voice: str, speed: float) -> str:
        locale = AZURE_LOCALES.get(language, language)
        rate = f"{(speed - 1.0) * 100:+.0f}%"
        return (
            f"<speak version='1.0' xml:lang='{locale}'><voice name='{escape(voice, {chr(39): '&apos;'})}'>"
            f"<prosody rate='{rate}'>{escape(text)}</prosody></voice></speak>"
        )

    @metrics.counts_provider_errors("azure-speech")
    def synthesize(
        self, text: str, target: Path, *, language: str, voice: str = "", speed: float = 1.0
    ) -> SpeechResult:
        voice = voice or AZURE_DEFAULT_VOICES.get(language, "")
        body = self.ssml(text, language=language, voice=voice, speed=speed).encode("utf-8")
        headers = {
            "Ocp-Apim-Subscription-Key": self.key,
            "Content-Type": "application/ssml+xml",
            "X-Microsoft-OutputFormat": self.output_format,
            "User-Agent": "reelforge",
        }
        blob = _post_with_retries(
            self.url, body, headers, timeout=self.timeout, retries=self.retries, what="Azure Speech"
        )
        try:
            seconds = write_clean_wav(blob, target)
        except ValueError as exc:
            raise PermanentError(f"Azure Speech did not return WAV audio: {exc}") from exc
        return SpeechResult(target, seconds, f"{self.name}:{voice}")


def _post_with_retries(
    url: str, body: bytes, headers: dict[str, str], *, timeout: float, retries: int, what: str
) -> bytes:
    """POST with bounded retries on 429/5xx/timeouts (honouring a short Retry-After)."""
    import time

    last: Exception | None = None
    for attempt in range(retries + 1):
        try:
            with httpx.Client(timeout=timeout) as client:
                response = client.post(url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            last = TransientError(f"{what} timed out after {timeout:.0f}s")
            last.__cause__ = exc
        except httpx.TransportError as exc:
            last = TransientError(f"{what} unreachable: {exc}")
            last.__cause__ = exc
        else:
            if response.status_code == 200:
                return response.content
            if response.status_code == 429 or response.status_code >= 500:
                last = TransientError(f"{what}: HTTP {response.status_code}")
                retry_after = response.headers.get("retry-after", "")
                if attempt < retries:
                    delay = float(retry_after) if retry_after.replace(".", "", 1).isdigit() else 0.5 * 2**attempt
                    time.sleep(min(delay, 10.0))
                continue
            raise PermanentError(f"{what}: HTTP {response.status_code}: {_short(response.text)}")
        if attempt < retries:
            time.sleep(min(0.5 * 2**attempt, 10.0))
    assert last is not None
    raise last


# --------------------------------------------------------------------------- selection
def speech_provider(settings: Settings, choice: str = "default") -> SpeechProvider:
    """The provider for a render: the option's choice, else REELFORGE_TTS_PROVIDER."""
    name = settings.tts_provider if choice in ("", "default") else choice
    if name == "offline":
        return EspeakSpeech()
    if name == "openai":
        return OpenAISpeech(
            base_url=settings.tts_base_url,
            api_key=settings.tts_api_key,
            model=settings.tts_model,
            default_voice=settings.tts_voice,
            timeout=settings.provider_timeout_seconds,
            retries=settings.provider_max_retries,
        )
    if name == "azure":
        return AzureSpeech(
            region=settings.azure_speech_region,
            key=settings.azure_speech_key,
            endpoint=settings.azure_speech_endpoint,
            timeout=settings.provider_timeout_seconds,
            retries=settings.provider_max_retries,
        )
    raise PermanentError(f"unknown speech provider {name!r}")


__all__ = [
    "AzureSpeech",
    "EspeakSpeech",
    "OpenAISpeech",
    "PcmInfo",
    "SpeechProvider",
    "SpeechResult",
    "parse_wav",
    "speech_provider",
    "wav_seconds",
    "write_clean_wav",
]
