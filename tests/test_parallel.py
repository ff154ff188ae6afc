"""Markdown and editions spread over forked workers give exactly what one process gives."""

from __future__ import annotations

import multiprocessing

import pytest


def snapshot(output) -> dict[str, bytes]:
    """Every built file, minus what differs on every build (edition.json's build time)."""
    return {
        str(path.relative_to(output)): path.read_bytes()
        for path in sorted(output.rglob("*"))
        if path.is_file() and path.name != "edition.json"
    }


@pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="no fork on this platform"
)
def test_forked_workers_build_the_same_site(tree, tmp_path):
    many = {
        f"articles/extra-{n}.md": f"---\ntitle: Extra {n}\nissue: {1 + n % 2}\n---\n"
        f"Text *{n}*, see [one]({{filename}}one.md).\n"
        for n in range(12)
    }
    cold = {"NEWSLETTER_CACHE": False}  # both render everything
    tree(many, extra={"NEWSLETTER_WORKERS": 1, **cold})
    alone = snapshot(tmp_path / "output")
    tree(many, extra={"NEWSLETTER_WORKERS": 2, "NEWSLETTER_MIN_ITEMS": 1, **cold})
    shared = snapshot(tmp_path / "output")
    assert len(alone) > 20 and "editions/2/email.txt" in alone
    assert shared == alone


def test_fork_map_keeps_order_and_falls_back_to_one_process():
    from newsletter.parallel import fork_map, workers_for

    assert fork_map(lambda i: i * i, 50, 2) == [i * i for i in range(50)]
    assert fork_map(lambda i: -i, 3, 1) == [0, -1, -2]
    assert workers_for({"NEWSLETTER_WORKERS": 8}, 10) == 1  # too little work to share
    assert workers_for({"NEWSLETTER_WORKERS": 2}, 1000) == 2


@pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="no fork on this platform"
)
def test_phase_timers_add_up_the_workers_time(tmp_path):
    import os

    from newsletter import parallel, timing

    def work(index: int) -> int:
        with timing.phase("test: square"):
            return os.getpid()

    timing.reset()
    parallel.PROFILE_DIR = str(tmp_path)
    try:
        pids = set(parallel.fork_map(work, 64, 2))
    finally:
        parallel.PROFILE_DIR = None
    assert os.getpid() not in pids  # the work ran in forked workers...
    wall, cpu, count = timing.totals()["test: square"]
    assert count == 64 and wall > 0 and cpu >= 0  # ...and its timers reached this process
    assert list(tmp_path.glob("worker-*.prof"))  # each chunk was profiled
