"""Every list is paged the same way: ``limit`` and a ``cursor`` in, a ``Page`` out.

A page's ``next`` is an opaque cursor holding the sort key of its last item; the
next page is whatever sorts after that key (keyset paging). Page 10,000 then costs
what page 1 does, and no request reads more than a page's worth, where an offset
made the register read and drop every item before the page. ``limit`` is at most
``MAX_LIMIT`` everywhere.

A cursor is bound to the list and the query it came from (``scope``): one from
another search, or one edited by hand, is refused with a 400 rather than
silently paging something else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from typing import Annotated, Any, TypeVar

from fastapi import Query

from openpesel.api.models import Page
from openpesel.errors import OpenPeselError

S = TypeVar("S")
T = TypeVar("T")

MAX_LIMIT = 500
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
Cursor = Annotated[str | None, Query(
    min_length=1, max_length=512,
    description="The `next` of the page before; leave it out for the first page.")]

MAX_OFFSET = 500
"""How deep a search may page by ``offset``; deeper pages follow the cursor.

A page by offset is cut from the first ``offset + limit`` ranked hits, so an
unbounded offset made the register rank ten million people for one page. The
cursor resumes the ranking after the last hit shown, at the cost of one page."""
MAX_SEARCH_DEPTH = MAX_OFFSET + MAX_LIMIT
"""How deep an ``offset`` page reaches at most (``offset + limit``)."""
SearchOffset = Annotated[int, Query(
    ge=0, json_schema_extra={"maximum": MAX_OFFSET},
    description=f"Hits to skip, at most {MAX_OFFSET} (a deeper offset is refused with 400, "
                "type /problems/use-cursor): page further with `cursor`, the `next` of "
                "the page before.")]


class BadCursor(OpenPeselError):
    message = "The cursor is not one this list gave for this query."
    http_status = 400
    problem_type = "bad-cursor"


class UseCursor(OpenPeselError):
    message = f"An offset may be at most {MAX_OFFSET}."
    http_status = 400
    problem_type = "use-cursor"


def scope(*parts: Any) -> str:
    """What a cursor is bound to: the list's name and the query that made it."""
    text = json.dumps(parts, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode(where: str, key: Sequence[Any]) -> str:
    """An opaque cursor for the sort key ``key`` of the list ``where`` (``scope``)."""
    body = json.dumps([where, *key], default=str, separators=(",", ":"))
    return base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")


def decode(cursor: str | None, where: str,
           shape: Sequence[Callable[[Any], Any]]) -> list[Any] | None:
    """The sort key in ``cursor`` (None for the first page), each part read by its
    parser in ``shape``; a cursor that is malformed or from another list or query
    is a ``BadCursor``, never a 500."""
    if cursor is None:
        return None
    try:
        parts = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if (not isinstance(parts, list) or len(parts) != len(shape) + 1
                or parts[0] != where or any(isinstance(p, bool | None) for p in parts)):
            raise BadCursor()
        return [parse(part) for parse, part in zip(shape, parts[1:], strict=True)]
    except (binascii.Error, ValueError, TypeError, AttributeError):
        raise BadCursor() from None


def page(items: list[T], limit: int, key: Sequence[Any] | None, where: str,
         offset: int = 0) -> Page[T]:
    """A page whose ``next`` resumes after ``key``, the last item's sort key; no ``next``
    once a page comes back short, or when there is no key."""
    more = key is not None and len(items) >= limit
    return Page[T](items=items, limit=limit, offset=offset,
                   next=encode(where, key) if more and key is not None else None)


def page_after(items: Iterable[S], key: Callable[[S], list[Any]], out: Callable[[S], T],
               cursor: str | None, where: str, shape: Sequence[Callable[[Any], Any]],
               limit: int) -> Page[T]:
    """A page of a list the access layer hands over in ``key`` order, after ``cursor``.

    Only for lists bounded by what they are about (one person's timeline), or
    folded from a log before they can be sorted (the examiners' cases): the page
    is still cut by key, so its cursor means the same as a database-paged one."""
    after = decode(cursor, where, shape)
    chosen = list(islice((x for x in items if after is None or key(x) > after), limit))
    return page([out(x) for x in chosen], limit, key(chosen[-1]) if chosen else None, where)


def check_offset(offset: int, cursor: str | None) -> None:
    """An offset is for the first few pages; deeper, and beside a cursor, it is refused."""
    if offset > MAX_OFFSET:
        raise UseCursor(f"An offset may be at most {MAX_OFFSET}; page deeper with `cursor`, "
                        "the `next` of the page before.")
    if offset and cursor is not None:
        raise UseCursor("Give an offset or a cursor, not both: a cursor already says where "
                        "its page starts.")
