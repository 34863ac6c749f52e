"""Milliseconds of Python per request for each measured page, in-process, and where they go.

    .venv/bin/python -m bench.profile --scale S                  # a table: ms per request, queries
    .venv/bin/python -m bench.profile --scale M --page claims_queue --top 30   # cProfile one page

No HTTP server and no load tool: each page is requested `--requests` times through Flask's test
client (production config, as `make bench` serves it) after one warm-up, so the figure is the
app's own cost per request, the thing the targets' ratios measure. The data set is generated
fresh into `lep_bench_prof` (or `--database-url`). The public pages are served kept to signed-out
visitors (lep/pagecache.py), as in production: `--no-page-cache` measures their rendering.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/lep_bench_prof"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="S", choices=("XS", "S", "M", "L"))
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--page", help="profile this page with cProfile")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--no-page-cache", action="store_true", help="render the public pages every time"
    )
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"))
    args = parser.parse_args(argv)

    from bench.run import bench_env, build

    os.environ.update(bench_env(args.database_url))  # before lep's config is imported
    if args.no_page_cache:
        os.environ["PUBLIC_PAGE_CACHE_SECONDS"] = "0"
    from bench.pages import (
        PAGES,
        answer_form,
        approve_form,
        counting,
        email_for,
        in_process,
        request_for,
    )
    from bench.pages import sign_in as sign_in_with

    print(f"Generating scale {args.scale}")
    app, manifest, seconds = build(args.database_url, args.scale)
    print(f"  {manifest.counts} in {seconds:.1f} s")
    from lep.extensions import db

    with app.app_context():
        engine = db.engine
    claims = iter(manifest.submitted_claims)
    print(f"{'page':<22} {'ms/request':>10} {'queries':>8}")
    for page in PAGES:
        if args.page and page.name != args.page:
            continue
        fetch = in_process(app)
        email = email_for(page, manifest)
        csrf = sign_in_with(fetch, email, manifest.password) if email else ""
        method, path = request_for(page, manifest)

        work = []  # (path, form) for the warm-up and each measured request
        for n in range(args.requests + 1):
            if page.name == "question_post":
                work.append((path, answer_form(csrf, n)))
            elif page.name == "approve_claim":
                claim = next(claims)
                work.append((path.format(claim=claim), approve_form(app, claim, csrf)))
            else:
                work.append((path, None))
        fetch(method, *work.pop(0))
        profiler = cProfile.Profile() if args.page else None
        with counting(engine) as seen:
            elapsed = 0.0
            for target, data in work:
                started = time.perf_counter()
                if profiler:
                    profiler.enable()
                status = fetch(method, target, data)[0]
                if profiler:
                    profiler.disable()
                elapsed += time.perf_counter() - started
                if status not in (200, 302):
                    raise RuntimeError(f"{page.name}: {path} answered {status}")
        per = elapsed / args.requests * 1000
        print(f"{page.name:<22} {per:>10.2f} {len(seen) // args.requests:>8}")
        if profiler:
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
