"""Small real files of each kind a supporting file may be, made here (nothing is fetched): the
content checks decode pictures and recordings, so a test needs the real thing."""

from __future__ import annotations

import io
import struct
import wave

from mutagen.ogg import OggPage
from PIL import Image


def picture(format: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format=format)
    return buffer.getvalue()


def mp3(frames: int = 20) -> bytes:
    """MPEG-1 Layer III frames, 128 kbit/s at 44.1 kHz (417 bytes each), one after another."""
    return (b"\xff\xfb\x90\x00" + b"\x00" * 413) * frames


def wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\x00\x00" * 8000)
    return buffer.getvalue()


def ogg() -> bytes:
    """An Ogg Vorbis stream's three header packets and one second of (empty) audio."""
    ident = b"\x01vorbis" + struct.pack("<IBIiiiBB", 0, 1, 8000, 0, 64000, 0, 0xB8, 1)
    comment = b"\x03vorbis" + struct.pack("<I", 4) + b"test" + struct.pack("<I", 0) + b"\x01"
    setup = b"\x05vorbis" + b"\x00" * 10
    pages = []
    for sequence, packets in enumerate([[ident], [comment, setup], [b"\x00" * 20]]):
        page = OggPage()
        page.packets = packets
        page.serial = 1
        page.sequence = sequence
        page.first = sequence == 0
        page.last = sequence == 2
        page.position = 8000 if page.last else 0
        pages.append(page.write())
    return b"".join(pages)


def _atom(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def m4a() -> bytes:
    """An MPEG-4 audio file's boxes: ftyp, and a moov with one sound track of two seconds."""
    entry = b"\x00" * 6 + struct.pack(">H", 1) + b"\x00" * 8
    entry += struct.pack(">HHHHI", 1, 16, 0, 0, 8000 << 16) + _atom(b"free", b"")
    stsd = _atom(b"stsd", b"\x00" * 4 + struct.pack(">I", 1) + _atom(b"mp4a", entry))
    mdhd = _atom(b"mdhd", b"\x00" * 12 + struct.pack(">II", 8000, 16000) + b"\x00" * 4)
    hdlr = _atom(b"hdlr", b"\x00" * 8 + b"soun" + b"\x00" * 13)
    minf = _atom(b"minf", _atom(b"stbl", stsd))
    mvhd = _atom(b"mvhd", b"\x00" * 12 + struct.pack(">II", 1000, 2000) + b"\x00" * 80)
    moov = _atom(b"moov", mvhd + _atom(b"trak", _atom(b"mdia", mdhd + hdlr + minf)))
    return (
        _atom(b"ftyp", b"M4A \x00\x00\x00\x00M4A mp42isom") + moov + _atom(b"mdat", b"\x00" * 100)
    )
