"""The six ABIS operations over the register's own matcher, one synchronous call each.

MOSIP talks to an ABIS through queues; this adapter answers each message as
it arrives (over HTTP, or from any queue consumer that hands it the JSON), so
a request is finished when its response is sent and ``pendingJobs`` is always
0. References live in ``abis_references``; a per-process gallery of them is
rebuilt when another process has changed the table.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import threading
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from openpesel.abis import cbeff, messages as m
from openpesel.biometrics.errors import BiometricsError
from openpesel.storage import cases as refs
from openpesel.storage.store import StoreTransaction

if TYPE_CHECKING:
    from openpesel.biometrics import FingerprintTemplate
    from openpesel.biometrics.identification import Gallery

Fetcher = Callable[[str], bytes]
Operation = Callable[[StoreTransaction, m.Request, datetime.datetime], dict[str, Any]]
DEFAULT_THRESHOLD = 45.0
"""Without a targetFPIR flag, the register's own de-duplication threshold."""


def fetch_data_url(url: str) -> bytes:
    """Only ``data:`` URLs: fetching arbitrary URLs a caller names would let it probe the
    network behind the register (give the adapter a fetcher for the platform's datashare)."""
    if not url.startswith("data:") or "," not in url:
        raise m.AbisFailure(m.Reason.UNABLE_TO_FETCH, "only data: URLs are fetched")
    meta, payload = url[5:].split(",", 1)
    try:
        if meta.endswith(";base64"):
            return base64.b64decode(payload, validate=True)
        return urllib.parse.unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        raise m.AbisFailure(m.Reason.UNABLE_TO_FETCH, "the data: URL is malformed") from None


def threshold_for_fpir(code: int) -> float:
    """targetFPIR = round(-10 log10(FPIR)) (MOSIP); the score threshold at that rate."""
    from openpesel.biometrics.matching import threshold_for

    return threshold_for(max(10 ** (-code / 10), 0.0001))


class AbisAdapter:
    def __init__(self, fetch: Fetcher = fetch_data_url) -> None:
        self.fetch = fetch
        self._gallery: Gallery | None = None
        self._size = -1
        self._lock = threading.Lock()

    def handle(self, s: StoreTransaction, data: object, at: datetime.datetime) -> dict[str, Any]:
        """One message in, its response out; a failure is a response with its reason."""
        try:
            request = m.parse(data)
            operation: Operation = getattr(self, "_" + request.operation.lower())
            return operation(s, request, at)
        except m.AbisFailure as failure:
            return m.failure(data, failure.reason, at)

    def _ping(self, s: StoreTransaction, r: m.Request, at: datetime.datetime) -> dict[str, Any]:
        return m.response(r.id, r.request_id, at)

    def _pendingjobs(self, s: StoreTransaction, r: m.Request,
                     at: datetime.datetime) -> dict[str, Any]:
        return m.response(r.id, r.request_id, at, jobscount="0")

    def _referencecount(self, s: StoreTransaction, r: m.Request, at: datetime.datetime
                        ) -> dict[str, Any]:
        return m.response(r.id, r.request_id, at, count=str(refs.abis_count(s)))

    def _insert(self, s: StoreTransaction, r: m.Request, at: datetime.datetime) -> dict[str, Any]:
        assert r.reference_id is not None and r.reference_url is not None
        if refs.abis_get(s, r.reference_id) is not None:
            raise m.AbisFailure(m.Reason.REFERENCE_EXISTS)
        templates = self._templates(r.reference_url)
        from openpesel.biometrics import encode_template

        stored = [{"finger": f, "template": base64.b64encode(encode_template(t)).decode()}
                  for f, t in sorted(templates.items())]
        refs.abis_put(s, r.reference_id, stored, at)
        return m.response(r.id, r.request_id, at)

    def _delete(self, s: StoreTransaction, r: m.Request, at: datetime.datetime) -> dict[str, Any]:
        assert r.reference_id is not None
        if not refs.abis_delete(s, r.reference_id):
            raise m.AbisFailure(m.Reason.REFERENCE_NOT_FOUND)
        return m.response(r.id, r.request_id, at)

    def _identify(self, s: StoreTransaction, r: m.Request, at: datetime.datetime) -> dict[str, Any]:
        limit = m.flag_int(r.flags, "maxResults", 10, 1, 1000)
        threshold = (threshold_for_fpir(m.flag_int(r.flags, "targetFPIR", 30, 1, 100))
                     if "targetFPIR" in r.flags else DEFAULT_THRESHOLD)
        if r.reference_id is not None:
            stored = refs.abis_get(s, r.reference_id)
            if stored is None:
                raise m.AbisFailure(m.Reason.REFERENCE_NOT_FOUND)
            probe = _decode(stored)
        else:
            assert r.reference_url is not None
            probe = self._templates(r.reference_url)
        gallery = self._subset(s, r.gallery) if r.gallery is not None else self._all(s)
        depth = max(1, min(len(gallery), limit + 1))
        found = [c for c in gallery.search(probe, depth)
                 if c.key != r.reference_id and (c.score >= threshold or any(
                     f.score >= threshold for f in c.fingers))][:limit]
        listed = [m.candidate(c.key, c.score, n, [(f.finger, f.score) for f in c.fingers])
                  for n, c in enumerate(found, 1)]
        return m.response(r.id, r.request_id, at, candidateList={
            "count": str(len(listed)), "candidates": listed})

    def _templates(self, url: str) -> dict[int, FingerprintTemplate]:
        from openpesel.biometrics import (
            TemplateError,
            decode_template,
            extract_template,
            load_image,
        )

        out = {}
        for finger, data in cbeff.fingers(self.fetch(url)).items():
            try:
                if data[:4] == b"FMR\x00":
                    out[finger] = decode_template(data)
                else:
                    out[finger] = extract_template(load_image(data, finger=finger))
            except TemplateError:
                raise m.AbisFailure(m.Reason.INVALID_CBEFF, "a minutiae record is bad") from None
            except BiometricsError:
                raise m.AbisFailure(m.Reason.QUALITY_CHECK_FAILED) from None
        return out

    def _all(self, s: StoreTransaction) -> Gallery:
        """The whole reference database, rebuilt when another process changed its size."""
        size = refs.abis_count(s)
        with self._lock:
            if self._gallery is None or size != self._size:
                self._gallery, self._size = _build(refs.abis_all(s)), size
            return self._gallery

    def _subset(self, s: StoreTransaction, ids: tuple[str, ...]) -> Gallery:
        chosen = []
        for ref in dict.fromkeys(ids):
            stored = refs.abis_get(s, ref)
            if stored is not None:
                chosen.append((ref, stored))
        return _build(chosen)

    def forget(self) -> None:
        with self._lock:
            self._gallery, self._size = None, -1


def _decode(stored: list[dict[str, Any]]) -> dict[int, FingerprintTemplate]:
    from openpesel.biometrics import decode_template

    return {int(x["finger"]): decode_template(base64.b64decode(x["template"])) for x in stored}


def _build(rows: list[tuple[str, list[dict[str, Any]]]]) -> Gallery:
    from openpesel.biometrics.identification import InProcessGallery, SubjectInfo

    gallery = InProcessGallery()
    for ref, stored in rows:
        gallery.add(ref, _decode(stored), SubjectInfo(sex=None, birth_year=None))
    return gallery
