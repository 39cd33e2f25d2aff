"""One root for every error OpenPESEL raises on purpose.

Each layer has its own subtree so that the CLI and the API can map a whole
family of failures to one exit code or one problem type, and so that a caller
can tell "your input is wrong" from "the register refused" from "the database
broke" without parsing messages.
"""

from __future__ import annotations


class OpenPeselError(Exception):
    """Root of the hierarchy; ``message`` is a sentence a clerk can act on."""

    message = "The operation failed."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else self.message


# --- number -----------------------------------------------------------------


class InvalidNumber(OpenPeselError, ValueError):
    """A PESEL that cannot be right; the subclass says why."""

    message = "This is not a valid PESEL number."


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


# --- register ---------------------------------------------------------------


class RegisterError(OpenPeselError):
    """The register refuses an event because it would make an impossible history."""

    message = "The register refused the event."


class PersonNotFound(RegisterError):
    message = "No person with this PESEL is in the register."


class InvalidEvent(RegisterError):
    """The event's data itself is malformed (a missing field, a bad code)."""

    message = "The event's data is invalid."


class ImportFailed(OpenPeselError):
    """A JSONL import was refused as a whole; the message names the line."""

    message = "The import was refused."


# --- storage ----------------------------------------------------------------


class StorageError(OpenPeselError):
    """The database failed; driver errors are translated into this once, in storage."""

    message = "The register's database failed."


class InvalidData(OpenPeselError, ValueError):
    """A value the database refused (a safety net behind the register's own checks)."""

    message = "The database cannot store this value."


class NotInitialised(StorageError):
    message = "The register is not initialised; run `openpesel init` first."


class ConcurrencyConflict(StorageError):
    message = "Another clerk changed the same record at the same moment; try again."


class StorageFull(StorageError):
    """The disk (or the database's size limit) is full; nothing was written."""

    message = ("The register's disk is full; nothing was written. Free space and try again "
               "(the register carries on by itself once there is room).")


class StorageUnavailable(StorageError):
    """The database cannot be reached, or went away mid-request."""

    message = ("The register's database cannot be reached; try again when it is back (the "
               "register reconnects by itself). A write cut off mid-way is either wholly "
               "recorded or not at all: look before recording it again.")
