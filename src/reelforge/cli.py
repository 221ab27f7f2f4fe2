"""The `reelforge` command: a thin Typer skin over the services."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from reelforge.config import Settings, get_settings
from reelforge.db import migrate
from reelforge.db.engine import Database

app = typer.Typer(
    help="reelforge: a self-hostable AI video studio for YouTube creators.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
admin_app = typer.Typer(help="Administer accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")

console = Console()
err = Console(stderr=True)


def open_database(settings: Settings) -> Database:
    settings.ensure_data_dir()
    return Database(
        settings.resolved_database_url,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        pool_size=settings.db_pool_size,
    )


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
    if created:
        user, password = created
        console.print(
            "[bold green]First start:[/bold green] an admin account was created. "
            "This password is shown only once; change it after logging in."
        )
        console.print(f"  e-mail:   [bold]{user.email}[/bold]\n  password: [bold]{password}[/bold]")
    console.print(f"reelforge is serving at [link]http://{settings.host}:{settings.port}[/link]")
    application = create_app(settings, db)
    uvicorn.run(application, host=settings.host, port=settings.port, log_config=None, proxy_headers=True)


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


@app.command()
def doctor() -> None:
    """Check the installation: database, migrations, data folder and modes, ffmpeg."""
    from reelforge.doctor import run_checks

    settings = get_settings()
    db = open_database(settings)
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


if __name__ == "__main__":  # pragma: no cover
    app()
