"""Tags and title to the text MusicGen is conditioned on."""

from __future__ import annotations

from openchirp.vocabulary import GENRE_ALIASES, find_all, phrases, tag_text

PROMPT_CHARS = 400
"""MusicGen was trained on one- or two-sentence descriptions; longer text adds nothing."""


def text_prompt(tags: str, title: str = "") -> str:
    """A description in MusicGen's style: the genres named first, then the other style phrases,
    "instrumental", and the title as a theme. Empty tags still give a usable prompt."""
    found = find_all(tag_text(tags), GENRE_ALIASES)
    genres = list(dict.fromkeys(GENRE_ALIASES[key] for _, key in found))
    rest = [p for p in phrases(tags) if p not in genres]
    words = [", ".join(genres) + " track" if genres else "music track", *rest, "instrumental"]
    text = ", ".join(words)
    if title.strip():
        text += f', in the mood of a song called "{title.strip()}"'
    return text[:PROMPT_CHARS]


def negative_prompt(negative_tags: str) -> str:
    """What to steer away from (classifier-free guidance against it), or "" for none."""
    return ", ".join(phrases(negative_tags))[:PROMPT_CHARS]
