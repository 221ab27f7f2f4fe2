"""`reelforge generate`: topic (or a script file) -> MP4 + SRT + thumbnail, without the server."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from reelforge.config import get_settings
from reelforge.errors import JobCancelled, PermanentError, TransientError
from reelforge.jobs.context import LocalContext
from reelforge.render.options import RenderOptions
from reelforge.render.pipeline import STEPS, RenderWork, run_pipeline
from reelforge.scripts.schema import ScriptDocument, load_document

console = Console(stderr=True)

STEP_LABELS = {
    "script": "script",
    "images": "scene images",
    "narration": "narration",
    "subtitles": "subtitles",
    "compose": "compose (ffmpeg)",
    "thumbnail": "thumbnail",
}


def generate(
    topic: Annotated[str, typer.Argument(help="What the video is about (ignored with --script).")] = "",
    type_: Annotated[str, typer.Option("--type", help="longform | shortform | square | sora2")] = "shortform",
    lang: Annotated[str, typer.Option("--lang", help="ko | en")] = "ko",
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Where to write the MP4 (SRT and JPEG go next to it).")
    ] = Path("video.mp4"),
    script: Annotated[
        Path | None, typer.Option("--script", help="Render this script JSON instead of writing one.")
    ] = None,
    voice: Annotated[str, typer.Option(help="Voice name of the speech provider.")] = "",
    tts: Annotated[str, typer.Option(help="Speech provider: default | offline | openai | azure.")] = "default",
    speed: Annotated[float, typer.Option(help="Narration speed, 0.5-2.0.")] = 1.0,
    subtitles: Annotated[str, typer.Option(help="clean | boxed | bold | karaoke-yellow | none")] = "clean",
    music: Annotated[str, typer.Option(help="ambient | none (or use --music-file).")] = "ambient",
    music_file: Annotated[Path | None, typer.Option(help="An audio file to use as background music.")] = None,
    music_volume: Annotated[float, typer.Option(help="Background music volume, 0-1.")] = 0.18,
    quality: Annotated[str, typer.Option(help="preview | standard | high")] = "standard",
    orientation: Annotated[str, typer.Option(help="sora2 only: landscape | portrait")] = "landscape",
    workdir: Annotated[Path | None, typer.Option(help="Work folder (kept; a rerun resumes from it).")] = None,
) -> None:
    """Write a script and render it to a finished video, with a progress bar per step."""
    settings = get_settings()
    started = time.monotonic()
    try:
        options = RenderOptions(
            type=type_,  # type: ignore[arg-type]
            language=lang,  # type: ignore[arg-type]
            voice=voice,
            tts_provider=tts,  # type: ignore[arg-type]
            speed=speed,
            subtitles=subtitles,  # type: ignore[arg-type]
            music="library" if music_file else music,  # type: ignore[arg-type]
            music_file=music_file.name if music_file else None,
            music_volume=music_volume,
            quality=quality,  # type: ignore[arg-type]
            orientation=orientation,  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        for err in exc.errors():
            console.print(f"[red]invalid option[/red] {'.'.join(str(x) for x in err['loc']) or ''}: {err['msg']}")
        raise typer.Exit(2) from exc
    if music_file is not None and not music_file.is_file():
        console.print(f"[red]no such music file:[/red] {music_file}")
        raise typer.Exit(2)
    if script is None and not topic.strip():
        console.print("[red]give a topic, or --script FILE[/red]")
        raise typer.Exit(2)
    key = hashlib.sha256(
        json.dumps([topic, str(script), options.model_dump()], sort_keys=True, default=str).encode()
    ).hexdigest()[:16]
    folder = workdir or (settings.data_dir / "cli-renders" / key)
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)

    with Progress(
        TextColumn("[bold]{task.description:<18}"),
        BarColumn(bar_width=36),
        TextColumn("{task.percentage:>5.1f}%"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        tasks: dict[str, TaskID] = {}
        names = ["script", *STEPS] if script is None else list(STEPS)
        for name in names:
            tasks[name] = progress.add_task(STEP_LABELS[name], total=100, start=False)

        def on_step(name: str, fraction: float) -> None:
            task = tasks[name]
            progress.start_task(task)
            progress.update(task, completed=fraction * 100)

        ctx = LocalContext(settings, folder, on_log=lambda level, msg: progress.console.print(f"[dim]{msg}[/dim]"))
        try:
            document = _load_or_write(settings, ctx, topic, script, options, lambda f: on_step("script", f))
            if document.type != options.type and not (document.type == "shortform" and options.type == "square"):
                note = f"the script was written for {document.type}; rendering as {options.type}"
                progress.console.print(f"[yellow]{note}[/yellow]")
            work = RenderWork(ctx, document, options, music_path=music_file)
            result = run_pipeline(work, on_step=on_step)
        except KeyboardInterrupt:
            ctx.cancel()
            console.print("[yellow]cancelled[/yellow]")
            raise typer.Exit(130) from None
        except JobCancelled:
            console.print("[yellow]cancelled[/yellow]")
            raise typer.Exit(130) from None
        except (PermanentError, TransientError) as exc:
            console.print(f"[red]render failed:[/red] {exc}")
            raise typer.Exit(1) from exc
    shutil.copyfile(result.video, output)
    srt = output.with_suffix(".srt")
    thumb = output.with_suffix(".jpg")
    shutil.copyfile(result.subtitles, srt)
    shutil.copyfile(result.thumbnail, thumb)
    console.print(
        f"[green]done[/green] {output} ({result.duration:.1f} s, {result.size_bytes / 1e6:.1f} MB) "
        f"+ {srt.name} + {thumb.name} in {time.monotonic() - started:.1f} s (work folder {folder})"
    )


def _load_or_write(settings, ctx, topic, script, options, report) -> ScriptDocument:  # type: ignore[no-untyped-def]
    cached = ctx.workdir / "script.json"
    if script is not None:
        try:
            return load_document(json.loads(script.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise PermanentError(f"cannot read the script {script}: {exc}") from exc
    if cached.is_file():
        report(1.0)
        return load_document(json.loads(cached.read_text(encoding="utf-8")))
    from reelforge.providers.llm import ScriptRequest
    from reelforge.scripts.tasks import run_local

    script_type = "shortform" if options.type == "square" else options.type
    report(0.05)
    result = run_local(
        settings, None, ScriptRequest(topic=topic, type=script_type, language=options.language), ctx, backup=False
    )
    cached.write_text(result.document.model_dump_json(indent=1), encoding="utf-8")
    ctx.log(f"script: {len(result.document.scenes)} scenes by {result.provider or 'the offline writer'}")
    report(1.0)
    return result.document
