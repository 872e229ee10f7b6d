"""ID3v2.3 tags written by hand: title, artist, album, encoder and a front-cover APIC frame.

mutagen is GPL, and FFmpeg's mp3 muxer only writes a picture when it is fed as a second
(attached-picture) stream; a tag built here is a few bytes of code and goes in front of the
mp3 frames before the first frame is encoded, so the streaming file is already the final file.
"""

from __future__ import annotations

import struct

_PICTURE_FRONT_COVER = 3


def _syncsafe(n: int) -> bytes:
    """28-bit integer in 4 bytes of 7 bits each (tag header size, ID3v2 section 3.1)."""
    if n >= 1 << 28:
        raise ValueError("ID3 tag too large")
    return bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])


def _text(value: str) -> tuple[bytes, bytes]:
    """(encoding byte, bytes): Latin-1 when it fits, else UTF-16 with BOM (v2.3 has no UTF-8)."""
    try:
        return b"\x00", value.encode("latin-1")
    except UnicodeEncodeError:
        return b"\x01", value.encode("utf-16")  # Python writes the BOM


def _frame(frame_id: str, body: bytes) -> bytes:
    # v2.3 frame sizes are plain big-endian (v2.4 made them syncsafe); flags zero.
    return frame_id.encode("ascii") + struct.pack(">I", len(body)) + b"\x00\x00" + body


def text_frame(frame_id: str, value: str) -> bytes:
    encoding, data = _text(value)
    return _frame(frame_id, encoding + data)


def apic_frame(image: bytes, mime: str = "image/jpeg", description: str = "Cover") -> bytes:
    """Attached picture: encoding, MIME (Latin-1, NUL-ended), picture type, description, data."""
    encoding, desc = _text(description)
    terminator = b"\x00\x00" if encoding == b"\x01" else b"\x00"
    body = (
        encoding
        + mime.encode("latin-1")
        + b"\x00"
        + bytes([_PICTURE_FRONT_COVER])
        + desc
        + terminator
        + image
    )
    return _frame("APIC", body)


def build_tag(
    *,
    title: str = "",
    artist: str = "",
    album: str | None = None,
    cover_jpeg: bytes | None = None,
    encoder: str = "OpenChirp",
) -> bytes:
    """A complete ID3v2.3 tag (header + frames), no padding, no unsynchronisation."""
    frames = b""
    for frame_id, value in (("TIT2", title), ("TPE1", artist), ("TALB", album), ("TSSE", encoder)):
        if value:
            frames += text_frame(frame_id, value)
    if cover_jpeg:
        frames += apic_frame(cover_jpeg)
    return b"ID3\x03\x00\x00" + _syncsafe(len(frames)) + frames


def read_tag(data: bytes) -> dict[str, list[bytes]]:
    """Frame bodies by frame id from an ID3v2.3 tag at the start of ``data`` ({} if none).

    Only what :func:`build_tag` writes is understood (no v2.4 syncsafe frame sizes, no
    unsynchronisation); used to check files and to pull the cover back out.
    """
    if len(data) < 10 or data[:3] != b"ID3" or data[3] != 3:
        return {}
    size = 0
    for b in data[6:10]:
        size = (size << 7) | (b & 0x7F)
    end = min(10 + size, len(data))
    pos = 10
    frames: dict[str, list[bytes]] = {}
    while pos + 10 <= end and data[pos] != 0:
        frame_id = data[pos : pos + 4].decode("latin-1")
        (length,) = struct.unpack(">I", data[pos + 4 : pos + 8])
        frames.setdefault(frame_id, []).append(data[pos + 10 : pos + 10 + length])
        pos += 10 + length
    return frames


def apic_image(body: bytes) -> tuple[str, int, bytes]:
    """(mime, picture type, image bytes) from an APIC frame body."""
    encoding = body[0]
    mime_end = body.index(b"\x00", 1)
    mime = body[1:mime_end].decode("latin-1")
    picture_type = body[mime_end + 1]
    pos = mime_end + 2
    if encoding in (1, 2):  # UTF-16: the description ends at an aligned double NUL
        while body[pos : pos + 2] != b"\x00\x00":
            pos += 2
        pos += 2
    else:
        pos = body.index(b"\x00", pos) + 1
    return mime, picture_type, body[pos:]
