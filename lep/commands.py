"""`flask lep ...` commands: create-admin, demo, worker, verify-audit, grant-app-role."""

from __future__ import annotations

import os
import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from lep.extensions import db


@click.group("lep")
def lep_cli() -> None:
    """lep administration commands."""


@lep_cli.command("create-admin")
@click.option("--email", prompt=True, help="Their email address; they sign in with it.")
@click.option("--name", "full_name", prompt="Full name", help="Their full name.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    envvar="LEP_ADMIN_PASSWORD",
    help="At least 12 characters, not a common password (or set LEP_ADMIN_PASSWORD).",
)
@with_appcontext
def create_admin(email: str, full_name: str, password: str) -> None:
    """Make the first administrator account."""
    from lep.accounts.services import AccountError
    from lep.accounts.services import create_admin as make

    try:
        user = make(full_name, email, password)
    except AccountError as exc:
        if exc.field == "password":
            raise click.BadParameter(exc.message, param_hint="--password") from exc
        raise click.ClickException(exc.message) from exc
    click.echo(f"Administrator {user.email} created. Sign in at /sign-in.")


@lep_cli.command("import-pay-table")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_pay_table(path: str) -> None:
    """Load an Agenda for Change pay table (CSV: band,pay_point,years_from,annual_salary_gbp,
    effective_from). A file with any bad row is refused whole; nothing is written."""
    from lep.roles.paytables import PayTableError
    from lep.roles.paytables import import_pay_table as load

    try:
        with open(path, encoding="utf-8-sig") as handle:
            result = load(handle.read(), source=os.path.basename(path))
    except UnicodeDecodeError as exc:
        raise click.ClickException("The file is not UTF-8 text. Nothing was loaded.") from exc
    except PayTableError as exc:
        raise click.ClickException(f"{exc} Nothing was loaded.") from exc
    dates = ", ".join(d.isoformat() for d in result.effective_from)
    click.echo(
        f"Pay table effective {dates}: {result.added} pay points added, "
        f"{result.unchanged} already loaded."
    )


@lep_cli.command("close-roles")
@with_appcontext
def close_roles() -> None:
    """Close open roles whose closing date and time have passed (run it from cron)."""
    from lep.roles.services import close_expired_roles

    click.echo(f"Closed {close_expired_roles()} roles.")


@lep_cli.command("send-emails")
@with_appcontext
def send_emails() -> None:
    """Try again the emails whose next try is due, and send any whose job was lost (run it from
    cron every few minutes). Each email is sent at most once, however often this runs."""
    from lep.notifications.services import retry_due

    done = retry_due()
    click.echo(
        f"Emails tried: {done['tried']}; sent: {done['sent']}; to try again later: "
        f"{done['waiting']}; failed: {done['failed']}; held (may have been sent): {done['held']}."
    )


@lep_cli.command("verify-audit")
@with_appcontext
def verify_audit() -> None:
    """Check the audit log's hash chain; name the first broken link (exit status 1)."""
    from lep.audit.chain import verify

    verdict = verify(db.session())
    if not verdict.intact:
        raise click.ClickException(
            f"{verdict.problem}. {verdict.events} audit events before it are intact."
        )
    click.echo(
        f"{verdict.events} audit events checked: the chain is intact. Last event "
        f"{verdict.last_id or 'none'}, hash {verdict.last_hash} (keep it somewhere else to "
        "check later that nothing before it was rewritten)."
    )


@lep_cli.command("grant-app-role")
@click.argument("role", required=False)
@click.option(
    "--create", is_flag=True, help="Make the role (LOGIN, with DATABASE_URL's password) if missing."
)
@with_appcontext
def grant_app_role(role: str | None, create: bool) -> None:
    """Give the app's database role only what it needs (PostgreSQL; run after `flask db upgrade`).

    Connects as the tables' owner (MIGRATION_DATABASE_URL). ROLE defaults to DATABASE_URL's user.
    """
    from lep.dbroles import DatabaseRoleError
    from lep.dbroles import grant_app_role as grant

    try:
        for line in grant(current_app.config, role, create=create):
            click.echo(line)
    except DatabaseRoleError as exc:
        raise click.ClickException(str(exc)) from exc


@lep_cli.command("demo")
@with_appcontext
def demo() -> None:
    """Seed demo data (idempotent: running it twice changes nothing)."""
    from lep.demo import seed

    accounts = seed()
    password = current_app.config["DEMO_PASSWORD"]
    click.echo(f"Demo accounts (password for all: {password}):")
    for email, roles in accounts:
        click.echo(f"  {email:<32} {', '.join(roles)}")
    secret = current_app.config["DEMO_TOTP_SECRET"]
    click.echo(
        "hr, finance and admin accounts then ask for a code from an authenticator app. Add this "
        f"key to one (time based): {secret}\n"
        "or print the current code with: "
        f".venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{secret}').now())\""
    )


@lep_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker(burst: bool) -> None:
    """Run background jobs from Redis (needs REDIS_URL)."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("Set REDIS_URL to run a worker; without it jobs run in-process.")
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import SimpleWorker, Worker

    from lep.jobs import queue_names
    from lep.payments import sending

    names = queue_names(current_app)
    connection = Redis.from_url(url)
    try:
        connection.ping()
    except RedisError as exc:
        where = connection.connection_pool.connection_kwargs
        raise click.ClickException(
            f"Cannot reach Redis at {where.get('host', '?')}:{where.get('port', '?')}: {exc}"
        ) from exc
    if current_app.config.get("JOB_QUEUE") != "rq":
        click.echo(
            f'Warning: JOB_QUEUE is {current_app.config.get("JOB_QUEUE")!r}, not "rq": this app '
            "runs its jobs in-process and puts nothing on the queue.",
            err=True,
        )
    # SimpleWorker runs jobs in this process, inside this app context. RQ's Worker starts a
    # fresh Python per job, which builds its own app (lep.jobs.run_in_app).
    cls = SimpleWorker if os.environ.get("LEP_WORKER_SIMPLE", "1") == "1" else Worker
    w = cls(names, connection=connection)
    # Payment runs that stopped part-way (a sender killed, a job lost) are queued again.
    stop = threading.Event()
    interval = float(current_app.config.get("PAYMENT_RESUME_INTERVAL_SECONDS", 60))
    if not burst:
        sending.watch(current_app._get_current_object(), interval, stop)  # type: ignore[attr-defined]
    try:
        w.work(burst=burst)
    finally:
        stop.set()
        db.session.remove()


@lep_cli.command("resume-payments")
@with_appcontext
def resume_payments() -> None:
    """Finish payment runs left sending part-way (run it from cron every few minutes). Two at
    once never send a payment twice: each run is taken by one of them."""
    from lep.payments import sending

    resumed = sending.resume_stale_runs("resume-payments", send_here=True)
    for run in resumed:
        click.echo(f"{run.reference}: {run.outcome}")
    click.echo(f"Resumed {len(resumed)} payment run{'' if len(resumed) == 1 else 's'}.")


@lep_cli.command("reminders")
@with_appcontext
def reminders() -> None:
    """Remind partners and contacts of checks about to expire (run it daily from cron). Each
    check is reminded once per threshold (30 days, 7 days, expired), however often this runs.
    With JOB_QUEUE=rq the work goes to the worker."""
    from lep.jobs import RQQueue, enqueue, get_queue
    from lep.support.reminders import send_due

    if isinstance(get_queue(), RQQueue):
        enqueue("lep.support.reminders.send_due")
        click.echo("Reminders queued for the worker.")
        return
    sent = send_due()
    click.echo(f"Sent {sent} check reminder{'' if sent == 1 else 's'}.")
