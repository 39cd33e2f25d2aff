"""Packed JSON: the register's records and event payloads, compressed with zstd dictionaries.

Why: a current record is about 1 KB of JSON and a payload about 200 bytes, and
most of those bytes are the same key names and values in every row. Row by
row, a general compressor finds nothing to share; a zstd *dictionary* trained
on such rows carries what they have in common, so a record packs into about
115 bytes and a payload into about 45 (level 3, a few microseconds each way).
That is most of the difference between 3.2 KB and 1.2 KB a resident, the
size a register of 38.5 million people must have to fit one machine.

The format of a stored value is its first byte:

- ``{``: plain JSON text, as registers before migration 0009 stored it (still
  read, so a register can be packed in place, chunk by chunk);
- a dictionary's id (``RECORDS``, ``PAYLOADS``): a zstd frame without its
  magic number, compressed with that dictionary.

Dictionaries are part of the format: once shipped, one never changes (a new
one takes a new id, and the old stays for the rows it packed). They live in
``storage/dictionaries/`` and were trained on the project's own synthetic
population (``tools/train_dictionaries.py``), so they hold no real person.
The JSON inside is ``json.dumps``'s default form, byte for byte what the
register wrote before, so packing loses nothing and unpacking gives it back.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

import zstandard
from sqlalchemy import LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

RECORDS = 1
"""Id of the dictionary for ``persons.record``."""
PAYLOADS = 2
"""Id of the dictionary for ``events.payload``."""
_FILES = {RECORDS: "records-1.zdict", PAYLOADS: "payloads-1.zdict"}
_PLAIN = ord("{")
LEVEL = 3
"""zstd's level: 19 saves another 15 % at a hundred times the CPU, which a bulk load
of 38.5 million people cannot spend."""


@cache
def dictionary(dict_id: int) -> zstandard.ZstdCompressionDict:
    """A shipped dictionary, read once."""
    data = resources.files("openpesel.storage").joinpath("dictionaries", _FILES[dict_id])
    return zstandard.ZstdCompressionDict(data.read_bytes())


class _PerThread(threading.local):
    """zstd's (de)compressor objects keep state between calls and are not thread-safe:
    each thread (a server's request threads, the group committer) gets its own."""

    def __init__(self) -> None:
        self.compressors: dict[int, zstandard.ZstdCompressor] = {}
        self.decompressors: dict[int, zstandard.ZstdDecompressor] = {}


_mine = _PerThread()


def _compressor(dict_id: int) -> zstandard.ZstdCompressor:
    found = _mine.compressors.get(dict_id)
    if found is None:
        found = _mine.compressors[dict_id] = zstandard.ZstdCompressor(
            level=LEVEL, dict_data=dictionary(dict_id), write_checksum=False,
            write_dict_id=False, write_content_size=True)
    return found


def _decompressor(dict_id: int) -> zstandard.ZstdDecompressor:
    found = _mine.decompressors.get(dict_id)
    if found is None:
        found = _mine.decompressors[dict_id] = zstandard.ZstdDecompressor(
            dict_data=dictionary(dict_id), format=zstandard.FORMAT_ZSTD1_MAGICLESS)
    return found


_MAGIC = b"\x28\xb5\x2f\xfd"


def pack_text(text: str, dict_id: int) -> bytes:
    """JSON text, packed with dictionary ``dict_id``.

    >>> unpack_text(pack_text('{"a": 1}', RECORDS))
    '{"a": 1}'
    """
    frame = _compressor(dict_id).compress(text.encode())
    assert frame[:4] == _MAGIC
    return bytes((dict_id,)) + frame[4:]


def pack_texts(texts: Iterable[str], dict_id: int) -> list[bytes]:
    """Many JSON texts packed, as ``pack_text`` would each (a bulk load's chunk)."""
    compress, prefix = _compressor(dict_id).compress, bytes((dict_id,))
    return [prefix + compress(text.encode())[4:] for text in texts]


def unpack_text(blob: bytes | memoryview | str) -> str:
    """The JSON text of a stored value, packed or plain (registers before 0009)."""
    if isinstance(blob, str):
        return blob
    data = bytes(blob)
    if not data or data[0] == _PLAIN:
        return data.decode()
    return _decompressor(data[0]).decompress(data[1:]).decode()


def pack(value: Any, dict_id: int) -> bytes:
    """A JSON value, packed: ``json.dumps``'s default form inside."""
    return pack_text(json.dumps(value), dict_id)


def unpack(blob: bytes | memoryview | str) -> Any:
    """A stored value, as JSON again."""
    return json.loads(unpack_text(blob))


class PackedJson(TypeDecorator[Any]):
    """A column of packed JSON: Python values in and out, dictionary-compressed bytes stored.

    Every reader and writer that goes through the column's type (SQLAlchemy
    statements and ``RawSql`` alike) packs and unpacks without knowing it.
    """

    impl = LargeBinary
    cache_ok = True

    def __init__(self, dict_id: int) -> None:
        super().__init__()
        self.dict_id = dict_id

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        return None if value is None else pack(value, self.dict_id)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else unpack(value)

