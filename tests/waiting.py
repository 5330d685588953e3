"""Waiting in tests for something that should happen soon: poll its condition until it holds, up to a deadline.

The deadline is generous and only bounds the wait (a test never passes or fails on how long something took).
A test that must show that something did NOT happen does not wait a while and look: it makes a later change that
must be handled after the one that should have no effect, waits for that, then counts what happened.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

WAIT = 20.0
"""Seconds to wait at most for anything that should happen soon (a build of a small site, a file event)."""

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float = WAIT, *, what: str = "", interval: float = 0.01) -> T:
    """Call `predicate` until it returns something true, and return that; AssertionError (naming `what`) if it is
    still false after `timeout` seconds. It is always called once more at the deadline, so a slow machine that
    paused this thread past the deadline is not taken for a failure."""
    deadline = time.monotonic() + timeout
    while True:
        late = time.monotonic() >= deadline
        value = predicate()
        if value:
            return value
        if late:
            raise AssertionError(f"not so after {timeout:g} s: {what or predicate}")
        time.sleep(interval)
