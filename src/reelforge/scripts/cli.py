"""`reelforge script "topic"`: write a script in this process (no server) with a progress bar."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from reelforge.config import get_settings
from reelforge.errors import AppError, JobCancelled, PermanentError, TransientError

console = Console()
err = Console(stderr=True)


def script(
    topic: Annotated[str, typer.Argument(help='What the video is about, e.g. "고양이가 상자를 좋아하는 이유".')],
    type: Annotated[str, typer.Option("--type", "-t", help="longform, shortform or sora2.")] = "shortform",
    lang: Annotated[str, typer.Option("--lang", "-l", help="ko or en.")] = "ko",
    tone: Annotated[str, typer.Option(help="friendly, informative, energetic, calm or humorous.")] = "friendly",
    length: Annotated[str, typer.Option(help="short, standard or long.")] = "standard",
    scenes: Annotated[int | None, typer.Option(help="Exact number of scenes (within the type's range).")] = None,
    provider: Annotated[
        str | None, typer.Option(help="offline or openai (default: REELFORGE_LLM_PROVIDER / whether a key is set).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the script document as JSON.")] = False,
    out: Annotated[Path | None, typer.Option(help="Also write the script document (JSON) to this file.")] = None,
    use_db: Annotated[
        bool, typer.Option("--db/--no-db", help="Use the prompt templates stored in the database (if it exists).")
    ] = True,
) -> None:
    """Write a script with the configured provider (offline writer without an API key) and print it."""
    # Loaded when the command runs, not when `reelforge` starts: the top-level CLI registers this
    # command at import, and every other command (and --help) should not pay for the writer,
    # the providers and the job context.
    from reelforge.jobs.context import LocalContext
    from reelforge.scripts import service, tasks
    from reelforge.scripts.schema import estimate_narration_seconds

    settings = get_settings()
    if provider is not None:
        if provider not in ("offline", "openai"):
            err.print("[red]error:[/red] --provider must be offline or openai")
            raise typer.Exit(2)
        settings = settings.model_copy(update={"llm_provider": provider})
    try:
        request = service.make_request(
            settings, topic=topic, type=type, language=lang, tone=tone, length=length, scene_count=scenes
        )
    except AppError as exc:
        err.print(f"[red]error:[/red] {exc.detail}")
        raise typer.Exit(2) from exc

    db = None
    if use_db:  # the database stack only when asked for (same reason as above)
        from reelforge.db import migrate
        from reelforge.db.engine import Database

        try:
            candidate = Database(settings.resolved_database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
            if migrate.current_revision(candidate.engine) == migrate.head_revision():
                db = candidate
            else:
                err.print("note: the database is not migrated; using the built-in prompt templates")
        except Exception as exc:  # noqa: BLE001 - the CLI works without a database
            err.print(f"note: no database ({exc.__class__.__name__}); using the built-in prompt templates")

    workdir = settings.data_dir.resolve() / "scripts" / "cli"
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("writing", total=100)

        def on_log(level: str, message: str) -> None:
            if not message.startswith("✎"):
                bar.console.print(f"[dim]{message}[/dim]")
            bar.advance(task, 0)

        def on_progress(percent: float, step: str | None) -> None:
            bar.update(task, completed=percent, description=step or "writing")

        ctx = LocalContext(settings, workdir, job_id="cli", on_log=on_log, on_progress=on_progress)
        ctx.step_progress = lambda f, step=None: on_progress(5 + 90 * f, step)  # type: ignore[attr-defined]
        try:
            ctx.progress(5, "writing")
            result = tasks.run_local(settings, db, request, ctx, backup=False)
            ctx.progress(100, "done")
        except (PermanentError, TransientError) as exc:
            err.print(f"[red]failed:[/red] {exc}")
            raise typer.Exit(1) from exc
        except (JobCancelled, KeyboardInterrupt) as exc:
            err.print("cancelled")
            raise typer.Exit(130) from exc
        finally:
            if db is not None:
                db.dispose()

    doc = result.document
    data = doc.model_dump(mode="json")
    if out is not None:
        out.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    label = " [yellow](offline draft)[/yellow]" if doc.offline_draft else ""
    console.print(f"[bold]{doc.title}[/bold]{label}")
    console.print(f"{doc.type} · {doc.language} · {len(doc.scenes)} scenes · target {doc.target_duration_seconds}s")
    if doc.description:
        console.print(doc.description, style="dim")
    if doc.tags:
        console.print("tags: " + ", ".join(doc.tags), style="dim")
    total = 0.0
    for i, scene in enumerate(doc.scenes, 1):
        seconds = estimate_narration_seconds(scene.narration, doc.language)
        total += seconds
        clip = f", clip {scene.clip_seconds}s" if scene.clip_seconds else ""
        console.print(f"\n[bold cyan]{i}. {scene.caption or ''}[/bold cyan] [dim](~{seconds:.1f}s{clip})[/dim]")
        console.print(scene.narration)
        console.print(f"[dim]image: {scene.image_prompt}[/dim]")
    console.print(f"\nestimated narration: {total:.1f}s")
    if result.input_tokens or result.output_tokens:
        console.print(f"tokens: {result.input_tokens} in, {result.output_tokens} out", style="dim")
