from __future__ import annotations

import io

import numpy as np
from PIL import Image

from openchirp.media.cover import fit_title, make_cover, palette_for, wrap_text


def load(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    assert img.format == "JPEG"
    return img


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(load(data).convert("RGB"), dtype=np.float32)


def test_cover_sizes_and_format() -> None:
    for size in (512, 1024, 1200):
        img = load(make_cover("A Song", "pop", "clip-1", size))
        assert img.size == (size, size) and img.mode == "RGB"


def test_deterministic_per_clip_id() -> None:
    assert make_cover("Title", "jazz, smooth", "abc", 512) == make_cover(
        "Title", "jazz, smooth", "abc", 512
    )


def test_two_clips_of_a_request_look_different() -> None:
    for tags in ("synthwave", "heavy metal", "reggae", "lo-fi", "unknown genre words"):
        a = pixels(make_cover("Same Title", tags, "clip-a", 256))
        b = pixels(make_cover("Same Title", tags, "clip-b", 256))
        assert np.abs(a - b).mean() > 12, tags


def test_palette_follows_the_tags() -> None:
    assert palette_for("dark heavy metal, male vocals").name == "metal"
    assert palette_for("80s synthwave").name == "synthwave"
    assert palette_for("roots reggae").name == "reggae"
    assert palette_for("smooth jazz").name == "jazz"
    assert palette_for("lo-fi beats").name == "lofi"
    # the style named first wins
    assert palette_for("jazz, metal").name == "jazz"
    assert palette_for("metal, jazz").name == "metal"
    # "rap" inside "trapeze" is no match
    assert palette_for("trapeze music").name == "generic"


def test_genre_colours_show_in_the_image() -> None:
    def mean_rgb(tags: str) -> np.ndarray:
        ids = [f"clip-{i}" for i in range(4)]
        return np.mean(
            [pixels(make_cover("X", tags, i, 128)).mean(axis=(0, 1)) for i in ids], axis=0
        )

    metal, reggae, classical = mean_rgb("metal"), mean_rgb("reggae"), mean_rgb("classical")
    assert metal.sum() < reggae.sum() and metal.sum() < classical.sum()  # metal is dark
    assert metal[0] > metal[2]  # ... and red rather than blue
    assert reggae[1] > reggae[2]  # reggae green/yellow over blue
    assert classical.mean() > 150  # ivory


def test_cover_with_long_and_odd_titles() -> None:
    long = "A Very Long Title That Goes On And On About Nothing In Particular Really " * 3
    for title in (long, "", "Supercalifragilisticexpialidocious" * 4, "日本語のタイトル ☃"):
        assert load(make_cover(title, "pop", "x", 512)).size == (512, 512)


def test_title_wrapping() -> None:
    font, lines = fit_title("word " * 60, 400, 60, 20, max_lines=3)
    assert len(lines) == 3 and lines[-1].endswith("…")
    assert all(font.getlength(line) <= 400 for line in lines)
    _, short = fit_title("Hi", 400, 60, 20)
    assert short == ["Hi"]
    assert wrap_text("", font, 100) == []
