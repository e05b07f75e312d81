"""Answering Slack as soon as a listener acks, with what follows the ack as a task of its own.

The app runs Bolt with `process_before_response=True`: Bolt then awaits the listener and
answers the HTTP request when it returns. Without it, Bolt (checked with slack-bolt 1.30.0)
starts each listener as a task and looks for its ack every 10 ms; that polling costs CPU on
every request and adds up to 10 ms to every answer. So here the work after an ack runs as a
task explicitly: `/onboard` hands its follow-up to `after_ack` (bot/listeners/commands/
onboard.py), and every other listener is registered through `AnsweringAtAck`, which runs it as
a task and returns once it has acked (or ended), the way Bolt would have without the polling.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from slack_bolt.async_app import AsyncApp

logger = logging.getLogger(__name__)

# Tasks started here, kept until they end (the event loop keeps only weak references).
_RUNNING: set[asyncio.Task[Any]] = set()


def after_ack(work: Coroutine[Any, Any, object], what: str) -> None:
    """Run `work` once the request is answered; a failure is logged as `what`."""
    task = asyncio.get_running_loop().create_task(work)
    _RUNNING.add(task)
    task.add_done_callback(functools.partial(_ended, what))


def _ended(what: str, task: asyncio.Task[Any]) -> None:
    _RUNNING.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.error("%s failed after the ack", what, exc_info=task.exception())


async def pending() -> None:
    """Wait for the work started after acks (for tests and shutdown)."""
    while _RUNNING:
        await asyncio.wait(list(_RUNNING))


Listener = Callable[..., Awaitable[Any]]


def answering_at_ack(listener: Listener) -> Listener:
    """`listener` as a task: the wrapper returns once it acked (the answer goes to Slack), or
    once it ended; an exception before the ack reaches Bolt's error handler as before, one
    after it is logged. Bolt reads the listener's own arguments (it unwraps `__wrapped__`)."""

    @functools.wraps(listener)
    async def wrapped(**kwargs: Any) -> Any:
        ack = kwargs.get("ack")
        acked = asyncio.Event()
        if ack is not None:

            async def acking(*args: Any, **options: Any) -> Any:
                try:
                    return await ack(*args, **options)
                finally:
                    acked.set()

            kwargs["ack"] = acking
        run = asyncio.ensure_future(listener(**kwargs))
        if ack is not None:
            waiting = asyncio.ensure_future(acked.wait())
            await asyncio.wait({run, waiting}, return_when=asyncio.FIRST_COMPLETED)
            waiting.cancel()
        what = getattr(listener, "__name__", "listener")
        if run.done() and not acked.is_set():  # ended without an ack: Bolt's, as before
            return run.result()
        if run.done():  # acked, then ended: a failure after the ack is only logged
            _ended(what, run)
            return None
        # Still running after its ack (or an event's listener, which Bolt acks itself once
        # this returns): it goes on alone.
        _RUNNING.add(run)
        run.add_done_callback(functools.partial(_ended, what))
        return None

    return wrapped


class AnsweringAtAck:
    """Registers listeners on a Bolt app through `answering_at_ack`; anything else (the
    middleware, the command, which handles its own follow-up) goes to the app as it is."""

    def __init__(self, app: AsyncApp) -> None:
        self._app = app

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)

    def _wrapping(self, register: Callable[[Listener], Any]) -> Callable[[Listener], Any]:
        def decorator(listener: Listener) -> Any:
            return register(answering_at_ack(listener))

        return decorator

    def action(self, *args: Any, **kwargs: Any) -> Callable[[Listener], Any]:
        return self._wrapping(self._app.action(*args, **kwargs))

    def view(self, *args: Any, **kwargs: Any) -> Callable[[Listener], Any]:
        return self._wrapping(self._app.view(*args, **kwargs))

    def event(self, *args: Any, **kwargs: Any) -> Callable[[Listener], Any]:
        return self._wrapping(self._app.event(*args, **kwargs))

    def options(self, *args: Any, **kwargs: Any) -> Callable[[Listener], Any]:
        return self._wrapping(self._app.options(*args, **kwargs))

    def shortcut(self, *args: Any, **kwargs: Any) -> Callable[[Listener], Any]:
        return self._wrapping(self._app.shortcut(*args, **kwargs))

    def function(self, *args: Any, **kwargs: Any) -> Callable[[Listener], Any]:
        return self._wrapping(self._app.function(*args, **kwargs))
