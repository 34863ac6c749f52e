"""Copy only the built NHS.UK frontend files lep uses from node_modules into lep/static."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk"
STATIC = ROOT / "lep" / "static"


def main() -> int:
    if not DIST.is_dir():
        print(f"{DIST} is missing: run `npm ci` first", file=sys.stderr)
        return 1
    version = json.loads((DIST.parent.parent / "package.json").read_text())["version"]
    out = STATIC / "nhsuk"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in ("nhsuk-frontend.min.css", "nhsuk-frontend.min.js"):
        shutil.copy2(DIST / name, out / name)
    (out / "VERSION").write_text(version + "\n")
    assets = STATIC / "assets"
    if assets.exists():
        shutil.rmtree(assets)
    shutil.copytree(DIST / "assets", assets)
    print(f"nhsuk-frontend {version}: CSS, JS and assets copied to {STATIC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
