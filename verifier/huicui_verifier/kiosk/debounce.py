"""Remembering recent codes, so a card held in front of the camera is counted once."""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

T = TypeVar("T")


class RecentCodes(Generic[T]):
    """The last answer for each key, kept while the key keeps being seen.

    The window slides: every sighting within ``window`` seconds of the previous one
    extends it. A holder who keeps the card in view for a minute is still one
    redemption; the code counts again only after it has been out of sight for
    ``window`` seconds. Times are monotonic seconds, so a clock change (NTP, staff
    setting the time) neither releases nor freezes a code.
    """

    def __init__(self, window: float, max_entries: int = 256) -> None:
        """Keep answers for ``window`` seconds after the last sighting, at most ``max_entries``."""
        self.window = window
        self.max_entries = max_entries
        self._items: OrderedDict[object, tuple[float, T]] = OrderedDict()

    def seen(self, key: object, now: float) -> T | None:
        """The answer remembered for ``key``, refreshing its window; None if none or expired."""
        self._prune(now)
        item = self._items.get(key)
        if item is None:
            return None
        self._items[key] = (now, item[1])
        self._items.move_to_end(key)
        return item[1]

    def remember(self, key: object, answer: T, now: float) -> None:
        """Keep ``answer`` for ``key`` from ``now``."""
        self._items[key] = (now, answer)
        self._items.move_to_end(key)
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (a new bundle may change every answer)."""
        self._items.clear()

    def _prune(self, now: float) -> None:
        # Oldest-seen first, thanks to move_to_end: stop at the first one still fresh.
        while self._items:
            key, (last, _) = next(iter(self._items.items()))
            if now - last < self.window:
                break
            del self._items[key]
