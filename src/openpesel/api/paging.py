"""Every list is paginated the same way: ``limit`` and ``offset`` in, a ``Page`` out."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Query

from openpesel.api.models import Page

T = TypeVar("T")

MAX_LIMIT = 500
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")]

MAX_SEARCH_DEPTH = 1000
"""How deep a search may page: ``offset + limit`` never exceeds it.

A search page is cut from the first ``offset + limit`` ranked hits, so an
unbounded offset made the register rank ten million people for one page.
With the offset capped at ``MAX_SEARCH_DEPTH - MAX_LIMIT`` every request the
OpenAPI document allows stays within the bound; a caller who needs hit 1,001
needs a narrower query, not a deeper page."""
SearchOffset = Annotated[int, Query(
    ge=0, le=MAX_SEARCH_DEPTH - MAX_LIMIT,
    description=f"Hits to skip, at most {MAX_SEARCH_DEPTH - MAX_LIMIT}: a search pages at "
                f"most {MAX_SEARCH_DEPTH} hits deep (offset + limit); narrow the query to "
                "see others.")]


def page(items: list[T], limit: int, offset: int) -> Page[T]:
    return Page[T](items=items[offset:offset + limit], total=len(items), limit=limit,
                   offset=offset)
