"""The server's start-up warms the fingerprint stack, so its first fingerprint request is fast.

Whoever builds the server (the composition root) wraps its lifespan with
:func:`warming`. Each worker then holds the extractor and numba (about
70 MiB) from its start rather than from its first fingerprint request: the
price of a first request that takes 0.4 s instead of 10-16 s.

Start-up waits for the warm-up at most :data:`WAIT_S` seconds: with the
model already converted and the kernels cached that is about 1-3 s. On a
machine's very first start, when LEADER is still being converted to ONNX
(tens of seconds), the server starts serving anyway and the conversion
finishes in the background; a fingerprint request that comes meanwhile
waits for it, as it would have without the warm-up. A server without the
'biometrics' extra, or one whose warm-up fails, starts all the same: the
warm-up only moves work, it is never needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

WAIT_S = 10.0

Lifespan = Callable[[Any], contextlib.AbstractAsyncContextManager[None]]

log = logging.getLogger(__name__)


def warming(inner: Lifespan, enabled: bool = True) -> Lifespan:
    """``inner`` with the fingerprint warm-up in front of it."""
    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        if enabled:
            warming_up = asyncio.ensure_future(asyncio.to_thread(warm_up_quietly))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(warming_up), WAIT_S)
        async with inner(app):
            yield
    return lifespan


def warm_up_quietly() -> None:
    try:
        from openpesel.biometrics.warmup import warm_up

        warm_up()
    except Exception:  # ImportError without the extra; anything else is logged, not fatal
        log.warning("fingerprint warm-up failed; the first fingerprint request will be slow",
                    exc_info=True)
