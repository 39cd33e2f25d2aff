"""Every list is paginated the same way: ``limit`` and ``offset`` in, a ``Page`` out."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Query

from openpesel.api.models import Page

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=500, description="Items per page.")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")]


def page(items: list[T], limit: int, offset: int) -> Page[T]:
    return Page[T](items=items[offset:offset + limit], total=len(items), limit=limit,
                   offset=offset)
