"""make bench-compare: the latest result against the one before it (same scale), page by page.

.venv/bin/python -m bench.compare [--scale S] [OLD.json NEW.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def _pct(old: float, new: float) -> str:
    if not old:
        return "   n/a"
    return f"{(new - old) / old * 100:+6.1f}%"


def _when(path: Path) -> tuple[str, str]:
    """When the run was made (recorded in the file: a fresh clone's file times say nothing)."""
    try:
        return (json.loads(path.read_text())["machine"]["date"], path.name)
    except (ValueError, KeyError, TypeError):
        return ("", path.name)


def pick(scale: str | None) -> tuple[Path, Path] | None:
    """The two newest results of a scale (the newest file's scale when none is given)."""
    files = sorted(RESULTS.glob("*.json"), key=_when)
    if scale:
        files = [p for p in files if p.name.startswith(f"{scale}-")]
    elif files:
        latest = files[-1].name.split("-", 1)[0]
        files = [p for p in files if p.name.startswith(f"{latest}-")]
    return (files[-2], files[-1]) if len(files) >= 2 else None


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    lines = [
        f"{'page':<22}{'req/s':>16}{'':>8}{'p95 ms':>16}{'':>8}{'ratio':>14}{'queries':>10}",
    ]
    before = {row["page"]: row for row in old["rows"]}
    for row in new["rows"]:
        was = before.get(row["page"])
        if was is None:
            lines.append(f"{row['page']:<22}  (new) {row['rps']:.0f} req/s, p95 {row['p95_ms']} ms")
            continue
        queries = (
            f"{was['queries_now']}->{row['queries_now']}"
            if was["queries_now"] != row["queries_now"]
            else f"{row['queries_now']}"
        )
        lines.append(
            f"{row['page']:<22}{was['rps']:>8.0f}{row['rps']:>8.0f}"
            f"{_pct(was['rps'], row['rps']):>8}"
            f"{was['p95_ms']:>8.1f}{row['p95_ms']:>8.1f}{_pct(was['p95_ms'], row['p95_ms']):>8}"
            f"{was['ratio']:>7.2f}{row['ratio']:>7.2f}{queries:>10}"
        )
    runs = {r["payees"]: r["seconds"] for r in old.get("payment_runs", [])}
    for run in new.get("payment_runs", []):
        was = runs.get(run["payees"])
        change = (
            ""
            if was is None
            else f"{was:.2f} s -> {run['seconds']:.2f} s {_pct(was, run['seconds'])}"
        )
        lines.append(
            f"payment run {run['payees']:>6,}  {change or str(run['seconds']) + ' s (new)'}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale")
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    if len(args.files) == 2:
        old_path, new_path = args.files
    else:
        found = pick(args.scale)
        if found is None:
            print("Nothing to compare: bench/results/ needs two results of the same scale")
            return 0
        old_path, new_path = found
    old, new = json.loads(old_path.read_text()), json.loads(new_path.read_text())
    print(f"{old_path.name} -> {new_path.name} (scale {new['scale']})")
    if old["scale"] != new["scale"]:
        print(f"note: comparing scale {old['scale']} with {new['scale']}")
    print("\n".join(compare(old, new)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
