"""Login for `rag serve --auth`: constant-time checks, a delay after each failed attempt,
and a lockout after repeated failures, so a password cannot be guessed at network speed."""

from __future__ import annotations

import asyncio
import hmac
import threading
import time
from collections.abc import Callable, Mapping

from rag.errors import ConfigError


class LoginGuard:
    """Checks logins (``users``: name -> password) for Gradio (pass :meth:`check` as
    ``auth``) and API keys.

    A failed attempt is answered after ``delay`` seconds (1.0); after ``max_failures`` (5)
    failures in a row every login, right or wrong, is refused for ``lockout`` seconds (60).
    The lockout is global: Gradio gives the check no client address, and a short lockout
    of everyone is the safer trade-off against a password guessed from many addresses.
    """

    def __init__(
        self,
        users: Mapping[str, str],
        delay: float = 1.0,
        max_failures: int = 5,
        lockout: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._users = {name.encode(): password.encode() for name, password in users.items()}
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
        # constant time: an unknown user costs what a wrong password does
        stored = self._users.get(user.encode())
        right = hmac.compare_digest(password.encode(), stored or b"\0" * 32)
        return self._settle(right and stored is not None)

    def verify_token(self, token: str) -> bool:
        """Whether ``token`` is any user's password (an API key), counted like a login."""
        right = False
        for stored in self._users.values():  # every one compared: constant time
            right |= hmac.compare_digest(token.encode(), stored)
        return self._settle(right)

    def _settle(self, right: bool) -> bool:
        """Refuse everything while locked out; count failures, lock out after too many."""
        with self._lock:
            now = self.clock()
            if now < self._locked_until:
                return False
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


def parse_users(value: str) -> dict[str, str]:
    """``USER:PASSWORD[,USER:PASSWORD...]`` as a name -> password mapping."""
    users = {}
    for pair in value.split(","):
        user, sep, password = pair.strip().partition(":")
        if not sep or not user or not password:
            raise ConfigError("--auth (RAG_AUTH) takes USER:PASSWORD[,USER:PASSWORD...].")
        users[user] = password
    return users
