"""What a file really is, from its content, never from its name.

The first bytes say what a file claims to be; pictures and recordings are then decoded to prove it
(Pillow reads the whole picture, mutagen the recording's headers and frames), so a file that only
starts like an MP3 (FF FB) or a PNG is refused.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import mutagen
from mutagen.mp3 import MP3 as MP3File
from mutagen.mp4 import MP4 as MP4File
from mutagen.oggflac import OggFLAC
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE as WAVEFile
from PIL import Image

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


ALL = (PDF, DOCX, DOC, ODT, PNG, JPEG, GIF, WEBP, MP3, WAV, OGG, M4A)
_BY_CONTENT_TYPE = {t.content_type: t for t in ALL}
MAX_PIXELS = 50_000_000  # a picture bigger than this is not a supporting file (or a receipt)


def extension_for(content_type: str) -> str:
    """The extension for a type we detected ("pdf"), "bin" for anything else."""
    known = _BY_CONTENT_TYPE.get(content_type)
    return known.extension if known is not None else "bin"


def sniff(data: bytes) -> FileType | None:
    """The type of an allowed file, judged by its content; None for anything else."""
    claimed = _claimed(data)
    if claimed is None:
        return None
    if claimed.kind == "image" and not _is_picture(data, claimed):
        return None
    if claimed.kind == "audio" and not _is_recording(data, claimed):
        return None
    return claimed


def _is_picture(data: bytes, claimed: FileType) -> bool:
    """Pillow opens it as the format its first bytes claim, checks it, and decodes every pixel."""
    formats = {PNG: "PNG", JPEG: "JPEG", GIF: "GIF", WEBP: "WEBP"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[formats[claimed]]) as picture:
                width, height = picture.size
                if width * height > MAX_PIXELS:
                    return False
                picture.verify()  # a PNG's chunks to the end, with their checksums
            with Image.open(io.BytesIO(data), formats=[formats[claimed]]) as picture:
                picture.load()  # and every pixel decoded
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning, EOFError):
        return False
    except Image.DecompressionBombError:
        return False
    return True


_AUDIO_READERS: dict[FileType, tuple[Callable[..., mutagen.FileType], ...]] = {
    MP3: (MP3File,),
    WAV: (WAVEFile,),
    OGG: (OggVorbis, OggOpus, OggFLAC),
    M4A: (MP4File,),
}


def _is_recording(data: bytes, claimed: FileType) -> bool:
    """mutagen reads the stream's headers (for an MP3, frames that follow each other) and finds
    sound of some length in it."""
    for reader in _AUDIO_READERS[claimed]:
        try:
            found = reader(io.BytesIO(data))
        except Exception:  # noqa: S112 - mutagen raises many kinds for a file it cannot read
            continue
        info = getattr(found, "info", None)
        if info is not None and getattr(info, "length", 0) > 0:
            return True
    return False


def _claimed(data: bytes) -> FileType | None:
    """What the first bytes say the file is."""
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
