"""Image, speech and video-model clients against local servers that speak their protocols."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PIL import Image

from reelforge.config import Settings
from reelforge.errors import JobCancelled, PermanentError, TransientError
from reelforge.jobs.context import LocalContext
from reelforge.providers.image import OfflineArtist, OpenAIImages, image_provider
from reelforge.providers.tts import AzureSpeech, EspeakSpeech, OpenAISpeech, parse_wav, speech_provider, wav_seconds
from reelforge.providers.video import OfflineClipMaker, OpenAIVideos
from reelforge.render.ffmpeg import ffmpeg_path
from reelforge.render.probe import probe
from tests.stubs.media_stub import MediaStub, sine_wav


@pytest.fixture
def plain_settings(tmp_path: Path) -> Settings:
    return Settings(env="test", data_dir=tmp_path / "data", _env_file=None)


@pytest.fixture
def stub():
    with MediaStub(ffmpeg=ffmpeg_path()) as server:
        yield server


# ------------------------------------------------------------------ WAV parsing
def test_wav_duration_comes_from_the_byte_count_even_with_streamed_sizes() -> None:
    normal = parse_wav(sine_wav(1.5, 24000))
    streamed = parse_wav(sine_wav(1.5, 24000, streamed_sizes=True))
    assert normal.seconds == pytest.approx(1.5, abs=1e-3)
    assert streamed.seconds == pytest.approx(1.5, abs=1e-3)
    with pytest.raises(ValueError):
        parse_wav(b"ID3\x00not a wav at all")


# ------------------------------------------------------------------ offline providers
def test_espeak_speaks_korean_and_english_with_real_durations(tmp_path: Path) -> None:
    tts = EspeakSpeech()
    ko = tts.synthesize("안녕하세요. 오늘은 가을 단풍 이야기를 해 볼게요.", tmp_path / "ko.wav", language="ko")
    en = tts.synthesize("Hello, this is the offline narrator.", tmp_path / "en.wav", language="en")
    assert 1.5 < ko.seconds < 8 and 1.0 < en.seconds < 6
    assert wav_seconds(ko.path) == pytest.approx(ko.seconds, abs=0.01)
    faster = tts.synthesize(
        "안녕하세요. 오늘은 가을 단풍 이야기를 해 볼게요.", tmp_path / "f.wav", language="ko", speed=1.5
    )
    assert faster.seconds < ko.seconds * 0.85
    with pytest.raises(PermanentError):
        tts.synthesize("hello", tmp_path / "x.wav", language="en", voice="no-such-voice-xyz")


def test_offline_artist_is_deterministic_varied_and_not_flat() -> None:
    artist = OfflineArtist()
    a = artist.paint("가을 산의 노을 풍경", (216, 384))
    b = artist.paint("가을 산의 노을 풍경", (216, 384))
    c = artist.paint("A neon city street at night", (216, 384))
    assert a.tobytes() == b.tobytes()
    assert a.tobytes() != c.tobytes()
    # a real picture: many distinct colours and real contrast, not a flat fill
    for img in (a, c):
        small = img.resize((64, 112))
        assert len(set(small.get_flattened_data())) > 300
        lo, hi = small.convert("L").getextrema()
        assert hi - lo > 60
    # different prompts give different compositions, not just different tints
    tiles = {
        artist.paint(p, (108, 192)).convert("L").resize((8, 8)).tobytes() for p in ["sea", "forest", "city", "space"]
    }
    assert len(tiles) == 4


# ------------------------------------------------------------------ OpenAI-compatible images
def test_openai_images_client_writes_the_b64_picture(stub: MediaStub, tmp_path: Path) -> None:
    client = OpenAIImages(base_url=stub.base_url, api_key="k", model="img-model-x", size="auto", timeout=5, retries=0)
    result = client.generate("a red fox", tmp_path / "fox.png", size=(1080, 1920))
    with Image.open(result.path) as im:
        assert im.size == (1024 // 8, 1536 // 8)  # the stub paints size/8
    call = stub.calls("/v1/images/generations")[0]
    assert call.body["model"] == "img-model-x" and call.body["size"] == "1024x1536"
    assert call.body["response_format"] == "b64_json"


def test_openai_images_errors_are_classified(stub: MediaStub, tmp_path: Path) -> None:
    client = OpenAIImages(base_url=stub.base_url, api_key="k", model="m", size="1024x1024", timeout=5, retries=0)
    stub.fail_next("/v1/images/generations", 429, headers={"retry-after": "0"})
    with pytest.raises(TransientError):
        client.generate("x", tmp_path / "a.png", size=(64, 64))
    stub.fail_next("/v1/images/generations", 400, body={"error": {"message": "prompt rejected by policy"}})
    with pytest.raises(PermanentError, match="400"):
        client.generate("x", tmp_path / "b.png", size=(64, 64))
    stub.fail_next("/v1/images/generations", 503)
    with pytest.raises(TransientError):
        client.generate("x", tmp_path / "c.png", size=(64, 64))
    assert not (tmp_path / "a.png").exists() and not (tmp_path / "c.png").exists()


def test_openai_images_retries_a_429_then_succeeds(stub: MediaStub, tmp_path: Path) -> None:
    client = OpenAIImages(base_url=stub.base_url, api_key="k", model="m", size="1024x1024", timeout=5, retries=2)
    stub.fail_next("/v1/images/generations", 429, headers={"retry-after": "0"})
    client.generate("x", tmp_path / "a.png", size=(64, 64))
    assert len(stub.calls("/v1/images/generations")) == 2


def test_openai_images_timeout_is_transient(stub: MediaStub, tmp_path: Path) -> None:
    client = OpenAIImages(base_url=stub.base_url, api_key="k", model="m", size="1024x1024", timeout=0.3, retries=0)
    stub.delay_next("/v1/images/generations", 2.0)
    with pytest.raises(TransientError):
        client.generate("x", tmp_path / "a.png", size=(64, 64))


def test_image_model_must_be_configured(plain_settings: Settings) -> None:
    assert isinstance(image_provider(plain_settings), OfflineArtist)
    with pytest.raises(PermanentError, match="REELFORGE_IMAGE_MODEL"):
        image_provider(plain_settings.model_copy(update={"image_provider": "openai"}))


# ------------------------------------------------------------------ OpenAI-compatible speech
@pytest.mark.parametrize("streamed", [False, True])
def test_openai_speech_asks_for_wav_and_measures_real_duration(stub: MediaStub, tmp_path: Path, streamed: bool) -> None:
    stub.speech_seconds = 1.7
    stub.streamed_sizes = streamed
    tts = OpenAISpeech(
        base_url=stub.base_url, api_key="k", model="kokoro", default_voice="af_sky", timeout=5, retries=0
    )
    result = tts.synthesize("안녕하세요", tmp_path / "s.wav", language="ko", speed=1.1)
    assert result.seconds == pytest.approx(1.7, abs=0.01)
    assert wav_seconds(result.path) == pytest.approx(1.7, abs=0.01)  # rewritten with correct sizes
    body = stub.calls("/v1/audio/speech")[0].body
    assert body["response_format"] == "wav" and body["voice"] == "af_sky" and body["speed"] == 1.1


def test_openai_speech_errors(stub: MediaStub, tmp_path: Path) -> None:
    tts = OpenAISpeech(base_url=stub.base_url, api_key="k", model="m", default_voice="v", timeout=0.3, retries=0)
    stub.fail_next("/v1/audio/speech", 429)
    with pytest.raises(TransientError):
        tts.synthesize("x", tmp_path / "a.wav", language="en")
    stub.fail_next("/v1/audio/speech", 401)
    with pytest.raises(PermanentError):
        tts.synthesize("x", tmp_path / "a.wav", language="en")
    stub.delay_next("/v1/audio/speech", 2.0)
    with pytest.raises(TransientError):
        tts.synthesize("x", tmp_path / "a.wav", language="en")


# ------------------------------------------------------------------ Azure AI Speech
def test_azure_speech_sends_ssml_with_a_korean_neural_voice(stub: MediaStub, tmp_path: Path) -> None:
    stub.speech_seconds = 0.9
    tts = AzureSpeech(region="koreacentral", key=stub.azure_key, endpoint=stub.url, timeout=5, retries=0)
    result = tts.synthesize("단풍 <이야기> & 가을", tmp_path / "az.wav", language="ko", speed=1.2)
    assert result.seconds == pytest.approx(0.9, abs=0.01)
    call = stub.calls("/cognitiveservices/v1")[0]
    ssml = call.body.decode()
    assert "ko-KR-SunHiNeural" in ssml and "xml:lang='ko-KR'" in ssml
    assert "&lt;이야기&gt; &amp; 가을" in ssml and "rate='+20%'" in ssml
    assert call.headers["x-microsoft-outputformat"] == "riff-24khz-16bit-mono-pcm"


def test_azure_speech_errors_and_retries(stub: MediaStub, tmp_path: Path) -> None:
    bad = AzureSpeech(region="", key="wrong", endpoint=stub.url, timeout=5, retries=0)
    with pytest.raises(PermanentError, match="401"):
        bad.synthesize("안녕", tmp_path / "a.wav", language="ko")
    tts = AzureSpeech(region="", key=stub.azure_key, endpoint=stub.url, timeout=5, retries=2)
    stub.fail_next("/cognitiveservices/v1", 429, headers={"retry-after": "0"})
    tts.synthesize("안녕", tmp_path / "b.wav", language="ko")
    assert (tmp_path / "b.wav").is_file()
    stub.fail_next("/cognitiveservices/v1", 500, times=3)
    with pytest.raises(TransientError):
        tts.synthesize("안녕", tmp_path / "c.wav", language="ko")
    slow = AzureSpeech(region="", key=stub.azure_key, endpoint=stub.url, timeout=0.3, retries=0)
    stub.delay_next("/cognitiveservices/v1", 2.0)
    with pytest.raises(TransientError, match="timed out"):
        slow.synthesize("안녕", tmp_path / "d.wav", language="ko")


def test_speech_provider_selection(plain_settings: Settings) -> None:
    assert isinstance(speech_provider(plain_settings), EspeakSpeech)
    with pytest.raises(PermanentError, match="AZURE"):
        speech_provider(plain_settings, "azure")
    configured = plain_settings.model_copy(update={"azure_speech_key": "k", "azure_speech_region": "koreacentral"})
    az = speech_provider(configured, "azure")
    assert (
        isinstance(az, AzureSpeech) and az.url == "https://koreacentral.tts.speech.microsoft.com/cognitiveservices/v1"
    )


# ------------------------------------------------------------------ video models
def test_openai_videos_create_poll_download(stub: MediaStub, plain_settings: Settings, tmp_path: Path) -> None:
    stub.video_polls = 3
    stub.poll_after_ms = 40
    ctx = LocalContext(plain_settings, tmp_path / "job")
    client = OpenAIVideos(base_url=stub.base_url, api_key="k", model="vid-model", timeout=5, retries=0, poll_timeout=30)
    seen: list[float] = []
    started = time.monotonic()
    result = client.generate(ctx, "waves", tmp_path / "clip.mp4", seconds=8, size=(1080, 1920), report=seen.append)
    assert time.monotonic() - started >= 3 * 0.04  # honoured openai-poll-after-ms
    info = probe(plain_settings, result.path)
    assert info.video_codec == "h264" and info.duration == pytest.approx(2.0, abs=0.1)
    fields = stub.videos["video_1"]["fields"]
    assert fields["seconds"] == "8" and fields["size"] == "720x1280" and fields["model"] == "vid-model"
    assert seen == sorted(seen) and seen[-1] == 1.0
    assert len(stub.calls("/v1/videos/video_1")) == 4


def test_openai_videos_failure_429_and_cancel(stub: MediaStub, plain_settings: Settings, tmp_path: Path) -> None:
    ctx = LocalContext(plain_settings, tmp_path / "job")
    client = OpenAIVideos(base_url=stub.base_url, api_key="k", model="m", timeout=5, retries=0, poll_timeout=30)
    stub.fail_video = True
    with pytest.raises(PermanentError, match="refused"):
        client.generate(ctx, "x", tmp_path / "a.mp4", seconds=4, size=(1920, 1080), report=lambda f: None)
    stub.fail_video = False
    stub.fail_next("/v1/videos", 429)
    with pytest.raises(TransientError):
        client.generate(ctx, "x", tmp_path / "b.mp4", seconds=4, size=(1920, 1080), report=lambda f: None)
    stub.video_polls = 1000
    stub.poll_after_ms = 5000

    def cancel_soon(fraction: float) -> None:
        ctx.cancel()

    with pytest.raises(JobCancelled):
        client.generate(ctx, "x", tmp_path / "c.mp4", seconds=4, size=(1920, 1080), report=cancel_soon)
    # the remote job id is kept so a resumed job polls the same clip instead of paying twice
    assert (tmp_path / "c.id").read_text().startswith("video_")


def test_offline_clip_maker_renders_motion(plain_settings: Settings, tmp_path: Path) -> None:
    ctx = LocalContext(plain_settings, tmp_path / "job")
    result = OfflineClipMaker().generate(
        ctx, "ocean waves at sunset", tmp_path / "clip.mp4", seconds=4, size=(320, 180), report=lambda f: None
    )
    info = probe(plain_settings, result.path)
    assert (info.width, info.height) == (320, 180) and info.duration == pytest.approx(4.0, abs=0.1)
    from reelforge.render.probe import grab_frame

    first, last = grab_frame(plain_settings, result.path, 0.1), grab_frame(plain_settings, result.path, 3.8)
    assert sum(abs(a - b) for a, b in zip(first, last, strict=True)) / len(first) > 2  # it moves


def test_openai_images_falls_back_when_the_server_refuses_response_format(stub: MediaStub, tmp_path: Path) -> None:
    client = OpenAIImages(base_url=stub.base_url, api_key="k", model="m", size="1024x1024", timeout=5, retries=0)
    stub.fail_next("/v1/images/generations", 400, body={"error": {"message": "Unknown parameter: 'response_format'."}})
    client.generate("x", tmp_path / "a.png", size=(64, 64))
    calls = stub.calls("/v1/images/generations")
    assert "response_format" in calls[0].body and "response_format" not in calls[1].body


def test_openai_videos_a_worker_shutting_down_hands_the_clip_back(
    stub: MediaStub, plain_settings: Settings, tmp_path: Path
) -> None:
    """A graceful stop (WorkerStopping, a kind of JobCancelled) mid-poll must reach the runner as
    itself, so the job is handed back and resumes, not turned into a provider failure."""
    from reelforge.jobs.context import WorkerStopping

    ctx = LocalContext(plain_settings, tmp_path / "job")
    client = OpenAIVideos(base_url=stub.base_url, api_key="k", model="m", timeout=5, retries=0, poll_timeout=30)
    stub.video_polls = 1000
    stub.poll_after_ms = 5000

    def stop_soon(fraction: float) -> None:
        raise WorkerStopping("the worker is shutting down")

    with pytest.raises(WorkerStopping):
        client.generate(ctx, "x", tmp_path / "d.mp4", seconds=4, size=(1920, 1080), report=stop_soon)
    assert (tmp_path / "d.id").read_text().startswith("video_")
