"""Copy only the built NHS.UK frontend files lep uses from node_modules into lep/static.

The built CSS asks for the Frutiger font from assets.nhs.uk. The font is licensed to the NHS and
not in the npm package, and lep serves nothing from outside its own site (the CSP's font-src is
'self'), so the copy leaves out each @font-face that points outside: the pages use the fallback
in NHS.UK's own font stack (Arial), and the browser neither asks for the font nor logs a CSP error.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk"
STATIC = ROOT / "lep" / "static"

FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")
# A url() or @import that leaves the site: any scheme but data: (https:, http:), or a "//" one.
OUTSIDE = re.compile(
    r"""(?:url\(\s*|@import\s+(?:url\(\s*)?)["']?(?!data:)(?:[a-z][a-z0-9+.-]*:|//)""", re.I
)


def outside_urls(css: str) -> list[str]:
    """Each url() or @import in the CSS that would fetch from another site."""
    return [css[m.start() : m.end() + 60] for m in OUTSIDE.finditer(css)]


def without_outside_fonts(css: str) -> str:
    """The CSS without the @font-face rules that load a font from another site."""
    return FONT_FACE.sub(lambda m: "" if outside_urls(m.group(0)) else m.group(0), css)


def main() -> int:
    if not DIST.is_dir():
        print(f"{DIST} is missing: run `npm ci` first", file=sys.stderr)
        return 1
    version = json.loads((DIST.parent.parent / "package.json").read_text())["version"]
    out = STATIC / "nhsuk"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    css = without_outside_fonts((DIST / "nhsuk-frontend.min.css").read_text(encoding="utf-8"))
    left = outside_urls(css)
    if left:
        print(f"nhsuk-frontend.min.css still loads from outside: {left}", file=sys.stderr)
        return 1
    (out / "nhsuk-frontend.min.css").write_text(css, encoding="utf-8")
    shutil.copy2(DIST / "nhsuk-frontend.min.js", out / "nhsuk-frontend.min.js")
    (out / "VERSION").write_text(version + "\n")
    assets = STATIC / "assets"
    if assets.exists():
        shutil.rmtree(assets)
    shutil.copytree(DIST / "assets", assets)
    print(f"nhsuk-frontend {version}: CSS, JS and assets copied to {STATIC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
