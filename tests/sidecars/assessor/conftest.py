from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sidecars.assessor.apps import bad_app, good_app
from tests.support.servers import RunningServer, uvicorn_in_thread


@pytest.fixture(scope="module")
def good_server() -> Iterator[RunningServer]:
    with uvicorn_in_thread(good_app()) as server:
        yield server


@pytest.fixture(scope="module")
def bad_server() -> Iterator[RunningServer]:
    with uvicorn_in_thread(bad_app()) as server:
        yield server
