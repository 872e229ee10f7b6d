"""A Python client for OpenChirp, and for any server speaking gcui-art/suno-api's API.

    from openchirp.client import Client

    with Client("http://127.0.0.1:3000", api_key="oc_...") as songs:
        clips = songs.wait(songs.create("[Verse]\\nHello", tags="synthwave", title="Hi"))
        songs.download(clips[0], "out/")

``AsyncClient`` has the same methods for asyncio. Errors are :class:`ApiError` subclasses
naming the field; a clip that fails raises :class:`ClipFailed` from ``wait``. It imports nothing
of the server: ``pip install openchirp`` users can script a remote one.
"""

from openchirp.client.aio import AsyncClient
from openchirp.client.errors import (
    ApiError,
    ClipFailed,
    Conflict,
    InvalidRequest,
    NotFound,
    OpenChirpError,
    OutOfCredits,
    ServerError,
    Unauthorized,
    WaitTimeout,
)
from openchirp.client.models import Clip, Limits
from openchirp.client.sync import Client

__all__ = [
    "ApiError",
    "AsyncClient",
    "Client",
    "Clip",
    "ClipFailed",
    "Conflict",
    "InvalidRequest",
    "Limits",
    "NotFound",
    "OpenChirpError",
    "OutOfCredits",
    "ServerError",
    "Unauthorized",
    "WaitTimeout",
]
