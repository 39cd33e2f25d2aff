"""ABIS request checking and response shapes, with MOSIP's field names (ABIS API 0.9).

Pure: a request dict in, a ``Request`` or an ``AbisFailure`` carrying the
failure-reason code out; responses are plain dicts. MOSIP's samples give
every value of a response as a string ("returnValue": "1"), so this does too.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass, field
from typing import Any

PREFIX = "mosip.abis."
OPERATIONS = ("insert", "identify", "delete", "ping", "pendingJobs", "referenceCount")
VERSIONS = frozenset({"1.0", "1.1"})
SUCCESS, FAILED = "1", "2"
MAX_URL = 8 << 20


class Reason(enum.IntEnum):
    """MOSIP's failure reasons (ABIS API, "Failure Reasons")."""

    INTERNAL_ERROR = 1
    ABORTED = 2
    UNEXPECTED_ERROR = 3
    INVALID_REQUEST = 4
    MISSING_REFERENCE_ID = 5
    MISSING_REQUEST_ID = 6
    UNABLE_TO_FETCH = 7
    MISSING_REFERENCE_URL = 8
    MISSING_REQUEST_TIME = 9
    REFERENCE_EXISTS = 10
    CBEFF_NO_DATA = 11
    REFERENCE_NOT_FOUND = 12
    INVALID_VERSION = 13
    INVALID_ID = 14
    INVALID_REQUEST_TIME = 15
    INVALID_CBEFF = 16
    URL_EXPIRED = 17
    QUALITY_CHECK_FAILED = 18


class AbisFailure(Exception):
    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(detail or reason.name.lower().replace("_", " "))
        self.reason = reason


@dataclass(frozen=True)
class Request:
    operation: str
    request_id: str
    requesttime: datetime.datetime
    reference_id: str | None = None
    reference_url: str | None = None
    gallery: tuple[str, ...] | None = None
    flags: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return PREFIX + self.operation


def _text(data: dict[str, Any], name: str, limit: int = 200) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise AbisFailure(Reason.INVALID_REQUEST, f"{name} must be a string")
    return value


def parse(data: object) -> Request:
    """Check a request in the order MOSIP lists its failure reasons."""
    if not isinstance(data, dict):
        raise AbisFailure(Reason.INVALID_REQUEST, "a request is a JSON object")
    ident = _text(data, "id")
    if ident is None or not ident.startswith(PREFIX) or ident[len(PREFIX):] not in OPERATIONS:
        known = ", ".join(PREFIX + o for o in OPERATIONS)
        raise AbisFailure(Reason.INVALID_ID, f"id must be one of {known}")
    operation = ident[len(PREFIX):]
    version = _text(data, "version") or _text(data, "ver")  # both spellings are in MOSIP's docs
    if version not in VERSIONS:
        raise AbisFailure(Reason.INVALID_VERSION, f"version must be one of {sorted(VERSIONS)}")
    request_id = _text(data, "requestId")
    if request_id is None:
        raise AbisFailure(Reason.MISSING_REQUEST_ID)
    raw_time = _text(data, "requesttime")
    if raw_time is None:
        raise AbisFailure(Reason.MISSING_REQUEST_TIME)
    try:
        when = datetime.datetime.fromisoformat(raw_time.replace("Z", "+00:00"))
    except ValueError:
        raise AbisFailure(Reason.INVALID_REQUEST_TIME) from None
    reference_id = _text(data, "referenceId")
    # A data: URL carries the CBEFF itself, so a URL may be as long as a request body.
    reference_url = (_text(data, "referenceURL", MAX_URL)
                     or _text(data, "referenceUrl", MAX_URL))
    if operation in ("insert", "delete") and reference_id is None:
        raise AbisFailure(Reason.MISSING_REFERENCE_ID)
    if operation == "insert" and reference_url is None:
        raise AbisFailure(Reason.MISSING_REFERENCE_URL)
    if operation == "identify" and reference_id is None and reference_url is None:
        raise AbisFailure(Reason.MISSING_REFERENCE_ID, "give referenceId or referenceURL")
    flags = data.get("flags") or {}
    if not isinstance(flags, dict):
        raise AbisFailure(Reason.INVALID_REQUEST, "flags must be an object")
    return Request(operation, request_id, when, reference_id, reference_url,
                   _gallery(data.get("gallery")), flags)


def _gallery(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    ids = value.get("referenceIds") if isinstance(value, dict) else None
    if not isinstance(ids, list) or not all(
            isinstance(x, dict) and isinstance(x.get("referenceId"), str) for x in ids):
        raise AbisFailure(Reason.INVALID_REQUEST,
                          'gallery is {"referenceIds": [{"referenceId": "..."}]}')
    return tuple(x["referenceId"] for x in ids)


def flag_int(flags: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = flags.get(name, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise AbisFailure(Reason.INVALID_REQUEST, f"flags.{name} must be a number") from None
    if not low <= number <= high:
        raise AbisFailure(Reason.INVALID_REQUEST, f"flags.{name} must be {low}-{high}")
    return number


def _stamp(at: datetime.datetime) -> str:
    return at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{at.microsecond // 1000:03d}Z"


def response(ident: str, request_id: str, at: datetime.datetime, **fields: Any) -> dict[str, Any]:
    return {"id": ident, "requestId": request_id, "responsetime": _stamp(at),
            "returnValue": SUCCESS, **fields}


def failure(data: object, reason: Reason, at: datetime.datetime) -> dict[str, Any]:
    """A failure echoes what it can of the request (its id and requestId)."""
    ident = request_id = ""
    if isinstance(data, dict):
        ident, request_id = (v if isinstance(v := data.get(k), str) else ""
                             for k in ("id", "requestId"))
    return {"id": ident, "requestId": request_id, "responsetime": _stamp(at),
            "returnValue": FAILED, "failureReason": str(int(reason))}


def candidate(reference_id: str, score: float, rank: int,
              fingers: list[tuple[int, float]]) -> dict[str, Any]:
    return {"referenceId": reference_id,
            "analytics": {"internalScore": f"{score:.1f}", "rank": str(rank)},
            "modalities": [{"biometricType": "FIR",
                            "analytics": {"internalScore": f"{score:.1f}",
                                          "fingers": {str(f): f"{s:.1f}" for f, s in fingers}}}]}
