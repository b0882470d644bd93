"""Login for `rag serve --auth`: constant-time checks, a delay after each failed attempt,
and a lockout after repeated failures, so a password cannot be guessed at network speed."""

from __future__ import annotations

import asyncio
import hmac
import threading
import time
from collections.abc import Callable


class LoginGuard:
    """Checks ``USER:PASSWORD`` logins for Gradio (pass :meth:`check` as ``auth``).

    A failed attempt is answered after ``delay`` seconds (1.0); after ``max_failures`` (5)
    failures in a row every login, right or wrong, is refused for ``lockout`` seconds (60).
    The lockout is global: Gradio gives the check no client address, and a short lockout
    of everyone is the safer trade-off against a password guessed from many addresses.
    """

    def __init__(
        self,
        user: str,
        password: str,
        delay: float = 1.0,
        max_failures: int = 5,
        lockout: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._user, self._password = user.encode(), password.encode()
        self.delay, self.max_failures, self.lockout, self.clock = (
            delay,
            max_failures,
            lockout,
            clock,
        )
        self._failures, self._locked_until = 0, 0.0
        self._lock = threading.Lock()

    def verify(self, user: str, password: str) -> bool:
        """Whether the login is accepted now (counts a failure when it is not)."""
        with self._lock:
            now = self.clock()
            if now < self._locked_until:
                return False
            # both compared in constant time, whatever the first gives
            right = hmac.compare_digest(user.encode(), self._user)
            right &= hmac.compare_digest(password.encode(), self._password)
            if right:
                self._failures = 0
                return True
            self._failures += 1
            if self._failures >= self.max_failures:
                self._failures, self._locked_until = 0, now + self.lockout
            return False

    async def check(self, user: str, password: str) -> bool:
        """The Gradio ``auth`` callable: awaited, so a delay blocks no other request."""
        if self.verify(user, password):
            return True
        await asyncio.sleep(self.delay)
        return False
