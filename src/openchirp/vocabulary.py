"""The style-tag vocabulary shared by the engine and the cover art.

How tags are read (lower case, split into phrases, words matched whole) and which genre each
genre word names, so that a cover looks like the genre the engine plays. A module of its own,
importing nothing from openchirp: ``engines/`` and ``media/`` both read it, neither reads the
other.
"""

from __future__ import annotations

import re
from typing import Any


def normalise(text: str) -> str:
    """Lower case, ``_`` as a space, punctuation other than ``&'#/+-,.;|`` dropped."""
    text = text.lower().replace("_", " ")
    text = re.sub(r"[^\w&'#/+\-\s,.;|]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def phrases(text: str) -> list[str]:
    """Comma/semicolon separated phrases, each normalised."""
    return [p.strip() for p in re.split(r"[,;|\n.]+", normalise(text)) if p.strip()]


def tag_text(tags: str) -> str:
    """The phrases of ``tags`` joined by " , ", as every match reads them (a word never runs
    across two phrases)."""
    return " , ".join(phrases(tags))


def _whole(word: str) -> str:
    # letters, digits, "&" and "-" join words: "rap" is not in "trap", nor "pop" in "k-pop"
    return r"(?<![\w&-])" + re.escape(word) + r"(?![\w&-])"


def contains(haystack: str, needle: str) -> bool:
    """Whether ``needle`` occurs in ``haystack`` as whole words."""
    return re.search(_whole(needle), haystack) is not None


def find_all(text: str, table: dict[str, Any]) -> list[tuple[int, str]]:
    """(position, key) of every table key in text, longest keys first, without overlaps."""
    found: list[tuple[int, str]] = []
    taken = [False] * (len(text) + 1)
    for key in sorted(table, key=len, reverse=True):
        for m in re.finditer(_whole(key), text):
            if any(taken[m.start() : m.end()]):
                continue
            for i in range(m.start(), m.end()):
                taken[i] = True
            found.append((m.start(), key))
    return sorted(found)


# Spellings -> genre key. Multi-word names are matched before single words.
GENRE_ALIASES: dict[str, str] = {
    "pop": "pop",
    "dance pop": "pop",
    "synthpop": "electronic",
    "synth pop": "electronic",
    "electropop": "electronic",
    "rock": "rock",
    "hard rock": "rock",
    "classic rock": "rock",
    "alternative": "indie",
    "alt rock": "indie",
    "alternative rock": "indie",
    "indie": "indie",
    "indie rock": "indie",
    "indie pop": "indie",
    "heavy metal": "metal",
    "metal": "metal",
    "thrash": "metal",
    "thrash metal": "metal",
    "power metal": "metal",
    "metalcore": "metal",
    "death metal": "metal",
    "nu metal": "metal",
    "doom": "doom",
    "doom metal": "doom",
    "punk": "punk",
    "pop punk": "punk",
    "punk rock": "punk",
    "grunge": "grunge",
    "emo": "emo",
    "folk": "folk",
    "indie folk": "folk",
    "country": "country",
    "bluegrass": "country",
    "americana": "country",
    "blues": "blues",
    "jazz": "jazz",
    "swing": "jazz",
    "bebop": "jazz",
    "smooth jazz": "jazz",
    "soul": "soul",
    "neo soul": "soul",
    "motown": "soul",
    "r&b": "rnb",
    "rnb": "rnb",
    "r n b": "rnb",
    "rhythm and blues": "rnb",
    "hip hop": "hiphop",
    "hip-hop": "hiphop",
    "hiphop": "hiphop",
    "rap": "hiphop",
    "boom bap": "hiphop",
    "trap": "trap",
    "drill": "trap",
    "lo-fi": "lofi",
    "lofi": "lofi",
    "lo fi": "lofi",
    "chillhop": "lofi",
    "edm": "edm",
    "electro": "electronic",
    "electronic": "electronic",
    "electronica": "electronic",
    "dance": "edm",
    "house": "house",
    "deep house": "house",
    "techno": "techno",
    "trance": "trance",
    "dubstep": "dubstep",
    "drum and bass": "dnb",
    "drum & bass": "dnb",
    "drum n bass": "dnb",
    "drum'n'bass": "dnb",
    "dnb": "dnb",
    "d&b": "dnb",
    "jungle": "dnb",
    "synthwave": "synthwave",
    "synth wave": "synthwave",
    "retrowave": "synthwave",
    "outrun": "synthwave",
    "vaporwave": "chillwave",
    "chillwave": "chillwave",
    "disco": "disco",
    "nu disco": "disco",
    "funk": "funk",
    "funky": "funk",
    "reggae": "reggae",
    "dub": "reggae",
    "ska": "ska",
    "latin": "latin",
    "reggaeton": "latin",
    "salsa": "latin",
    "bossa nova": "bossa",
    "bossa": "bossa",
    "samba": "bossa",
    "k-pop": "kpop",
    "kpop": "kpop",
    "k pop": "kpop",
    "j-pop": "jpop",
    "jpop": "jpop",
    "j pop": "jpop",
    "anime": "jpop",
    "j-rock": "jpop",
    "gospel": "gospel",
    "worship": "gospel",
    "ballad": "ballad",
    "power ballad": "ballad",
    "acoustic": "acoustic",
    "singer-songwriter": "acoustic",
    "singer songwriter": "acoustic",
    "orchestral": "orchestral",
    "symphonic": "orchestral",
    "symphonic metal": "metal",
    "orchestra": "orchestral",
    "cinematic": "cinematic",
    "soundtrack": "cinematic",
    "film score": "cinematic",
    "epic": "cinematic",
    "ambient": "ambient",
    "new age": "ambient",
    "meditation": "ambient",
    "classical": "classical",
    "baroque": "classical",
    "waltz": "waltz",
    "afrobeat": "afrobeat",
    "afrobeats": "afrobeat",
    "afro": "afrobeat",
    "amapiano": "afrobeat",
    "grime": "hiphop",
    "phonk": "trap",
    "shoegaze": "indie",
    "dream pop": "chillwave",
    "city pop": "disco",
    "europop": "edm",
    "eurodance": "edm",
    "big room": "edm",
    "future bass": "edm",
}

GENRE_LOOKS: dict[str, str] = {
    "pop": "pop",
    "kpop": "pop",
    "jpop": "pop",
    "disco": "pop",
    "rock": "rock",
    "punk": "rock",
    "grunge": "rock",
    "indie": "rock",
    "emo": "rock",
    "metal": "metal",
    "doom": "metal",
    "folk": "folk",
    "country": "folk",
    "acoustic": "folk",
    "jazz": "jazz",
    "blues": "jazz",
    "soul": "jazz",
    "rnb": "jazz",
    "funk": "jazz",
    "bossa": "jazz",
    "hiphop": "hiphop",
    "trap": "hiphop",
    "lofi": "lofi",
    "electronic": "electronic",
    "edm": "electronic",
    "house": "electronic",
    "techno": "electronic",
    "trance": "electronic",
    "dubstep": "electronic",
    "dnb": "electronic",
    "synthwave": "synthwave",
    "chillwave": "synthwave",
    "reggae": "reggae",
    "ska": "reggae",
    "orchestral": "classical",
    "classical": "classical",
    "ambient": "ambient",
}
"""Genre -> the look of its cover art (a palette of ``media/cover.py``). Genres without a look
of their own (latin, gospel, ballad, waltz, afrobeat, cinematic) get colours drawn from the
tags: "epic reggae" looks like reggae, "epic orchestral" like classical."""

SCENE_WORDS: dict[str, str] = {
    "cyberpunk": "synthwave",
    "80s": "synthwave",
    "synth-pop": "synthwave",
    "heavy": "metal",
    "death": "metal",
    "hardcore": "metal",
    "grindcore": "metal",
    "industrial": "metal",
    "dancehall": "reggae",
    "roots": "reggae",
    "rocksteady": "reggae",
    "opera": "classical",
    "piano": "classical",
    "string": "classical",
    "chill": "lofi",
    "bedroom": "lofi",
    "dreamy": "lofi",
    "study": "lofi",
    "space": "ambient",
    "cosmic": "ambient",
    "drone": "ambient",
    "atmospheric": "ambient",
    "celtic": "folk",
    "garage": "rock",
    "bubblegum": "pop",
}
"""Words that name no genre but set a cover's look: scenes, moods, instruments."""

LOOK_WORDS: dict[str, str] = {
    word: GENRE_LOOKS[genre] for word, genre in GENRE_ALIASES.items() if genre in GENRE_LOOKS
} | SCENE_WORDS
"""Every word that sets a look -> the look."""

DIM_WORDS = ("dark", "sad", "melancholic", "somber", "gloomy", "haunting", "moody")
LIFT_WORDS = ("happy", "bright", "sunny", "upbeat", "summer", "cheerful", "joyful")


def shade_of(tags: str) -> int:
    """-1 when the tags name a mood that darkens a cover, +1 one that lightens it, else 0 (a
    dark word wins). Words are read inside compounds too ("dark-wave", "summer-time")."""
    text = _parts(tag_text(tags))
    if any(contains(text, word) for word in DIM_WORDS):
        return -1
    if any(contains(text, word) for word in LIFT_WORDS):
        return 1
    return 0


def _parts(text: str) -> str:
    return re.sub(r"[-&]", " ", text)


def look_of(tags: str) -> str:
    """The look of the style named earliest in ``tags`` ("" when no word sets one).

    A compound no table knows ("post-rock", "nu-metal", "rock&roll") is read by its parts when
    nothing else sets a look: a cover may guess where the engine plays its default genre."""
    text = tag_text(tags)
    hits = find_all(text, LOOK_WORDS) or find_all(_parts(text), LOOK_WORDS)
    return LOOK_WORDS[hits[0][1]] if hits else ""
