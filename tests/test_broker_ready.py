"""broker_ready: the queue broker answers, or it does not (no process started)."""

from __future__ import annotations

import pytest

from openchirp.api.broker import broker_ready
from openchirp.config import Settings
from tests.support.server import free_port
from tests.support.topology import RABBIT, REDIS, rabbit_available, redis_available


def test_no_queue_url_needs_no_broker(tmp_path) -> None:
    assert broker_ready(Settings(data_dir=tmp_path)) is True


def test_a_broker_nobody_listens_on_is_not_ready(tmp_path) -> None:
    port = free_port()
    for url in (f"redis://127.0.0.1:{port}/0", f"amqp://guest:guest@127.0.0.1:{port}//"):
        assert broker_ready(Settings(data_dir=tmp_path, queue_url=url)) is False


@pytest.mark.skipif(not redis_available(), reason="needs Redis on loopback")
def test_redis_is_ready(tmp_path) -> None:
    assert broker_ready(Settings(data_dir=tmp_path, queue_url=f"{REDIS}/0")) is True


@pytest.mark.skipif(not rabbit_available(), reason="needs RabbitMQ on loopback")
def test_rabbitmq_is_ready(tmp_path) -> None:
    assert broker_ready(Settings(data_dir=tmp_path, queue_url=RABBIT)) is True
