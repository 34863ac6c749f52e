"""What a file really is, from its first bytes, never from its name."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

MAX_FILE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class FileType:
    kind: str  # pdf, word, image, audio
    content_type: str
    extension: str


PDF = FileType("pdf", "application/pdf", "pdf")
DOCX = FileType(
    "word", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"
)
DOC = FileType("word", "application/msword", "doc")
ODT = FileType("word", "application/vnd.oasis.opendocument.text", "odt")
PNG = FileType("image", "image/png", "png")
JPEG = FileType("image", "image/jpeg", "jpg")
GIF = FileType("image", "image/gif", "gif")
WEBP = FileType("image", "image/webp", "webp")
MP3 = FileType("audio", "audio/mpeg", "mp3")
WAV = FileType("audio", "audio/wav", "wav")
OGG = FileType("audio", "audio/ogg", "ogg")
M4A = FileType("audio", "audio/mp4", "m4a")

ALLOWED_DESCRIPTION = (
    "a PDF, a Word document, a picture (JPG, PNG, GIF) or a sound recording (MP3, WAV, M4A, OGG)"
)


def sniff(data: bytes) -> FileType | None:
    """The type of an allowed file, judged by its content; None for anything else."""
    head = data[:64]
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"OggS"):
        return OGG
    if head[4:8] == b"ftyp" and head[8:11] in (b"M4A", b"mp4", b"iso", b"M4B"):
        return M4A
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return MP3
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return DOC  # Word 97-2003 (OLE compound file)
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    return None


def _sniff_zip(data: bytes) -> FileType | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "word/document.xml" in names:
                return DOCX
            odt = b"application/vnd.oasis.opendocument.text"
            if "mimetype" in names and archive.read("mimetype").strip() == odt:
                return ODT
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError):
        return None
    return None
