"""The Info frame at the head of a constant-bit-rate mp3 (Xing header + LAME tag).

A silent first frame that players read for the exact duration (frame count), the size, a seek
table, and the encoder delay and padding, so that decoders drop LAME's 576 samples of delay and
the tail padding: the decoded song is exactly as long as the PCM that went in (gapless).

The frame is written as a placeholder when the file is opened (delay known, counts zero), so a
reader tailing the growing file already sees a valid mp3, and rewritten in place on close.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

SAMPLES_PER_FRAME = 1152  # MPEG-1 Layer III
ENCODER_DELAY = 576  # LAME's fixed delay at the start of the stream
DECODER_DELAY = 529  # what an mp3 decoder adds on top; players subtract it themselves

_RATES = {44_100: 0, 48_000: 1, 32_000: 2}
_RATE_OF_INDEX = tuple(_RATES)
_BITRATES_KBPS = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_SIDE_INFO_STEREO = 32
_TOC_SIZE = 100
_FLAGS = 0x0F  # frames, bytes, TOC and quality fields present
_ENCODER = b"LAME3.100"
_TAG_CRC_SPAN = 190  # the tag CRC covers the frame up to the CRC itself


def _crc16_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC16 = _crc16_table()


def crc16(data: bytes, crc: int = 0) -> int:
    """CRC-16/ARC (polynomial 0x8005, reflected), the checksum of the LAME tag."""
    for byte in data:
        crc = (crc >> 8) ^ _CRC16[(crc ^ byte) & 0xFF]
    return crc


def frame_header(bitrate: int, sample_rate: int) -> bytes:
    """An MPEG-1 Layer III header without padding, joint stereo, as LAME writes them."""
    if sample_rate not in _RATES:
        raise ValueError(f"mp3 sample rate must be one of {sorted(_RATES)}, got {sample_rate}")
    kbps = bitrate // 1000
    if kbps not in _BITRATES_KBPS[1:] or kbps * 1000 != bitrate:
        raise ValueError(f"mp3 bitrate must be one of {_BITRATES_KBPS[1:]} kbps, got {bitrate}")
    b2 = _BITRATES_KBPS.index(kbps) << 4 | _RATES[sample_rate] << 2
    return bytes((0xFF, 0xFB, b2, 0x44))


def frame_length(header: bytes) -> int:
    """Bytes in the MPEG-1 Layer III frame that starts with ``header``."""
    if header[0] != 0xFF or header[1] & 0xFE != 0xFA:
        raise ValueError("not an MPEG-1 Layer III frame header")
    kbps = _BITRATES_KBPS[header[2] >> 4]
    rate = _RATE_OF_INDEX[header[2] >> 2 & 3]
    return 144_000 * kbps // rate + (header[2] >> 1 & 1)


@dataclass
class FrameIndex:
    """Where each audio frame starts, fed with the encoder's output as it comes."""

    offsets: list[int] = field(default_factory=list)
    size: int = 0
    _next: int = 0
    _pending: bytes = b""

    def feed(self, data: bytes) -> None:
        start = self.size
        self.size += len(data)
        # A header may straddle two chunks: keep up to 3 bytes of the previous one.
        buf, base = self._pending + data, start - len(self._pending)
        while self._next + 4 <= base + len(buf):
            at = self._next - base
            self.offsets.append(self._next)
            self._next += frame_length(buf[at : at + 4])
        self._pending = buf[max(0, len(buf) - 3) :]


def info_frame(
    *,
    bitrate: int,
    sample_rate: int,
    samples: int = 0,
    index: FrameIndex | None = None,
) -> bytes:
    """The Info frame for ``samples`` of PCM encoded into the frames of ``index``.

    With no index it is the placeholder: counts and table zero, the delay already right.
    """
    header = frame_header(bitrate, sample_rate)
    size = frame_length(header)
    frames = len(index.offsets) if index else 0
    total = size + index.size if index else 0  # the Info frame counts itself
    toc = bytes(_TOC_SIZE)
    padding = 0
    if index and frames:
        toc = bytes(
            min(255, 256 * (size + index.offsets[i * frames // _TOC_SIZE]) // total)
            for i in range(_TOC_SIZE)
        )
        padding = max(0, frames * SAMPLES_PER_FRAME - samples - ENCODER_DELAY)
    body = header + bytes(_SIDE_INFO_STEREO)
    body += b"Info" + struct.pack(">III", _FLAGS, frames, total) + toc + struct.pack(">I", 0)
    body += _ENCODER
    body += bytes((0x01, 0))  # tag revision 0, CBR; lowpass not recorded
    body += bytes(8)  # no ReplayGain
    body += bytes((0, min(255, bitrate // 1000)))  # no flags; the constant bit rate
    body += (ENCODER_DELAY << 12 | min(padding, 0xFFF)).to_bytes(3, "big")
    body += bytes(4)  # misc, mp3 gain, preset
    body += struct.pack(">I", total)
    # The music CRC is optional and no decoder we know checks it; computing it here would cost
    # more than the encoding itself. Zero says "not computed".
    body += struct.pack(">H", 0)
    body += struct.pack(">H", crc16(body[:_TAG_CRC_SPAN]))
    return body + bytes(size - len(body))
