"""`reelforge youtube ...`: the local fake Google for the documented dev mode, and quota/channel status."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

youtube_app = typer.Typer(help="YouTube publishing: dev-mode fake server and status.", no_args_is_help=True)
console = Console()


@youtube_app.command("fake-server")
def fake_server(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (HTTP and HTTPS on the same port).")] = 8765,
    cert_dir: Annotated[
        Path | None, typer.Option(help="Where to write the throw-away CA/cert (default <data_dir>/youtube-fake).")
    ] = None,
    channel_title: Annotated[str, typer.Option(help="Title of the fake channel.")] = "reelforge dev channel",
    verbose: Annotated[bool, typer.Option(help="Log every request.")] = False,
) -> None:
    """Run a local fake of Google OAuth + the YouTube Data API (dev mode; never talks to Google).

    Set the printed REELFORGE_YOUTUBE_* variables (e.g. in .env) and restart `reelforge serve`:
    "Connect YouTube" then auto-approves here, and uploads land in this process's memory.
    """
    from reelforge.config import get_settings
    from reelforge.youtube.devserver import ENDPOINTS, FakeYouTube, serve_forever

    settings = get_settings()
    folder = cert_dir or (settings.ensure_data_dir() / "youtube-fake")
    fake = FakeYouTube(port=port, cert_dir=folder, channel_title=channel_title, verbose=verbose)
    fake.start()
    console.print(f"[bold]fake YouTube[/bold] listening on {fake.http_url} (plain HTTP and TLS)")
    console.print("Endpoints:")
    for method, path, what in ENDPOINTS:
        console.print(f"  {method:5} {path:42} {what}")
    console.print("\nPut these in .env (or the environment) and restart `reelforge serve`:\n")
    for key, value in fake.settings_env().items():
        print(f"{key}={value}")
    console.print("\n[dim]Ctrl-C to stop. The certificate is regenerated at every start (same file).[/dim]")
    serve_forever(fake)


@youtube_app.command("status")
def status() -> None:
    """Today's upload count against the cap, and connected channels."""
    from sqlalchemy import func, select

    from reelforge.config import get_settings
    from reelforge.db import migrate
    from reelforge.db.engine import open_database
    from reelforge.youtube import client as yc
    from reelforge.youtube import quota
    from reelforge.youtube.models import YoutubeChannel

    settings = get_settings()
    db = open_database(settings)
    migrate.upgrade(db.engine)
    with db.read_session() as s:
        q = quota.quota_status(s, settings)
        channels = s.scalar(select(func.count()).select_from(YoutubeChannel)) or 0
        broken = s.scalar(select(func.count()).where(YoutubeChannel.needs_reconnect.is_(True))) or 0
        queued = quota.queued_uncounted(s)
    db.dispose()
    console.print(f"OAuth client configured: {'yes' if yc.is_configured(settings) else 'no'}")
    console.print(
        f"Uploads on {q.day} ({q.timezone}): {q.used}/{q.cap}, {queued} queued; resets {q.resets_at:%Y-%m-%d %H:%M} UTC"
    )
    console.print(f"Channels: {channels} connected, {broken} need reconnecting")
