from __future__ import annotations

import numpy as np
import pytest
from media_helpers import SR, tone


@pytest.fixture
def song() -> np.ndarray:
    """3 s: a tone with a noise burst in the middle."""
    pcm = tone(3.0)
    rng = np.random.default_rng(0)
    pcm[SR : SR + SR // 2] += rng.normal(0, 0.1, (SR // 2, 2)).astype(np.float32)
    return pcm


@pytest.fixture
def cover_jpeg() -> bytes:
    from openchirp.media.cover import make_cover

    return make_cover("Test Song", "synthwave", "clip-fixture", 256)
