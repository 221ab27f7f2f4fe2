"""The `reelforge` command: a thin Typer skin over the services."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from reelforge.config import Settings, get_settings
from reelforge.db import migrate
from reelforge.db.engine import open_database

app = typer.Typer(
    help="reelforge: a self-hostable AI video studio for YouTube creators.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
admin_app = typer.Typer(help="Administer accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
sessions_app = typer.Typer(help="Login sessions.", no_args_is_help=True)
app.add_typer(sessions_app, name="sessions")

console = Console()
err = Console(stderr=True)


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default REELFORGE_HOST or 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default REELFORGE_PORT or 8000).")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Embedded job workers to run in this process tree (default REELFORGE_WORKERS).")
    ] = None,
) -> None:
    """Upgrade the database and serve the studio (web UI, API, embedded workers)."""
    import uvicorn

    from reelforge.accounts.service import bootstrap_admin
    from reelforge.logs import configure_logging
    from reelforge.web.app import create_app

    settings = get_settings()
    overrides = {k: v for k, v in {"host": host, "port": port, "workers": workers}.items() if v is not None}
    if overrides:
        settings = settings.model_copy(update=overrides)
    configure_logging(settings.log_level, settings.log_json)
    try:
        settings.effective_secret_key()
    except ValueError as exc:
        err.print(f"[red]refusing to start:[/red] {exc}")
        raise typer.Exit(2) from exc
    db = open_database(settings)
    migrate.upgrade(db.engine)
    with db.session() as session:
        created = bootstrap_admin(session, settings.admin_email)
        if created and settings.admin_starting_credits > 0:
            from reelforge.credits import messages as credit_messages
            from reelforge.credits.service import grant
            from reelforge.i18n import stored

            # So a solo install can write and render right away; recorded in the ledger like any grant.
            grant(
                session,
                created[0].id,
                settings.admin_starting_credits,
                reason=stored.text(credit_messages.FIRST_ADMIN_CREDITS),
                admin_id=created[0].id,
            )
        from reelforge.accounts.service import purge as purge_sessions

        purge_sessions(session)  # expired sessions now; then a timer (accounts.maintenance) and logins purge
    if created:
        user, password = created
        console.print(
            "[bold green]First start:[/bold green] an admin account was created. "
            "This password is shown only once; change it after logging in."
        )
        console.print(f"  e-mail:   [bold]{user.email}[/bold]\n  password: [bold]{password}[/bold]")
        if settings.admin_starting_credits > 0:
            console.print(f"  credits:  {settings.admin_starting_credits} (REELFORGE_ADMIN_STARTING_CREDITS)")
    console.print(f"reelforge is serving at [link]http://{settings.host}:{settings.port}[/link]")
    from reelforge.jobs.pool import embedded_hooks

    start_pool, stop_pool = embedded_hooks(settings, db)  # no-op in distributed mode or with --workers 0
    from reelforge.accounts.maintenance import purge_hooks

    start_purge, stop_purge = purge_hooks(settings, db)  # expired sessions, every REELFORGE_SESSION_PURGE_MINUTES
    application = create_app(settings, db, on_startup=[start_pool, start_purge], on_shutdown=[stop_purge, stop_pool])
    uvicorn.Server(uvicorn_config(application, settings)).run()


def uvicorn_config(application: Any, settings: Settings) -> Any:
    """How `serve` runs uvicorn. Its proxy-header handling stays off: it trusts loopback by
    default, and the app believes forwarded headers only from REELFORGE_TRUSTED_PROXIES
    (`web.proxies`)."""
    import uvicorn

    return uvicorn.Config(
        application,
        host=settings.host,
        port=settings.port,
        log_config=None,
        proxy_headers=False,
        timeout_graceful_shutdown=5,  # open live-progress (SSE) streams must not block a restart
    )


@app.command()
def worker(
    local: Annotated[
        bool, typer.Option("--local", help="Run the embedded pool against the database (no broker), like `serve` does.")
    ] = False,
    threads: Annotated[
        int | None, typer.Option(help="Jobs run at once by this process (default REELFORGE_WORKERS, at least 1).")
    ] = None,
    queue: Annotated[
        list[str] | None,
        typer.Option("--queue", "-q", help="Only these queues (scripts, render, uploads); repeatable."),
    ] = None,
    health_port: Annotated[
        int | None,
        typer.Option(
            "--health-port",
            min=0,
            max=65535,
            help="Serve /healthz and /metrics on this port (default REELFORGE_WORKER_HEALTH_PORT; 0 = off).",
        ),
    ] = None,
) -> None:
    """Run jobs: Dramatiq workers when REELFORGE_BROKER_URL is set, else (or with --local) a local pool."""
    import signal
    import threading

    from reelforge.jobs.registry import load_kinds
    from reelforge.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    db = open_database(settings)
    migrate.upgrade(db.engine)
    load_kinds()
    size = threads if threads is not None else max(1, settings.workers)
    if size < 1:
        err.print("[red]--threads must be at least 1[/red]")
        raise typer.Exit(2)
    if settings.broker_url and not local:
        from reelforge.jobs.actors import run_worker

        console.print(f"reelforge worker: Dramatiq on {settings.broker_url.split('@')[-1]}, {size} thread(s)")
        run_worker(settings, db, threads=size, queues=queue or None, health_port=health_port)
        return
    from reelforge.jobs.health import HealthServer
    from reelforge.jobs.pool import WorkerPool

    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    port = settings.worker_health_port if health_port is None else health_port
    listener = HealthServer(settings.model_copy(update={"broker_url": ""}), db, port=port).start() if port else None
    pool = WorkerPool(db, settings, size=size, queues=queue or None, mode="local").start()
    console.print(f"reelforge worker: local pool {pool.worker_id}, {size} thread(s); Ctrl-C stops it")
    while not stop.wait(0.5):
        pass
    pool.stop()
    if listener is not None:
        listener.stop()


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    db = open_database(get_settings())
    migrate.upgrade(db.engine, revision)
    console.print(f"database at {migrate.current_revision(db.engine)}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1 or base.")]) -> None:
    """Revert migrations down to REVISION."""
    db = open_database(get_settings())
    migrate.downgrade(db.engine, revision)
    console.print(f"database at {migrate.current_revision(db.engine) or 'base'}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's revision and the latest one."""
    db = open_database(get_settings())
    current, head = migrate.current_revision(db.engine), migrate.head_revision()
    console.print(f"current: {current or 'base'}  head: {head}")
    if current != head:
        raise typer.Exit(1)


@admin_app.command("create")
def admin_create(
    email: Annotated[str, typer.Argument(help="E-mail address of the new admin.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    name: Annotated[str, typer.Option(help="Display name.")] = "Administrator",
) -> None:
    """Create an admin account (verified), asking for its password."""
    from reelforge.accounts.service import create_user
    from reelforge.errors import AppError

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    db = open_database(get_settings())
    migrate.upgrade(db.engine)
    try:
        with db.session() as session:
            user = create_user(session, email, password, name=name, is_admin=True, email_verified=True)
    except AppError as exc:
        err.print(f"[red]error:[/red] {exc.detail}")
        raise typer.Exit(1) from exc
    console.print(f"admin {user.email} created")


@sessions_app.command("purge")
def sessions_purge() -> None:
    """Delete expired sessions (closing their history rows), old failed-login records and dead reset links."""
    from reelforge.accounts.service import purge

    db = open_database(get_settings())
    migrate.upgrade(db.engine)
    with db.session() as session:
        count = purge(session)
    console.print(f"purged {count} expired session(s)")


@app.command()
def doctor(
    ledger: Annotated[
        bool,
        typer.Option(
            "--ledger", help="Only audit the credit ledger (balances, balance_after chains, refunds of failed work)."
        ),
    ] = False,
) -> None:
    """Check the installation: database, migrations, data folder and modes, ffmpeg, the credit ledger."""
    from reelforge.doctor import run_checks

    settings = get_settings()
    db = open_database(settings)
    if ledger:
        from reelforge.doctor import check_ledger

        findings = run_checks(settings, db, only=[check_ledger])
    else:
        findings = run_checks(settings, db)
    table = Table(title="reelforge doctor")
    table.add_column("check")
    table.add_column("result")
    table.add_column("detail")
    for f in findings:
        table.add_row(f.check, "[green]ok[/green]" if f.ok else "[red]FAIL[/red]", f.detail)
    console.print(table)
    if not all(f.ok for f in findings):
        raise typer.Exit(1)


def _register_generate() -> None:
    from reelforge.render.cli import generate

    app.command("generate")(generate)


_register_generate()


def _register_script() -> None:
    from reelforge.scripts.cli import script

    app.command("script")(script)


_register_script()


def _register_youtube() -> None:
    from reelforge.youtube.cli import youtube_app

    app.add_typer(youtube_app, name="youtube")


_register_youtube()


def _register_legacy() -> None:
    from reelforge.legacy.cli import import_legacy

    app.command("import-legacy")(import_legacy)


_register_legacy()


if __name__ == "__main__":  # pragma: no cover
    app()
