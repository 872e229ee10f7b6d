"""A real S3-speaking server on loopback for the tests: moto's S3 in a thread of the test process.

Servers under test reach it over HTTP like any S3 endpoint; the variables from :meth:`env` point
``OPENCHIRP_STORAGE_URL`` and the AWS settings at it.
"""

from __future__ import annotations

import logging

import httpx
import obstore
from moto.server import ThreadedMotoServer
from obstore.store import S3Store

REGION = "us-east-1"


class S3Server:
    def __init__(self) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.endpoint = ""

    def start(self) -> S3Server:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        self._server.stop()

    def create_bucket(self, name: str) -> None:
        # moto does not check signatures by default: a bare PUT makes the bucket.
        httpx.put(f"{self.endpoint}/{name}", timeout=10).raise_for_status()

    def store(self, bucket: str) -> S3Store:
        return S3Store(
            bucket,
            config={
                "endpoint": self.endpoint,
                "region": REGION,
                "access_key_id": "testing",
                "secret_access_key": "testing",
                "virtual_hosted_style_request": False,
            },
            client_options={"allow_http": True},
        )

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every key in the bucket under ``prefix``."""
        return sorted(
            meta["path"] for page in obstore.list(self.store(bucket), prefix) for meta in page
        )

    def get(self, bucket: str, key: str) -> bytes:
        return bytes(obstore.get(self.store(bucket), key).bytes())

    def env(self, bucket: str, prefix: str) -> dict[str, str]:
        """The variables that send a server's storage to ``s3://bucket/prefix`` here."""
        return {
            "OPENCHIRP_STORAGE_URL": f"s3://{bucket}/{prefix}",
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
