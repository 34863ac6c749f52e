"""The NHS.UK frontend CSS we serve asks for nothing from another site (issue 13, item 15).

The built CSS loads the Frutiger font from assets.nhs.uk; our CSP (font-src 'self') blocked it
and every page logged console errors. scripts/copy_assets.py leaves those @font-face rules out.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Any url() or @import with a scheme (https:, http:) or a protocol-relative "//", but data:.
OUTSIDE = re.compile(r"""(?:url\(\s*|@import\s+)["']?(?!data:)(?:[a-z][a-z0-9+.-]*:|//)""", re.I)


def _copy_assets():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("copy_assets", ROOT / "scripts/copy_assets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_css_we_serve_loads_nothing_from_outside(client):
    for path in ("/static/nhsuk/nhsuk-frontend.min.css", "/static/css/lep.css"):
        response = client.get(path)
        assert response.status_code == 200
        css = response.get_data(as_text=True)
        assert OUTSIDE.findall(css) == [], path
    served = client.get("/static/nhsuk/nhsuk-frontend.min.css").get_data(as_text=True)
    # Still NHS.UK's font stack, which falls back to Arial without the web font.
    assert re.search(r"font-family:\s*Frutiger W01,\s*arial", served, re.I)
    assert "@font-face" not in served


def test_the_copy_leaves_out_fonts_from_outside_and_keeps_our_own():
    copy_assets = _copy_assets()
    css = (
        "a{color:red}"
        "@font-face{font-family:Frutiger W01;src:url(https://assets.nhs.uk/fonts/F.woff2) "
        'format("woff2"),url(https://assets.nhs.uk/fonts/F.woff) format("woff")}'
        "@font-face{font-family:Ours;src:url(/static/fonts/ours.woff2)}"
        "@font-face{font-family:Other;src:url('//fonts.example.com/x.woff2')}"
        ".icon{background:url(data:image/svg+xml;base64,AAAA)}"
    )
    kept = copy_assets.without_outside_fonts(css)
    assert kept == (
        "a{color:red}@font-face{font-family:Ours;src:url(/static/fonts/ours.woff2)}"
        ".icon{background:url(data:image/svg+xml;base64,AAAA)}"
    )
    assert copy_assets.outside_urls(kept) == []
    assert len(copy_assets.outside_urls(css)) == 3
    assert copy_assets.outside_urls('@import "https://example.com/x.css";') != []
    assert copy_assets.outside_urls("@import url(https://example.com/x.css);") != []
