"""make bench: generate a data set, serve the app and its ceiling, load them, write the results.

    .venv/bin/python -m bench.run --scale S [--seconds 5] [--connections 16]

1. Drops and recreates the bench database (PostgreSQL), migrates it, generates the scale's rows.
2. Counts SQL queries per measured page in-process, at the run's scale and at S (a second
   database); prints FAIL when they differ.
3. Serves the app (gunicorn, production config, 2 workers, 127.0.0.1) and loads each page with wrk
   from a second process for a bounded time; captures each page's bytes; then serves the ceiling
   (bench/ceiling.py) on the same gunicorn settings and loads it the same way.
4. Times payment runs of 1,000 and 10,000 payees (bacs) in a third database.
5. Prints one table and writes bench/results/<scale>-<date>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from base64 import b64encode
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/lep_bench"
GUNICORN = [
    str(Path(sys.executable).parent / "gunicorn"),
    "--workers",
    "2",
    "--log-level",
    "warning",
]


def bench_env(database_url: str) -> dict[str, str]:
    """The production config's environment, with fresh keys. Differences from production are
    listed in bench/README.md: Secure cookies off (bench/wsgi_bench.py) and a sign-in rate limit
    high enough for one sign-in per simulated user from one address."""
    from cryptography.fernet import Fernet

    env = dict(os.environ)
    for name in ("REDIS_URL", "JOB_QUEUE", "PAYMENT_PROVIDER"):
        env.pop(name, None)
    env.update(
        LEP_CONFIG="production",
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_urlsafe(48),
        BANK_DETAILS_KEY=Fernet.generate_key().decode(),
        LOGIN_RATE_LIMIT="1000 per minute",
        PYTHONPATH=str(ROOT),
    )
    return env


# --- Databases -------------------------------------------------------------------------------


def recreate_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def make_app(url: str) -> Any:
    from bench.wsgi_bench import OVERRIDES
    from lep import create_app

    app = create_app("production", SQLALCHEMY_DATABASE_URI=url, **OVERRIDES)
    logging.getLogger().setLevel(logging.WARNING)  # the outbox logs every email at INFO
    return app


def build(url: str, scale: str) -> tuple[Any, Any, float]:
    """A fresh, migrated database with the scale's rows. Returns (app, manifest, seconds)."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from bench.generate import generate
    from lep.extensions import db

    recreate_database(url)
    app = make_app(url)
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        with db.engine.begin() as conn:
            manifest = generate(conn, scale)
        seconds = time.perf_counter() - started
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        db.session.remove()
    return app, manifest, seconds


def with_suffix(url: str, suffix: str) -> str:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}{suffix}").render_as_string(hide_password=False)


# --- Serving ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(target: str, env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """gunicorn on a free port; its output (the outbox logs every email) goes to `log`."""
    import requests

    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603
            [*GUNICORN, "--bind", f"127.0.0.1:{port}", target],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{target} did not start")
        try:
            requests.get(base + "/roles", timeout=10, headers={"X-Bench-Page": "roles_list"})
            return process, base
        except requests.RequestException:
            time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"{target} did not answer in 60 seconds")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- Plans: the requests each page's load sends ------------------------------------------------


class Session:
    """One simulated user: signed in once, the session cookie reused for every request."""

    def __init__(self, base: str) -> None:
        import requests

        self.base = base
        self.http = requests.Session()

    def fetch(
        self, method: str, path: str, data: dict[str, str] | None
    ) -> tuple[int, dict[str, str], bytes]:
        r = self.http.request(method, self.base + path, data=data, allow_redirects=False)
        return r.status_code, dict(r.headers), r.content

    @property
    def cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())


def plans(
    app: Any, manifest: Any, base: str, connections: int, approvals: list[int]
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, dict[str, Any]]]:
    """For each page: the requests to rotate through, and the captured response (for the
    ceiling). Capturing the approve page uses up one claim."""
    from urllib.parse import urlencode

    from bench import pages

    password = manifest.password
    anonymous = Session(base)
    applicants = []
    for i in range(min(connections, len(manifest.drafts))):
        user = Session(base)
        csrf = pages.sign_in(user.fetch, manifest.drafts[i][0], password)
        applicants.append((user, csrf, manifest.drafts[i][1]))
    hr = Session(base)
    pages.sign_in(hr.fetch, manifest.hr_email, password)
    finance = Session(base)
    finance_csrf = pages.sign_in(finance.fetch, manifest.finance_email, password)

    def req(page: str, method: str, path: str, who: Session, body: dict[str, str] | None = None):
        headers = {"X-Bench-Page": page}
        if who.cookie:
            headers["Cookie"] = who.cookie
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        b = urlencode(body) if body else None
        return {"m": method, "p": path, "h": headers, "b": b, "f": body}

    def questions(a: tuple[Session, str, int]) -> str:
        return f"/applications/{a[2]}/questions/1"

    out: dict[str, list[dict[str, Any]]] = {
        "roles_list": [req("roles_list", "GET", "/roles", anonymous)],
        "role_page": [
            req("role_page", "GET", f"/roles/{r}", anonymous) for r in manifest.role_ids[:200]
        ],
        "question_get": [req("question_get", "GET", questions(a), a[0]) for a in applicants],
        "question_post": [
            req("question_post", "POST", questions(a), a[0], pages.answer_form(a[1], n))
            for n, a in enumerate(applicants)
        ],
        "dashboard": [req("dashboard", "GET", "/dashboard", a[0]) for a in applicants],
        "shortlisting_matrix": [
            req(
                "shortlisting_matrix",
                "GET",
                f"/hr/roles/{manifest.largest_role_id}/shortlisting",
                hr,
            )
        ],
        "claims_queue": [req("claims_queue", "GET", "/finance/claims", finance)],
        "approve_claim": [
            req(
                "approve_claim",
                "POST",
                f"/finance/claims/{c}",
                finance,
                pages.approve_form(app, c, finance_csrf),
            )
            for c in approvals
        ],
    }
    captured: dict[str, dict[str, Any]] = {}
    for name, requests_ in out.items():
        first = requests_.pop(0) if name == "approve_claim" else requests_[0]
        who = {"hr": hr, "finance": finance}.get(
            next(p.who for p in pages.PAGES if p.name == name), applicants[0][0]
        )
        if first["h"].get("Cookie") is None:
            who = anonymous
        status, headers, content = who.fetch(first["m"], first["p"], first["f"])
        expected = pages.EXPECTED[first["m"]]
        if status not in expected:
            raise RuntimeError(f"{name}: {first['m']} {first['p']} answered {status}")
        captured[name] = {
            "status": status,
            "content_type": headers.get("Content-Type", "text/html; charset=utf-8"),
            "location": headers.get("Location", ""),
            "body": b64encode(content).decode(),
            "bytes": len(content),
        }
    return out, captured


# --- Load with wrk -----------------------------------------------------------------------------

LUA = """
local reqs = %(requests)s
local expected = %(expected)d
local built = {}
local i = 0
wrong = 0
function init(args)
  for k, r in ipairs(reqs) do built[k] = wrk.format(r.m, r.p, r.h, r.b) end
end
function request()
  i = i + 1
  return built[((i - 1) %% #built) + 1]
end
function response(status, headers, body)
  if status ~= expected then wrong = wrong + 1 end
end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  local w = 0
  for _, t in ipairs(threads) do w = w + t:get("wrong") end
  local e = summary.errors
  local f = io.open("%(out)s", "w")
  f:write(string.format(
    '{"requests": %%d, "duration_us": %%d, "wrong_status": %%d, "socket_errors": %%d, ' ..
    '"p50_us": %%d, "p95_us": %%d, "p99_us": %%d}',
    summary.requests, summary.duration, w, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
  f:close()
end
"""


def lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string of ASCII is a valid Lua string literal


def lua_script(requests_: list[dict[str, Any]], expected: int, out: Path) -> str:
    items = []
    for r in requests_:
        headers = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in r["h"].items())
        body = "nil" if r["b"] is None else lua_string(r["b"])
        items.append(
            f"{{m = {lua_string(r['m'])}, p = {lua_string(r['p'])}, h = {{{headers}}}, b = {body}}}"
        )
    return LUA % {"requests": "{\n" + ",\n".join(items) + "\n}", "expected": expected, "out": out}


def load(
    base: str,
    requests_: list[dict[str, Any]],
    expected: int,
    seconds: int,
    connections: int,
    work: Path,
    tag: str,
) -> dict[str, Any]:
    script = work / f"{tag}.lua"
    out = work / f"{tag}.json"
    script.write_text(lua_script(requests_, expected, out))
    subprocess.run(  # noqa: S603
        [
            WRK,
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            base,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=work,
    )
    result = json.loads(out.read_text())
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


WRK = shutil.which("wrk") or "wrk"


# --- Payment runs ------------------------------------------------------------------------------


def payment_runs(url: str, sizes: list[int]) -> list[dict[str, Any]]:
    from flask_migrate import upgrade

    from bench.generate import generate_payees
    from bench.payrun import timed_run
    from lep.extensions import db

    recreate_database(url)
    app = make_app(url)
    results = []
    with app.app_context():
        upgrade()
        for size in sizes:
            with db.engine.begin() as conn:
                finance, finance2 = generate_payees(conn, size, f"run{size}")
            db.session.remove()
            result = timed_run(finance, finance2)
            db.session.remove()
            if result.payments != size or result.audited != size or result.file_rows != size:
                print(f"FAIL payment run of {size}: {result}")
            print(
                f"  payment run of {size:,}: built in {result.build_seconds:.2f} s, Send to file "
                f"{result.send_seconds:.2f} s, {result.audited:,} payments audited"
            )
            results.append(
                {
                    "payees": size,
                    "seconds": round(result.seconds, 3),
                    "send_seconds": round(result.send_seconds, 3),
                }
            )
    return results


# --- Report ------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    from sqlalchemy import create_engine, text

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = Path("/proc/meminfo").read_text().split()[1]
    except OSError:
        memory = "0"
    try:
        engine = create_engine(DEFAULT_URL.replace("/lep_bench", "/postgres"))
        with engine.connect() as conn:
            postgres = str(conn.scalar(text("SHOW server_version")))
        engine.dispose()
    except Exception:  # a fact for the record, never a reason to fail
        postgres = ""
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(int(memory) / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgres": postgres,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def verdicts(page: Any, row: dict[str, Any], scale: str) -> list[str]:
    notes = []
    if page.public:
        notes.append(("met" if row["ratio"] >= 0.5 else "missed") + " >=50% ceiling")
        notes.append(("met" if row["p95_ms"] < 25 else "missed") + " p95<25ms")
    if page.staff:
        verdict = "met" if row["p95_ms"] < 100 else "missed"
        notes.append(f"{verdict} p95<100ms" + ("" if scale == "M" else " (target at M)"))
    return notes


def report(result: dict[str, Any], extra: dict[str, dict[str, Any]]) -> None:
    from bench.pages import PAGES

    by_name = {p.name: p for p in PAGES}
    print()
    print(
        f"Scale {result['scale']}   (machine: {result['machine']['cpus']} cpus, load "
        f"{result['machine']['load_average']})"
    )
    header = (
        f"{'page':<34}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'ceiling':>9}"
        f"{'ratio':>7}{'q@S':>5}{'q now':>6}  targets"
    )
    print(header)
    print("-" * len(header))
    failures = []
    for row in result["rows"]:
        page = by_name[row["page"]]
        notes = verdicts(page, row, result["scale"])
        if row["queries_s"] != row["queries_now"]:
            failures.append(row["page"])
            notes.append("queries FAIL")
        bad = extra[row["page"]]["wrong_status"] + extra[row["page"]]["socket_errors"]
        if bad:
            notes.append(f"{bad} unexpected answers")
        print(
            f"{page.label:<34}{row['rps']:>8.0f}{row['p50_ms']:>8.1f}{row['p95_ms']:>8.1f}"
            f"{row['p99_ms']:>8.1f}{row['ceiling_rps']:>9.0f}{row['ratio']:>7.2f}"
            f"{row['queries_s']:>5}{row['queries_now']:>6}  {'; '.join(notes)}"
        )
    for run in result["payment_runs"]:
        # The target is from Send to the file; `seconds` is the whole run, from building it.
        met = "met" if run["send_seconds"] < 10 else "missed"
        print(
            f"{'Payment run, ' + format(run['payees'], ',') + ' payees (bacs)':<34}"
            f"{run['seconds']:>8.2f} s build to bank file, Send to file {run['send_seconds']:.2f} s"
            + (f"  {met} <10s from Send" if run["payees"] == 10_000 else "")
        )
    for name in failures:
        print(f"FAIL queries per request for {name}: differ between S and {result['scale']}")


# --- Main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="S", choices=("XS", "S", "M", "L"))
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--seconds", type=int, default=10, help="load per page, per server")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--payees", default="1000,10000", help="payment runs ('' for none)")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    if shutil.which(WRK) is None:
        print("wrk is not installed (apt-get install wrk)")
        return 2
    url = args.database_url
    env = bench_env(url)
    os.environ.update(env)  # the in-process app reads the same settings

    from bench.pages import PAGES, count_queries

    print(f"Generating scale {args.scale} into {url.rsplit('/', 1)[-1]}")
    app, manifest, seconds = build(url, args.scale)
    print(f"  {manifest.counts} in {seconds:.1f} s")
    claims = manifest.submitted_claims
    queries_now = count_queries(app, manifest, claims[:2])
    if args.scale == "S":
        queries_s = queries_now
    else:
        s_app, s_manifest, _ = build(with_suffix(url, "_s"), "S")
        queries_s = count_queries(s_app, s_manifest, s_manifest.submitted_claims[:2])
    print(f"  queries per request: now {queries_now}, at S {queries_s}")

    work = Path(tempfile.mkdtemp(prefix="lep-bench-"))
    measured: dict[str, dict[str, Any]] = {}
    process, base = serve("bench.wsgi_bench:app", env, work / "app.log")
    try:
        approvals = claims[2 : 2 + 20_000]
        requests_, captured = plans(app, manifest, base, args.connections, approvals)
        for page in PAGES:
            print(f"  load {page.name} (app)")
            measured[page.name] = load(
                base,
                requests_[page.name],
                captured[page.name]["status"],
                args.seconds,
                args.connections,
                work,
                f"app-{page.name}",
            )
    finally:
        stop(process)
    (work / "captured.json").write_text(json.dumps(captured))
    ceiling_env = dict(env, BENCH_CAPTURED=str(work / "captured.json"))
    process, base = serve("bench.ceiling:app", ceiling_env, work / "ceiling.log")
    ceiling: dict[str, dict[str, Any]] = {}
    try:
        for page in PAGES:
            print(f"  load {page.name} (ceiling)")
            ceiling[page.name] = load(
                base,
                requests_[page.name],
                captured[page.name]["status"],
                args.seconds,
                args.connections,
                work,
                f"ceiling-{page.name}",
            )
    finally:
        stop(process)

    sizes = [int(s) for s in args.payees.split(",") if s.strip()]
    runs = payment_runs(with_suffix(url, "_pay"), sizes) if sizes else []
    rows = []
    for page in PAGES:
        m, c = measured[page.name], ceiling[page.name]
        rows.append(
            {
                "page": page.name,
                "rps": round(m["rps"], 1),
                "p50_ms": round(m["p50_us"] / 1000, 2),
                "p95_ms": round(m["p95_us"] / 1000, 2),
                "p99_ms": round(m["p99_us"] / 1000, 2),
                "ceiling_rps": round(c["rps"], 1),
                "ratio": round(m["rps"] / c["rps"], 3) if c["rps"] else 0.0,
                "queries_s": queries_s[page.name],
                "queries_now": queries_now[page.name],
            }
        )
    result = {
        "scale": args.scale,
        "machine": machine(),
        "rows": rows,
        "payment_runs": runs,
    }
    report(result, measured)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{args.scale}-{dt.datetime.now(dt.UTC).date().isoformat()}"
    path = out / f"{stem}.json"
    for n in range(2, 100):  # a second run on the same day keeps the first
        if not path.exists():
            break
        path = out / f"{stem}-{n}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nWrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    shutil.rmtree(work, ignore_errors=True)
    return 1 if any(r["queries_s"] != r["queries_now"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
