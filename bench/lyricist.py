"""Description mode: what survives of the description, how the lines scan, and the time taken.

    PYTHONPATH=src .venv/bin/python bench/lyricist.py [--seeds 3]

Reads the 30 descriptions of tests/engines/composer/test_description_mode.py (their text only,
so the script also runs against an older checkout's src: compare before and after in one go)
and prints: how often the engine plays the genre named first, how often the subject is sung in
the chorus and named in the title, the share of sections whose lines have one syllable count,
the stress agreement of lines with their section's first line, and the CPU time per description
(first call of the process, which loads espeak-ng, then median and 90th percentile).
"""

from __future__ import annotations

import argparse
import ast
import re
import statistics
import time
from pathlib import Path

from openchirp.engines.composer.lyricist import make_lyrics
from openchirp.engines.composer.style import parse_style
from openchirp.engines.composer.voice.phonemes import syllable_count, words_of

_TEST = Path(__file__).parents[1] / "tests/engines/composer/test_description_mode.py"


def cases() -> list[tuple[str, list[str], list[str], list[str]]]:
    source = _TEST.read_text(encoding="utf-8")
    literal = source.split("CASES: list[tuple[str, list[str], list[str], list[str]]] = ", 1)[1]
    return ast.literal_eval(literal.split("\nSEEDS", 1)[0])


def sections(lyrics: str) -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    for line in lyrics.splitlines():
        if re.fullmatch(r"\[[^\]]+\]", line.strip()):
            out.append((line.strip(), []))
        elif line.strip() and out:
            out[-1][1].append(line.strip())
    return out


def has_word(text: str, word: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word.lower())}(?!\w)", text.lower()) is not None


def stresses(line: str) -> list[bool]:
    return [s.stressed for w in words_of(line) for s in w.syllables]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    start = time.thread_time()
    make_lyrics("a jazzy tune about coffee", 0)
    first = time.thread_time() - start
    genre_ok = genre_n = chorus_ok = title_ok = songs = 0
    one_count: list[bool] = []
    agreement: list[float] = []
    times: list[float] = []
    for seed in range(1, args.seeds + 1):
        for description, genres, subject, _keep in cases():
            start = time.thread_time()
            song = make_lyrics(description, seed)
            times.append(time.thread_time() - start)
            songs += 1
            if genres:
                genre_n += 1
                genre_ok += parse_style(song.tags, seed=seed).genre == genres[0]
            parts = sections(song.lyrics)
            chorus = "\n".join(dict(parts).get("[Chorus]", []))
            chorus_ok += all(has_word(chorus, w) for w in subject)
            title_ok += any(has_word(song.title, w) for w in subject)
            for _, lines in parts:
                counts = [syllable_count(line) for line in lines]
                one_count.append(max(counts) == min(counts))
                ref = stresses(lines[0])
                for line in lines[1:]:
                    pairs = list(zip(reversed(stresses(line)), reversed(ref), strict=False))
                    agreement.append(sum(a == b for a, b in pairs) / max(1, len(pairs)))
    times.sort()
    print(f"named genre played     {genre_ok}/{genre_n}")
    print(f"subject in chorus      {chorus_ok}/{songs}")
    print(f"subject in title       {title_ok}/{songs}")
    print(f"one count per section  {statistics.mean(one_count):.2f}")
    print(f"stress agreement       {statistics.mean(agreement):.3f}")
    print(
        f"CPU ms per description first {1000 * first:.1f}, median "
        f"{1000 * statistics.median(times):.1f}, p90 {1000 * times[int(0.9 * len(times))]:.1f}"
    )


if __name__ == "__main__":
    main()
