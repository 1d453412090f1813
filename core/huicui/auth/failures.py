"""Failed authentication: counted per client address, logged sparingly, answered 429.

A bearer token that names nobody is counted against the address it came from (after
uvicorn has applied ``X-Forwarded-For`` from a trusted proxy). Past ``auth.max_failures``
in one window of ``auth.window_seconds`` the address gets 429 with ``Retry-After`` for
the rest of the window instead of 401.

A *valid* token still passes while its address is limited: venue devices behind one NAT
share an address, and one misbehaving device (or an intruder on the venue's network)
must not lock the others out. This gives a guesser nothing: tokens carry 256 random
bits, so no rate of guessing finds one; the limit makes a flood visible and tells
honest clients to back off, it does not guard the token space.

The table holds at most ``auth.tracked_clients`` addresses (least recently failed
forgotten first), so a spray from many addresses costs bounded memory. Log lines never
carry the token, only its kind; at most one line per address per window, plus one when
the address becomes limited.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from huicui.settings import AuthSettings

log = logging.getLogger("huicui.auth")

# Token prefixes worth naming in a log line; anything else is "other" (it might be
# whatever a caller pasted, a phone number say).
_KINDS = {"hcs": "staff token", "hcd": "device token"}


def token_kind(token: str) -> str:
    """What a presented token claims to be, safe to log."""
    return _KINDS.get(token.split("_", 1)[0], "other token")


@dataclass
class _Window:
    started: float
    failures: int = 0
    reported: int = 0  # failures already in a log line


@dataclass(frozen=True)
class Verdict:
    """What to answer a failed authentication: 429 after ``retry_after`` seconds, or 401."""

    limited: bool
    retry_after: int = 0


class FailedAuthLimiter:
    """Counts failed authentications per client address (see the module docstring)."""

    def __init__(self, settings: AuthSettings, clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self.clock = clock
        self._windows: OrderedDict[str, _Window] = OrderedDict()

    def __len__(self) -> int:
        return len(self._windows)

    def retry_after(self, address: str) -> int:
        """Seconds until ``address`` may try again (0: not limited)."""
        window = self._windows.get(address)
        if window is None or window.failures <= self.settings.max_failures:
            return 0
        left = window.started + self.settings.window_seconds - self.clock()
        return max(0, math.ceil(left))

    def failed(self, address: str, kind: str) -> Verdict:
        """Count one failure from ``address``; log when due; say whether to answer 429."""
        now = self.clock()
        s = self.settings
        window = self._windows.pop(address, None)
        if window is None or now - window.started >= s.window_seconds:
            if window is not None and window.failures > window.reported:
                log.warning(
                    "failed authentication from %s: %d more in the previous %d s",
                    address, window.failures - window.reported, s.window_seconds,
                )
            window = _Window(started=now)
        self._windows[address] = window  # most recent last
        while len(self._windows) > s.tracked_clients:
            self._windows.popitem(last=False)
        window.failures += 1
        if window.failures == 1:
            window.reported = 1
            log.warning("failed authentication from %s (%s)", address, kind)
        elif window.failures == s.max_failures + 1:
            retry = self.retry_after(address)
            log.warning(
                "failed authentication from %s: %d in %d s, answering 429 for %d s "
                "(valid tokens still pass)",
                address, window.failures, math.ceil(now - window.started), retry,
            )
            window.reported = window.failures
        retry = self.retry_after(address)
        return Verdict(limited=retry > 0, retry_after=retry)
