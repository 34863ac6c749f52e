"""Private file storage behind an interface, chosen by FILE_STORAGE ("local" by default).

Files are stored under random keys outside the static folder, and read back only through views
that check who may see them.
"""

from __future__ import annotations

import abc
import io
import os
import re
import secrets
from pathlib import Path

from flask import Flask, abort, current_app, send_file
from werkzeug.wrappers import Response

from lep.requests import clean_text

_KEY = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class FileStorage(abc.ABC):
    @abc.abstractmethod
    def save(self, data: bytes) -> str:
        """Store the bytes; return the new random key."""

    @abc.abstractmethod
    def read(self, key: str) -> bytes: ...

    @abc.abstractmethod
    def delete(self, key: str) -> None: ...


class LocalStorage(FileStorage):
    """A folder on disk (default: instance/uploads), files named by random keys."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise ValueError("not a storage key")
        return self.root / key[:2] / key

    def save(self, data: bytes) -> str:
        key = secrets.token_urlsafe(32)
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return key

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def storage_for(app: Flask) -> FileStorage:
    kind = app.config.get("FILE_STORAGE", "local")
    if kind != "local":
        raise RuntimeError(f"unknown FILE_STORAGE {kind!r}: use 'local'")
    root = app.config.get("UPLOAD_FOLDER") or os.path.join(app.instance_path, "uploads")
    return LocalStorage(root)


def get_storage() -> FileStorage:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    storage = app.extensions.get("lep_storage")
    if storage is None:
        storage = storage_for(app)
        app.extensions["lep_storage"] = storage
    return storage


def clean_file_name(filename: str, default: str = "file") -> str:
    """The name a file came with, fit to show to staff: the last part of any path, with no control
    characters at all (not even newlines), no bidirectional controls ("evil\\u202egnp.exe" would
    show as "evilexe.png") and no zero-width characters. Only ever shown, never used to serve it."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", clean_text(name))
    return name.strip()[:200] or default


_UNSAFE = re.compile(r"[^A-Za-z0-9]+")


def download_name(*parts: str, extension: str) -> str:
    """A file name we make, never the uploader's: the parts in letters, digits and hyphens, and the
    extension of the type the content was found to be, e.g. application-LEP-2026-000054-file.pdf."""
    stem = "-".join(p for p in (_UNSAFE.sub("-", part).strip("-") for part in parts) if p)
    ext = _UNSAFE.sub("", extension).lower() or "bin"
    return f"{stem or 'file'}.{ext}"


def send_private_file(
    storage_key: str, content_type: str, name: str, *, inline: bool = False
) -> Response:
    """A stored file with its checked type, under a name we made (`download_name`): a download
    (Content-Disposition: attachment), or `inline` where a page plays it (an <audio> element),
    never cached, never sniffed, and sandboxed should a browser open it anyway. 404 if it has gone
    from storage."""
    try:
        data = get_storage().read(storage_key)
    except (OSError, ValueError):
        abort(404)
    response: Response = send_file(
        io.BytesIO(data),
        mimetype=content_type,
        as_attachment=not inline,
        download_name=name,
        max_age=0,
    )

    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
