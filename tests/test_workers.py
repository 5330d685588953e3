"""workers.py's pool: each worker is given its job when it starts; results come in order; failures reach the caller."""

from __future__ import annotations

import io
import multiprocessing
import os
import pickle
import threading
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from signalkb.cli import main
from signalkb.engine import pipeline, workers
from signalkb.pages.views import RawFile

from .conftest import Project, native_note

SHARDS = [(start, start + 3) for start in range(0, 30, 3)]


def _squares(offset: int, conn: Connection) -> None:
    """A worker whose job is `offset`: each shard's numbers squared, plus the offset."""
    workers._serve(conn, lambda bounds: [offset + i * i for i in range(*bounds)])


def _failing(shard: int, conn: Connection) -> None:
    """A worker that raises on the shard that starts at `shard`."""

    def task(bounds: tuple[int, int]) -> int:
        if bounds[0] == shard:
            raise ValueError(f"shard {shard} failed")
        return bounds[0]

    workers._serve(conn, task)


def _dying(shard: int, conn: Connection) -> None:
    """A worker that dies (as if killed) on the shard that starts at `shard`."""

    def task(bounds: tuple[int, int]) -> int:
        if bounds[0] == shard:
            os._exit(9)
        return bounds[0]

    workers._serve(conn, task)


@pytest.mark.parametrize("start", ["fork", "forkserver"])
def test_results_come_in_order_from_workers_given_their_job(start: workers.StartMethod) -> None:
    results = list(workers._pooled(start, 3, _squares, (1000,), SHARDS))
    assert results == [[1000 + i * i for i in range(*bounds)] for bounds in SHARDS]
    assert multiprocessing.active_children() == []


def _plan_length(job: workers.RenderJob, conn: Connection) -> None:
    """A worker that answers the length of its job's plan."""
    workers._serve(conn, lambda bounds: len(job.plan))


def test_a_forked_worker_inherits_its_job_unpickled() -> None:
    """Fork: the job is the parent's object, never pickled (the plan's closures would not pickle)."""
    job = workers.RenderJob([lambda: RawFile("a.json", b"{}")], {}, b"", Path("."), Path("."))
    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(job)
    assert list(workers._pooled("fork", 2, _plan_length, (job,), [(0, 1), (1, 2)])) == [1, 1]


def test_a_worker_s_exception_is_raised_in_the_parent_and_every_worker_stops() -> None:
    with pytest.raises(ValueError, match="shard 9 failed"):
        list(workers._pooled("fork", 2, _failing, (9,), SHARDS))
    assert multiprocessing.active_children() == []


def test_a_worker_that_dies_breaks_the_pool_and_every_worker_stops() -> None:
    with pytest.raises(BrokenProcessPool):
        list(workers._pooled("fork", 2, _dying, (9,), SHARDS))
    assert multiprocessing.active_children() == []


def test_stopping_early_stops_every_worker() -> None:
    results = workers._pooled("fork", 2, _squares, (0,), SHARDS)
    assert next(results) == [0, 1, 4]
    results.close()
    assert multiprocessing.active_children() == []


class _Terminal(io.StringIO):
    """A stderr that says it is a terminal, so the command line draws its progress bar."""

    def isatty(self) -> bool:
        return True


def test_the_command_line_forks_its_workers_while_no_other_thread_runs_even_with_a_progress_bar(
    project: Project,
) -> None:
    project.write({f"n{i}.md": native_note(f"Note {i}", rows=[(f"Signal {i}", "c", "h", "A force")]) for i in range(3)})
    before = set(threading.enumerate())  # other tests' threads may still be ending
    threads: list[tuple[str, list[str]]] = []
    real = workers._pooled

    def pooled(start: workers.StartMethod, *args: Any) -> Any:
        threads.append((start, [thread.name for thread in set(threading.enumerate()) - before]))
        return real(start, *args)

    err = _Terminal()
    with (
        mock.patch.object(workers, "READ_POOL_THRESHOLD", 1),
        mock.patch.object(pipeline, "POOL_THRESHOLD", 1),
        mock.patch.object(workers, "_pooled", pooled),
    ):
        old = Path.cwd()
        os.chdir(project.root)
        try:
            status = main(["build", "--content", "content", "--out", "site", "--jobs", "2"], io.StringIO(), err)
        finally:
            os.chdir(old)
    assert status == 0, err.getvalue()
    assert "pages" in err.getvalue(), "the progress bar was drawn"
    assert threads == [("fork", []), ("fork", [])], "notes read and pages rendered by workers forked, no thread added"
