"""Lyrics -> sections: ``[Verse]``, ``[Chorus]``, ... (case-insensitive, or no tags at all).

A tag line starts a section of the kind its words name ("Verse 2", "Pre-Chorus", "Guitar Solo",
"Hook"); a bracketed tag that names no section ("[Male vocals]", "[Whispered]") is a performance
note and is skipped. Lines become phrases. With no tags at all, stanzas (blank-line separated)
become verses, and a stanza that repeats becomes the chorus. An empty ``[Chorus]`` repeats the
last chorus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Checked in order: the first kind whose pattern matches the tag wins.
_KINDS: list[tuple[str, re.Pattern[str]]] = [
    ("prechorus", re.compile(r"pre[\s\-_]?chorus|pre[\s\-_]?hook|build[\s\-]?up|\bbuild\b|lift")),
    ("postchorus", re.compile(r"post[\s\-_]?chorus")),
    ("chorus", re.compile(r"chorus|hook|refrain")),
    ("verse", re.compile(r"verse|rap|spoken|couplet|strophe")),
    ("bridge", re.compile(r"bridge|middle\s*8|middle eight")),
    ("intro", re.compile(r"intro|opening|prelude")),
    ("outro", re.compile(r"outro|\bend\b|ending|coda|fade|finale")),
    ("solo", re.compile(r"solo")),
    ("break", re.compile(r"break|drop|breakdown|interlude|instrumental|riff")),
]
VOCAL_KINDS = {"verse", "prechorus", "chorus", "postchorus", "bridge"}
_TAG = re.compile(r"^\s*\[([^\]]*)\]\s*$|^\s*\(([^)]*)\)\s*$|^\s*\{([^}]*)\}\s*$")


@dataclass
class LyricSection:
    kind: str
    label: str
    lines: list[str] = field(default_factory=list)


def section_kind(tag: str) -> str | None:
    t = tag.strip().lower()
    for kind, pattern in _KINDS:
        if pattern.search(t):
            return kind
    return None


def clean_line(line: str) -> str:
    """A sung line without stage directions: '*whisper*' and trailing '[...]' notes go."""
    line = re.sub(r"\[[^\]]*\]|\*[^*]*\*", " ", line)
    return re.sub(r"\s+", " ", line).strip()


def parse_lyrics(lyrics: str) -> list[LyricSection]:
    """Split sectioned lyrics. Sections keep their order; empty vocal sections are dropped except
    an empty chorus, which repeats the previous chorus."""
    lines = lyrics.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    has_tags = any(_is_section_tag(ln) for ln in lines)
    if not has_tags:
        return _untagged(lines)
    sections: list[LyricSection] = []
    current: LyricSection | None = None
    for raw in lines:
        m = _TAG.match(raw)
        if m:
            tag = next(g for g in m.groups() if g is not None)
            kind = section_kind(tag)
            if kind is None and m.group(1) is None:
                # "(ooh ooh)" on its own line is a backing vocal, not a tag
                text = clean_line(tag)
                if text:
                    current = current or _new(sections, "verse", "Verse")
                    current.lines.append(text)
                continue
            if kind is None:
                continue
            current = _new(sections, kind, tag.strip() or kind.title())
            continue
        text = clean_line(raw)
        if text:
            current = current or _new(sections, "verse", "Verse")
            current.lines.append(text)
    out: list[LyricSection] = []
    last_chorus: list[str] = []
    for s in sections:
        if s.kind == "chorus":
            if s.lines:
                last_chorus = list(s.lines)
            elif last_chorus:
                s.lines = list(last_chorus)
        if s.kind in VOCAL_KINDS and not s.lines:
            continue
        out.append(s)
    return out


def _new(sections: list[LyricSection], kind: str, label: str) -> LyricSection:
    s = LyricSection(kind, label)
    sections.append(s)
    return s


def _is_section_tag(line: str) -> bool:
    m = _TAG.match(line)
    if not m:
        return False
    tag = next(g for g in m.groups() if g is not None)
    return m.group(1) is not None or section_kind(tag) is not None


def _untagged(lines: list[str]) -> list[LyricSection]:
    stanzas: list[list[str]] = [[]]
    for raw in lines:
        text = clean_line(raw)
        if text:
            stanzas[-1].append(text)
        elif stanzas[-1]:
            stanzas.append([])
    stanzas = [s for s in stanzas if s]
    if len(stanzas) == 1 and len(stanzas[0]) > 8:  # one long block: cut it into quatrains
        block = stanzas[0]
        stanzas = [block[i : i + 4] for i in range(0, len(block), 4)]
    keys = [tuple(x.lower() for x in s) for s in stanzas]
    repeated = {k for k in keys if keys.count(k) > 1}
    out = []
    verse_no = 0
    for s, k in zip(stanzas, keys, strict=True):
        if k in repeated:
            out.append(LyricSection("chorus", "Chorus", s))
        else:
            verse_no += 1
            out.append(LyricSection("verse", f"Verse {verse_no}", s))
    return out
