"""The composition root: the one place that builds the register's objects from ``Settings``.

The server (:mod:`openpesel.bootstrap.asgi`), every console command and the
demo get their store, register, audit log and gate here, so that each is put
together one way (one signing key, one fingerprint folder, one schema check)
and no adapter decides how. Tests may build their own; nothing else does.

This module stays free of the web stack: every console command imports it,
and importing FastAPI and the pages cost each one about 2 s (issue 13,
item 10). The ASGI application is built in :mod:`openpesel.bootstrap.asgi`.

The gate builds the fingerprint service and the examiners' desk itself, on
first use and from the ``image_dir`` given here: the fingerprint stack takes
seconds to import, and most commands and requests never touch it.
"""

from __future__ import annotations

import datetime

from openpesel.access.audit import AuditLog
from openpesel.access.gate import Gate
from openpesel.access.signing import configured_key
from openpesel.config import Settings
from openpesel.errors import NotInitialised
from openpesel.registry.service import Register
from openpesel.storage.engine import PoolSize
from openpesel.storage.store import Store

__all__ = ["audit_log", "build_gate", "open_register", "open_store"]


def open_store(settings: Settings) -> Store:
    """The store the settings name, as it is: ``restore`` fills an empty one."""
    return Store(settings.url(), replica_url=settings.replica_url,
                 pool=PoolSize(settings.pool_size, settings.pool_overflow,
                               settings.pool_timeout_s))


def open_register(settings: Settings, *, create: bool = False) -> Register:
    """The register on the configured store.

    ``create`` makes or upgrades the schema (``init``, the demo, the server);
    without it a store that was never initialised is refused with
    :class:`NotInitialised`, so a mistyped ``OPENPESEL_DATA_DIR`` does not
    quietly start an empty register.
    """
    store = open_store(settings)
    if create:
        store.initialise()
    elif not store.initialised():
        raise NotInitialised()
    return Register(store)


def audit_log(settings: Settings) -> AuditLog:
    """The audit log, signing with the configured key (created on first use by default)."""
    key = configured_key(settings.audit_key.get_secret_value() if settings.audit_key else None,
                         settings.audit_key_file, settings.audit_key_path())
    interval = settings.audit_sign_interval_s
    return AuditLog(key, settings.audit_sign_every,
                    datetime.timedelta(seconds=interval) if interval else None)


def build_gate(settings: Settings, register: Register | None = None) -> Gate:
    """The accountable gate over ``register`` (by default: the configured one, created)."""
    if register is None:
        register = open_register(settings, create=True)
    return Gate(register, audit_log(settings), image_dir=settings.data_dir / "fingerprints")
