"""An audit entry: one access to personal data, in the bytes that will be proven later.

The entry's canonical bytes are the Merkle leaf (``access.audit``); they are
spelled out field by field so that no library upgrade can change the bytes of
entries already signed.
"""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from openpesel.errors import OpenPeselError

FORMAT_VERSION = 1


class AuditError(OpenPeselError):
    message = "The audit log refused the request."
    http_status = 422
    problem_type = "audit"


class AuditNotInitialised(AuditError):
    message = "The audit log has no state row; run the register's migrations (`openpesel init`)."


class AuditRangeError(AuditError, ValueError):
    message = "The audit log has no such entry or size."


class AuditEntry(BaseModel):
    """One access to personal data, as it will be proven later."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    principal: str = Field(min_length=1)
    role: str = Field(min_length=1)
    purpose: str = Field(min_length=1)
    legal_basis: str | None = None
    case_ref: str | None = None
    action: str = Field(min_length=1)
    person_id: uuid.UUID | None = None
    pesel: str | None = None
    fields: list[str] = Field(default_factory=list)
    outcome: str = Field(min_length=1)
    at: datetime.datetime

    @field_validator("at")
    @classmethod
    def _utc(cls, value: datetime.datetime) -> datetime.datetime:
        """A naive time is ambiguous forever after; the log only holds UTC."""
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("the time of an access must carry a time zone (UTC)")
        return value.astimezone(datetime.UTC)

    def canonical(self) -> bytes:
        """The leaf's bytes: sorted keys, no spaces, UTF-8, a fixed time format.

        The format is spelled out here rather than left to pydantic's JSON so a
        library upgrade can never change the bytes of entries already signed.
        """
        doc: dict[str, Any] = {
            "v": FORMAT_VERSION,
            "principal": self.principal,
            "role": self.role,
            "purpose": self.purpose,
            "legal_basis": self.legal_basis,
            "case_ref": self.case_ref,
            "action": self.action,
            "person_id": None if self.person_id is None else str(self.person_id),
            "pesel": self.pesel,
            "fields": list(self.fields),
            "outcome": self.outcome,
            "at": self.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
        return json.dumps(doc, sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False).encode()

    @classmethod
    def from_canonical(cls, data: bytes) -> AuditEntry:
        """Parse a leaf's bytes, refusing anything ``canonical`` would not have written."""
        try:
            doc = json.loads(data.decode())
            if not isinstance(doc, dict) or doc.pop("v", None) != FORMAT_VERSION:
                raise ValueError(f"not a version {FORMAT_VERSION} audit entry")
            entry = cls.model_validate(doc)
        except (ValueError, ValidationError) as exc:
            raise AuditError(f"These bytes are not an audit entry: {exc}") from exc
        if entry.canonical() != data:
            raise AuditError("These bytes are an audit entry, but not in canonical form.")
        return entry
