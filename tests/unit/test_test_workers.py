"""How the suite shares two workers (tests/workers.py): which modules go together and which start, and a folder made
once per run however many workers ask for it, or failed once for all of them."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import workers
from helpers import ROOT

pytestmark = pytest.mark.unit


class Worker:
    """A worker's temporary-folder factory, as pytest-xdist gives each: its own folder under the run's."""

    def __init__(self, run: Path, name: str):
        self.folder = run / f"popen-{name}"
        self.folder.mkdir(parents=True, exist_ok=True)

    def getbasetemp(self) -> Path:
        return self.folder


def test_each_module_is_its_own_unit_but_the_crawls_readers_share_one():
    assert workers.work_unit("tests/unit/test_atomic.py::test_x[1]") == "tests/unit/test_atomic.py"
    assert {workers.work_unit(f"{module}::test_x") for module in workers.TOGETHER} == {"crawl"}
    assert workers.work_unit("tests/e2e/test_pdf.py::test_x[2023-24]") == "tests/e2e/test_pdf.py"


def test_the_first_two_modules_each_make_one_of_the_sessions_sites_and_the_crawl_comes_next():
    ids = ["tests/unit/test_atomic.py::a", "tests/e2e/test_browser.py::b", "tests/e2e/test_chart_data.py::c",
           "tests/e2e/test_national_build.py::d", "tests/e2e/test_pdf.py::e"]
    assert sorted(ids, key=workers.start_order) == [ids[3], ids[2], ids[1], ids[0], ids[4]]
    other_icbs, default = ((ROOT / module).read_text() for module in workers.FIRST[:2])
    assert "another_icb_site" in other_icbs and "built_site" not in other_icbs
    assert "built_site" in default and "another_icb_site" not in default
    assert workers.work_unit(f"{workers.FIRST[2]}::test_x") == "crawl"


def test_two_workers_asking_at_once_get_one_folder_made_once(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    made, got = [], []
    started = threading.Barrier(2)

    def make(folder: Path) -> None:
        made.append(folder)
        (folder / "site.txt").write_text("built\n")

    def ask(name: str) -> None:
        started.wait()
        got.append(workers.once_per_run(Worker(tmp_path, name), "site", make))

    threads = [threading.Thread(target=ask, args=(name,)) for name in ("gw0", "gw1")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert made == [tmp_path / "site"] and got == [tmp_path / "site"] * 2
    assert (tmp_path / "site" / "site.txt").read_text() == "built\n"


def test_a_failed_making_fails_every_later_asker_with_its_message_and_is_not_made_again(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    calls = []

    def make(folder: Path) -> None:
        calls.append(folder)
        raise AssertionError("the build exited 1")

    with pytest.raises(AssertionError, match="the build exited 1"):
        workers.once_per_run(Worker(tmp_path, "gw0"), "site", make)
    with pytest.raises(pytest.fail.Exception, match="made by another worker, and failed: the build exited 1"):
        workers.once_per_run(Worker(tmp_path, "gw1"), "site", make)
    assert len(calls) == 1


def test_a_folder_half_made_by_a_worker_that_died_is_made_again(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "half.txt").write_text("cut short\n")  # no .done beside it: its maker never finished
    folder = workers.once_per_run(Worker(tmp_path, "gw1"), "site", lambda f: (f / "whole.txt").write_text("whole\n"))
    assert sorted(p.name for p in folder.iterdir()) == ["whole.txt"]


def test_without_workers_each_session_makes_its_own(tmp_path, monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    factory = pytest.TempPathFactory(given_basetemp=tmp_path / "base", retention_count=1, retention_policy="all",
                                     trace=lambda *a: None, _ispytest=True)
    folder = workers.once_per_run(factory, "site", lambda f: (f / "a.txt").write_text("a\n"))
    assert folder.parent == factory.getbasetemp() and (folder / "a.txt").is_file()
