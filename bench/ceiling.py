"""The ceiling: a bare Flask app that answers each measured page with the bytes captured from the
real page (status, content type, Location, body). Served by gunicorn with the same settings as
the app, it is the framework's floor: the app's throughput over the ceiling's says what our own
code costs.

The driver sends the same requests to both, each with an `X-Bench-Page` header naming the page;
BENCH_CAPTURED names the JSON file of captured responses.

    BENCH_CAPTURED=captured.json gunicorn --workers 2 --bind 127.0.0.1:8001 bench.ceiling:app
"""

from __future__ import annotations

import base64
import json
import os

from flask import Flask, Response, request

app = Flask(__name__)

_PAGES: dict[str, dict] = {}


def load(path: str) -> None:
    with open(path) as handle:
        for name, page in json.load(handle).items():
            _PAGES[name] = dict(page, body=base64.b64decode(page["body"]))


if os.environ.get("BENCH_CAPTURED"):
    load(os.environ["BENCH_CAPTURED"])


@app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
@app.route("/<path:path>", methods=["GET", "POST"])
def captured(path: str) -> Response:
    page = _PAGES[request.headers.get("X-Bench-Page", "")]
    if request.method == "POST":
        request.form  # noqa: B018 (the framework parses the form, as the app's view does)
    response = Response(page["body"], status=page["status"], content_type=page["content_type"])
    if page.get("location"):
        response.headers["Location"] = page["location"]
    return response
