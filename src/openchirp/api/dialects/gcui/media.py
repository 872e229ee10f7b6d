"""What a finished clip has beyond its mp3: word-timed lyrics, stems, wav and waveform data.

``get_aligned_lyrics`` and ``generate_stems`` are gcui-art/suno-api's routes; ``get_wav`` and
``waveform`` are OpenChirp's own beside them (sunoapi.org exposes wav the same way: ask, get a
URL), in gcui's error shape.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from openchirp.api.deps import LenientUserDep
from openchirp.api.dialects.base import TEXT
from openchirp.api.dialects.gcui.shape import responses
from openchirp.core.service import Artefacts
from openchirp.media.lyrics_timing import aligned_words
from openchirp.storage import load_peaks

router = APIRouter(tags=["clip files"])

FIELD_NAMES_BY_ROUTE = {
    "/api/get_wav": {"clip_id": "id"},
    "/api/waveform": {"clip_id": "id"},
    "/api/get_aligned_lyrics": {"clip_id": "song_id"},
}


def get_artefacts(request: Request) -> Artefacts:
    return request.app.state.artefacts


ArtefactsDep = Annotated[Artefacts, Depends(get_artefacts)]
ERRORS = responses(401, 404, 409, 422)


class GenerateStems(BaseModel):
    audio_id: str = Field(json_schema_extra=TEXT)


@router.get("/api/get_aligned_lyrics", responses=ERRORS)
def get_aligned_lyrics(
    artefacts: ArtefactsDep,
    user: LenientUserDep,
    song_id: str = Query(description="A clip id", json_schema_extra=TEXT),
) -> JSONResponse:
    """Every sung word with its start and end, from the engine's own timings (exact)."""
    return JSONResponse(aligned_words(artefacts.words(user, song_id)))


@router.post("/api/generate_stems", responses=responses(400, 401, 404, 409, 422))
def generate_stems(
    body: GenerateStems, artefacts: ArtefactsDep, user: LenientUserDep
) -> JSONResponse:
    clips = artefacts.stems(user, body.audio_id)
    return JSONResponse(
        [
            {
                "id": c["id"],
                "status": c["status"],
                "created_at": c["created_at"],
                "title": c["title"],
                "stem_from_id": c["metadata"]["stem_from_id"],
                "duration": c["metadata"]["duration"],
            }
            for c in clips
        ]
    )


@router.get("/api/get_wav", responses=ERRORS)
def get_wav(
    artefacts: ArtefactsDep,
    user: LenientUserDep,
    id: str = Query(description="A clip id", json_schema_extra=TEXT),
) -> JSONResponse:  # noqa: A002
    return JSONResponse({"id": id, "wav_url": artefacts.file_url(user, id, "wav_key")})


@router.get("/api/waveform", responses=ERRORS)
async def waveform(
    artefacts: ArtefactsDep,
    user: LenientUserDep,
    id: str = Query(description="A clip id", json_schema_extra=TEXT),
) -> JSONResponse:  # noqa: A002
    """Peaks for drawing the clip's waveform (1000 points, 0..1)."""
    clip = await run_in_threadpool(artefacts.complete_clip, user, id)
    peaks = load_peaks(artefacts.service.storage, clip.id) or []
    return JSONResponse({"id": clip.id, "duration": clip.meta.get("duration"), "peaks": peaks})
