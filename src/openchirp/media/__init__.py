"""The media layer: files from PCM blocks, word timings and a title; no HTTP, no SQL.

- :mod:`.audio`: streaming mp3 writer (ID3 tag with cover, ``.done`` marker), wav, decode
- :mod:`.id3`: the ID3v2.3 tag, written and read by hand
- :mod:`.cover`: cover art JPEGs following the style tags
- :mod:`.video`: the lyric video mp4 (H.264 + AAC)
- :mod:`.waveform`: peaks, whole or accumulated block by block
- :mod:`.streaming`: tailing a file that is still growing
- :mod:`.lyrics_timing`: word timings to lyric lines and aligned words
"""
