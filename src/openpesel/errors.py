"""One root for every error OpenPESEL raises on purpose.

Each layer has its own subtree so that the CLI and the API can map a whole
family of failures to one exit code or one problem type, and so that a caller
can tell "your input is wrong" from "the register refused" from "the database
broke" without parsing messages. Each class carries all three of its faces
(``exit_code``, ``http_status``, ``problem_type``) as attributes, so a new
error is mapped where it is declared, and a subclass inherits its family's
unless it says otherwise: there is no second table to forget to update.
"""

from __future__ import annotations

import enum
from typing import ClassVar


class ExitCode(enum.IntEnum):
    """The exit status of every ``openpesel`` command: one meaning per code.

    Scripts branch on these, so each code says one thing; errors carry theirs
    as ``exit_code`` and the outcomes that are not errors (a case held, no
    match) use the member by name.
    """

    OK = 0
    FAILED = 1
    USAGE = 2
    BAD_NUMBER = 3
    UNKNOWN_PERSON = 4
    INVALID_INPUT = 5
    REFUSED = 6
    NOT_INITIALISED = 7
    DATABASE = 8
    IMPORT_REFUSED = 9
    HELD_FOR_EXAMINER = 10
    AUDIT_BROKEN = 11
    NO_MATCH = 12
    CANNOT_SERVE = 13
    CERTIFICATE_INVALID = 14


EXIT_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.FAILED: "any other failure",
    ExitCode.USAGE: "a mistyped command, option or argument",
    ExitCode.BAD_NUMBER: "an invalid PESEL number",
    ExitCode.UNKNOWN_PERSON: "not found: no such person, case, principal or token",
    ExitCode.INVALID_INPUT: "invalid input: event data, a date, a file",
    ExitCode.REFUSED: "refused by the register's rules",
    ExitCode.NOT_INITIALISED: "the register is not initialised (run init)",
    ExitCode.DATABASE: "the database failed (full, unreachable, a conflict)",
    ExitCode.IMPORT_REFUSED: "a JSONL file refused (record --file, import)",
    ExitCode.HELD_FOR_EXAMINER: "a registration held for a fingerprint examiner",
    ExitCode.AUDIT_BROKEN: "the audit log does not verify",
    ExitCode.NO_MATCH: "fingerprints do not match (verify)",
    ExitCode.CANNOT_SERVE: (
        "the server cannot start (the port is taken, or several workers on SQLite)"
    ),
    ExitCode.CERTIFICATE_INVALID: (
        "a certificate is forged, unknown or revoked (certificates check)"
    ),
}
"""What each exit code means, as ``openpesel --help`` and the README list them."""


class OpenPeselError(Exception):
    """Root of the hierarchy; ``message`` is a sentence a clerk can act on."""

    message = "The operation failed."
    exit_code: ClassVar[ExitCode] = ExitCode.FAILED
    http_status: ClassVar[int] = 400
    """The HTTP status of the RFC 9457 problem the API answers with."""
    problem_type: ClassVar[str] = "bad-request"
    """The problem's stable ``type``, as ``/problems/<problem_type>``: clients branch on it."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else self.message


# --- number -----------------------------------------------------------------


class InvalidNumber(OpenPeselError, ValueError):
    """A PESEL that cannot be right; the subclass says why."""

    message = "This is not a valid PESEL number."
    exit_code = ExitCode.BAD_NUMBER
    http_status = 422
    problem_type = "invalid-pesel"


class InvalidFormat(InvalidNumber):
    message = "A PESEL number consists of digits only."


class InvalidLength(InvalidFormat):
    message = "A PESEL number has exactly 11 digits."


class InvalidChecksum(InvalidNumber):
    message = "The check digit (the 11th digit) does not match; the number was probably mistyped."


class InvalidDate(InvalidNumber):
    message = "Digits 1-6 do not encode a real birth date."


class PoolExhausted(OpenPeselError):
    """Every serial for a (birth date, sex) pool has been issued."""

    message = "No PESEL numbers are left for this birth date and sex."
    exit_code = ExitCode.REFUSED
    http_status = 409
    problem_type = "pool-exhausted"


# --- register ---------------------------------------------------------------


class RegisterError(OpenPeselError):
    """The register refuses an event because it would make an impossible history."""

    message = "The register refused the event."
    exit_code = ExitCode.REFUSED
    http_status = 409
    problem_type = "refused-by-register"


# --- not found: one family, whatever was looked for ---------------------------


class NotFound(OpenPeselError):
    """What was asked for does not exist: a person, a case, a principal, a token.

    One family, so that the gate audits every miss alike (``not_found``), the
    API answers 404 and the console exit 4, whatever was looked up.
    """

    message = "Nothing with this identifier is known to the register."
    exit_code = ExitCode.UNKNOWN_PERSON
    http_status = 404
    problem_type = "not-found"


class PersonNotFound(NotFound, RegisterError):
    """No person holds this PESEL (at that moment); also the register's refusal of an event
    about them."""

    message = "No person with this PESEL is in the register."


class CaseNotFound(NotFound):
    message = "No adjudication case has this id."


class PrincipalNotFound(NotFound):
    message = "No principal has this name."


class TokenNotFound(NotFound):
    message = "No such active token."


class FingerNotEnrolled(NotFound):
    """The finger asked for was never enrolled (for this person, or on both sides of a case)."""

    message = "This finger is not enrolled."


class InvalidEvent(RegisterError):
    """The event's data itself is malformed (a missing field, a bad code)."""

    message = "The event's data is invalid."
    exit_code = ExitCode.INVALID_INPUT
    http_status = 422
    problem_type = "invalid-event"


class ImportFailed(OpenPeselError):
    """A JSONL import was refused as a whole; the message names the line."""

    message = "The import was refused."
    exit_code = ExitCode.IMPORT_REFUSED
    http_status = 422
    problem_type = "import-refused"


# --- storage ----------------------------------------------------------------


class StorageError(OpenPeselError):
    """The database failed; driver errors are translated into this once, in storage."""

    message = "The register's database failed."
    exit_code = ExitCode.DATABASE
    http_status = 503
    problem_type = "storage"


class InvalidData(OpenPeselError, ValueError):
    """A value the database refused (a safety net behind the register's own checks)."""

    message = "The database cannot store this value."
    exit_code = ExitCode.INVALID_INPUT
    http_status = 422
    problem_type = "invalid-data"


class NotInitialised(StorageError):
    message = "The register is not initialised; run `openpesel init` first."
    exit_code = ExitCode.NOT_INITIALISED
    problem_type = "not-initialised"


class ConcurrencyConflict(StorageError):
    message = "Another clerk changed the same record at the same moment; try again."
    http_status = 409
    problem_type = "concurrent-change"


class StorageFull(StorageError):
    """The disk (or the database's size limit) is full; nothing was written."""

    message = ("The register's disk is full; nothing was written. Free space and try again "
               "(the register carries on by itself once there is room).")
    problem_type = "storage-full"


class StorageUnavailable(StorageError):
    """The database cannot be reached, or went away mid-request."""

    message = ("The register's database cannot be reached; try again when it is back (the "
               "register reconnects by itself). A write cut off mid-way is either wholly "
               "recorded or not at all: look before recording it again.")
    problem_type = "storage-unavailable"


class CannotServe(OpenPeselError):
    """The HTTP server cannot start, usually because its port is taken."""

    message = "The server cannot start: the port is in use; pick another with --port."
    exit_code = ExitCode.CANNOT_SERVE
