"""Worker processes that take a share of a large screening batch, so that it uses every core.

Matching is CPU-bound Python (decrypting, normalising and scoring candidates), so threads
would not run it in parallel. A `WorkerPool` starts its processes on first use and keeps them
for the life of the `RegistryContext`. Each is a fresh interpreter (`python -m
registry.workers`, never a fork of a threaded server, nor a re-run of the caller's main
module) that opens the registry itself, with its own keys and a read-only database
connection: it only reads, and the process that asked records and audits every screening in
its own transaction.

The two processes talk over the worker's stdin and stdout: length-prefixed pickles of
("module:function", args) one way and ("ok", result) or ("error", exception) the other. Both
ends are this code, started by the same user. A worker that dies, hangs or is busy with
another request is simply not used: the caller does that share itself.
"""

from __future__ import annotations

import datetime as dt
import gc
import importlib
import logging
import pickle
import selectors
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import IO, TYPE_CHECKING, Any, TypeVar

from registry.config import Settings

if TYPE_CHECKING:
    from registry.context import RegistryContext
    from registry.uow import UnitOfWork

log = logging.getLogger(__name__)
T = TypeVar("T")
_LENGTH = struct.Struct(">I")


_pauses = 0  # sections running with the collector paused (threads of a server)
_resume = False  # whether the collector was on when the first of them began
_pause_lock = threading.Lock()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bounded CPU-bound section (matching a
    batch). Matching makes many short-lived objects, which reference counting frees; the
    collector, triggered by their number, would re-scan every long-lived object of the process
    (caches, the ORM's registry) again and again: a sixth of a batch's time at 1M entries.
    Concurrent sections nest; the collector resumes when the last one ends.
    """
    global _pauses, _resume
    with _pause_lock:
        if _pauses == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()


class WorkerUnavailable(RuntimeError):
    """A worker died, hung or could not start; the caller does the work itself."""


def _send(stream: IO[bytes], message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if data is None or len(data) != size:
        raise EOFError("worker pipe closed")
    return data


def _receive(stream: IO[bytes]) -> Any:
    (size,) = _LENGTH.unpack(_read_exactly(stream, _LENGTH.size))
    # Only ever the other end of our own pipe (this code, the same user): see the docstring.
    return pickle.loads(_read_exactly(stream, size))  # noqa: S301


class _Worker:
    """One worker process, used by one request at a time."""

    def __init__(self, settings: Settings) -> None:
        self.lock = threading.Lock()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "registry.workers"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin, self.stdout = self.process.stdin, self.process.stdout
        _send(self.stdin, replace(settings, screening_workers=0))

    def send(self, fn: Callable[..., Any], args: Sequence[Any]) -> None:
        _send(self.stdin, (f"{fn.__module__}:{fn.__qualname__}", tuple(args)))

    def receive(self, timeout: float) -> Any:
        with selectors.DefaultSelector() as selector:
            selector.register(self.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                raise WorkerUnavailable(f"no answer from worker in {timeout:.0f} s")
        status, value = _receive(self.stdout)
        if status == "error":
            raise value
        return value

    def stop(self) -> None:
        for stream in (self.stdin, self.stdout):
            stream.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class WorkerPool:
    """Worker processes for shares of large screening batches (see the module docstring)."""

    def __init__(self, settings: Settings, workers: int) -> None:
        self.settings, self.workers = settings, workers
        self._started: list[_Worker] = []
        self._lock = threading.Lock()

    def _acquire(self) -> list[_Worker]:
        """The idle workers, locked for the caller (starting them on first use)."""
        with self._lock:
            while len(self._started) < self.workers:
                try:
                    self._started.append(_Worker(self.settings))
                except OSError as exc:
                    log.warning("could not start a screening worker: %s", exc)
                    break
            return [w for w in self._started if w.lock.acquire(blocking=False)]

    def _drop(self, worker: _Worker) -> None:
        with self._lock:
            if worker in self._started:
                self._started.remove(worker)
        worker.stop()

    def run(
        self,
        fn: Callable[..., T],
        jobs: Sequence[tuple[Any, ...]],
        here: Callable[..., T],
        timeout: float,
    ) -> list[T]:
        """Results of every job, in order: `fn(*job)` in an idle worker for all jobs but the
        last, `here(*job)` in this process for the last and for any job no worker took or
        finished."""
        workers = self._acquire()
        unread: dict[int, _Worker] = {}  # workers whose answer is still in their pipe
        try:
            for index, worker in zip(range(len(jobs) - 1), workers, strict=False):
                try:
                    worker.send(fn, jobs[index])
                except (OSError, ValueError) as exc:
                    log.warning("screening worker unavailable: %s", exc)
                    self._drop(worker)
                else:
                    unread[index] = worker
            results = {i: here(*job) for i, job in enumerate(jobs) if i not in unread}
            for index in list(unread):
                worker = unread.pop(index)
                try:
                    results[index] = worker.receive(timeout)
                except (WorkerUnavailable, EOFError, OSError) as exc:
                    log.warning("screening worker failed (%s); its share is done here", exc)
                    self._drop(worker)
                    results[index] = here(*jobs[index])
            return [results[i] for i in range(len(jobs))]
        finally:
            for worker in unread.values():  # this call failed first: never read a stale answer
                self._drop(worker)
            for worker in workers:
                worker.lock.release()

    def close(self) -> None:
        with self._lock:
            started, self._started = self._started, []
        for worker in started:
            worker.stop()


# --- inside a worker process ------------------------------------------------------------------

_worker_context: RegistryContext | None = None


def worker_uow(now: dt.datetime) -> UnitOfWork:
    """A unit of work in this worker's registry, read-only, at the asking process's time (its
    clock decides what is in force); only valid inside a worker."""
    from registry.uow import UnitOfWork

    ctx = _worker_context
    if ctx is None:
        raise RuntimeError("worker_uow() is only available inside a registry worker process")
    return UnitOfWork(ctx.session_factory, ctx.keyring, lambda: now)


def _serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    from registry.context import RegistryContext
    from registry.db import make_engine

    global _worker_context
    settings: Settings = _receive(stdin)
    engine = make_engine(settings.database_url, read_only=True)
    _worker_context = RegistryContext.open(settings, engine=engine)
    while True:
        try:
            name, args = _receive(stdin)
        except EOFError:
            return  # the asking process closed the pipe or exited
        module, _, qualname = name.partition(":")
        try:
            result: tuple[str, Any] = ("ok", getattr(importlib.import_module(module), qualname)(
                *args))
        except Exception as exc:  # the caller re-raises it
            try:
                pickle.dumps(exc)
            except Exception:
                exc = RuntimeError(f"{type(exc).__name__}: {exc}")
            result = ("error", exc)
        _send(stdout, result)


if __name__ == "__main__":
    # Serve from the imported module, whose globals `worker_uow` reads (not __main__'s).
    from registry.workers import _serve as serve

    protocol_out, sys.stdout = sys.stdout.buffer, sys.stderr  # a stray print must not corrupt it
    serve(sys.stdin.buffer, protocol_out)
