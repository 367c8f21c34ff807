"""Calls sent at once from a few threads of the process (the keys of one read), carrying what the
caller's thread holds that they need: nothing here knows what that is (observability adds X-Ray's)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

A = TypeVar("A")
T = TypeVar("T")

# None of the threads start before the first call; a Lambda instance keeps them between requests.
_THREADS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="at-once")

# What a caller's thread hands to the threads that run its calls: each is called in the caller and
# returns what to run in the thread first. observability adds X-Ray's current segment when tracing is
# on (the SDK keeps it per thread), so the requests show under the handler's trace.
THREAD_CONTEXT: list[Callable[[], Callable[[], None]]] = []


def at_once(fn: Callable[[A], T], args: Iterable[A]) -> list[T]:
    """fn over args from the process's threads, at once: the results in args' order (the first error
    raised again here)."""
    entering = [carry() for carry in THREAD_CONTEXT]

    def run(arg: A) -> T:
        for enter in entering:
            enter()
        return fn(arg)

    return list(_THREADS.map(run, args))
