"""The server, with every write transaction held ``OPENPESEL_TEST_COMMIT_DELAY_S`` after its
work and before its COMMIT: a slow disk, for crash tests.

A SIGKILL at a random moment then lands, most of the time, inside an audit
batch's transaction, after its entries were appended and before they
committed. A server that answered a read before its entry committed would
have answered some of them in that moment, and the crash test would find
their entries missing; a correct one has answered none of them yet.

For ``uvicorn --factory tests.support.slow_audit:app_from_environment``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from fastapi import FastAPI

from openpesel.bootstrap import asgi
from openpesel.storage.session import StoreTransaction
from openpesel.storage.store import Store

_write = Store.write


@contextmanager
def _slow_write(self: Store) -> Iterator[StoreTransaction]:
    with _write(self) as s:
        yield s
        time.sleep(float(os.environ.get("OPENPESEL_TEST_COMMIT_DELAY_S", "0.02")))


def app_from_environment() -> FastAPI:
    mock.patch.object(Store, "write", _slow_write).start()
    return asgi.app_from_environment()
