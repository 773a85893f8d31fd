"""Auto-paging iterators: iterate a listing's items across pages; `pages()` gives the pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

PageOf = tuple[list[T], str | None]


class Pager(Generic[T]):
    """Every item of a listing, fetching the next page as iteration reaches it. `stop_when_empty`: a
    listing that can grow while read (a running run's events) ends at its first empty page."""

    def __init__(self, fetch: Callable[[str | None], PageOf[T]], *, stop_when_empty: bool = False) -> None:
        self._fetch = fetch
        self._stop_when_empty = stop_when_empty

    def pages(self) -> Iterator[list[T]]:
        cursor: str | None = None
        while True:
            items, next_cursor = self._fetch(cursor)
            yield items
            if next_cursor is None or next_cursor == cursor or (self._stop_when_empty and not items):
                return
            cursor = next_cursor

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page

    def to_list(self) -> list[T]:
        return list(self)


class AsyncPager(Generic[T]):
    """The async twin of `Pager`: `async for item in pager`, `async for page in pager.pages()`."""

    def __init__(
        self, fetch: Callable[[str | None], Awaitable[PageOf[T]]], *, stop_when_empty: bool = False
    ) -> None:
        self._fetch = fetch
        self._stop_when_empty = stop_when_empty

    async def pages(self) -> AsyncIterator[list[T]]:
        cursor: str | None = None
        while True:
            items, next_cursor = await self._fetch(cursor)
            yield items
            if next_cursor is None or next_cursor == cursor or (self._stop_when_empty and not items):
                return
            cursor = next_cursor

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page:
                yield item

    async def to_list(self) -> list[T]:
        return [item async for item in self]
