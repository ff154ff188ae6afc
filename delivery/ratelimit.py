"""A sliding-window rate limit per key (a client's address, a subscriber's address).

Kept in memory: one service process, and a restart forgetting the windows is harmless.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable


class SlidingWindow:
    """At most `limit` events per key in any `window` seconds."""

    def __init__(
        self,
        limit: int,
        window: float,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.limit, self.window, self.max_keys, self.clock = limit, window, max_keys, clock
        self._events: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str) -> int:
        """Count one event; return 0 if allowed, else the seconds to wait (Retry-After)."""
        with self._lock:
            now = self.clock()
            events = self._events.pop(key, None) or deque()
            while events and events[0] <= now - self.window:
                events.popleft()
            self._events[key] = events  # most recently seen last, for the eviction below
            if len(events) >= self.limit:
                return max(1, math.ceil(events[0] + self.window - now))
            events.append(now)
            self._forget_oldest()
            return 0

    def _forget_oldest(self) -> None:
        # Bounded memory under a flood of distinct clients: drop the least recently seen.
        while len(self._events) > self.max_keys:
            self._events.popitem(last=False)
