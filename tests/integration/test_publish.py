"""Publishing: processes publishing into one site at the same time never leave a broken or half-swapped edition; the
site's changes page is made from every edition published, and a damaged one stops publishing."""

import json
import subprocess
import sys

import pytest
from bs4 import BeautifulSoup

from helpers import CURRENT, EDITIONS, REGISTER, ROOT, snapshot
from sots.errors import InputError
from sots.site import changes, national, publish

pytestmark = pytest.mark.integration

# One process: once both are ready (the start file exists), publish every edition (the ids after the register's path)
# ROUNDS times, each round with files that name the process and round, and a manifest of them, as a real build
# stages them.
WORKER = """
import json, sys, tempfile, time
from pathlib import Path
from sots.inputs import editions
from sots.site import publish
out, tag, rounds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
register = editions.load(sys.argv[4])
start = out.parent / "start"
while not start.exists():
    time.sleep(0.01)
for n in range(rounds):
    with tempfile.TemporaryDirectory(prefix=".sots-staging-", dir=out.parent) as tmp:
        staged = {}
        for edition in sys.argv[5:]:
            folder = Path(tmp) / edition
            (folder / "book").mkdir(parents=True)
            for name in ("index.html", "book/intro.html"):
                (folder / name).write_text(f"{edition} {name} from {tag} round {n}\\n" * 50)
            figure = {"value": None, "not_computed": f"{edition} results.json from {tag} round {n}",
                      "edition": edition, "icb": "QE1"}
            (folder / "results.json").write_text(json.dumps({"core_allocation_per_head_gbp": figure}, indent=1))
            (folder / "manifest.json").write_text(json.dumps({"edition": edition, "icb": {"code": "QE1", "name": "x"},
                                                              "outputs": publish.file_hashes(folder)}))
            staged[edition] = folder
        publish.publish(staged, out, register)
"""


def source(path):
    """Which process and round wrote a file the worker stages: "a round 3"."""
    if path.name == "results.json":
        return json.loads(path.read_text())["core_allocation_per_head_gbp"]["not_computed"].split(" from ")[1]
    return path.read_text().splitlines()[0].split(" from ")[1]


def test_two_processes_publishing_at_once_leave_every_edition_whole(tmp_path):
    out = tmp_path / "site"
    rounds = "150"
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(out), tag, rounds, str(ROOT / "editions.yml"),
                                 *EDITIONS], stderr=subprocess.PIPE, text=True) for tag in ("a", "b")]
    (tmp_path / "start").touch()
    for worker in workers:
        _, stderr = worker.communicate(timeout=300)
        assert worker.returncode == 0, stderr
    assert sorted(p.name for p in out.iterdir()) == sorted([*EDITIONS, "changes.html", "index.html", "switcher.json",
                                                            publish.SITE.marker])
    page = (out / changes.PAGE).read_text()
    for edition in EDITIONS:
        assert publish.verify_manifest(out / edition) == []
        # All of an edition's files come from one process's one round: never a mixture.
        sources = {source(p) for p in (out / edition).rglob("*") if p.is_file() and p.name != "manifest.json"}
        assert len(sources) == 1, sources
        # The changes page was made from the editions published with it, under the same lock.
        assert f"{edition} results.json from {sources.pop()}" in page
    assert [e["version"] for e in json.loads((out / "switcher.json").read_text())] == list(reversed(EDITIONS))
    assert f"url={CURRENT}/index.html" in (out / "index.html").read_text()
    assert not list(tmp_path.glob(".sots-staging-*"))


# --- The site's changes page ------------------------------------------------------------------------------------------

ICB = {"code": "QE1", "name": "NHS Lancashire and South Cumbria ICB"}
PER_HEAD = next(h for h in national.HEADLINES if h.figure_id == "core_allocation_per_head_gbp")
# Known answers: funding per registered head in each edition's allocation year (GBP), and as the page shows them.
VALUES = {EDITIONS[0]: 1873.104512080893, EDITIONS[1]: 1907.3504560264848}


def stage(folder, edition, value, year):
    """A small staged edition, as a build leaves it: a front page, results.json with one figure, its manifest."""
    (folder / "book").mkdir(parents=True)
    (folder / "index.html").write_text("<p>redirect</p>\n")
    (folder / "book" / "intro.html").write_text(f"<p>edition {edition}</p>\n")
    figure = {"value": value, "unit": PER_HEAD.unit, "edition": edition, "icb": ICB["code"], "method": "m",
              "inputs": {"icb_allocations": "sha256:" + "a" * 64, "year": year},
              "provenance": {"code_sha256": "25e33c4b419c", "parameters_sha256": year, "edition": edition}}
    (folder / "results.json").write_text(json.dumps({PER_HEAD.figure_id: figure}, indent=2) + "\n")
    (folder / "manifest.json").write_text(json.dumps({"edition": edition, "icb": ICB,
                                                      "outputs": publish.file_hashes(folder)}))
    return folder


def test_publishing_writes_the_changes_page_from_every_edition_in_the_site(tmp_path):
    out = tmp_path / "site"
    old, new = EDITIONS[:2]
    years = {e.id: e.inputs["allocation_year"] for e in REGISTER}
    publish.publish({old: stage(tmp_path / "s1" / old, old, VALUES[old], years[old])}, out, REGISTER)
    assert "nothing has changed yet" in (out / changes.PAGE).read_text()  # one edition: nothing to compare yet
    # The next build publishes only the newer edition; the page reads the older one from the site.
    publish.publish({new: stage(tmp_path / "s2" / new, new, VALUES[new], years[new])}, out, REGISTER)
    page = (out / changes.PAGE).read_text()
    doc = BeautifulSoup(page, "html.parser")
    assert doc.h1.get_text() == "What changed between editions" and "://" not in page
    assert [a["href"] for a in doc.select(".editions a")] == [f"{e}/book/intro.html" for e in (old, new)]
    assert all((out / e / "book" / "intro.html").is_file() for e in (old, new))
    row = next(tr for tr in doc.find_all("tr") if tr.th.get_text() == PER_HEAD.header)
    shown = [PER_HEAD.format(json.loads((out / e / "results.json").read_text())[PER_HEAD.figure_id]["value"])
             for e in (old, new)]
    assert shown == ["£1,873", "£1,907"]
    assert [td.get_text() for td in row.find_all("td")] == [*shown, "+£34", changes.NEW_DATA]


def test_a_damaged_results_file_in_the_site_stops_publishing_and_leaves_the_site_as_it_was(tmp_path):
    out = tmp_path / "site"
    old, new = EDITIONS[:2]
    publish.publish({e: stage(tmp_path / "s1" / e, e, VALUES[e], e) for e in (old, new)}, out, REGISTER)
    (out / old / "results.json").write_text('{"core_allocation_per_head_gbp": {"value": 18')  # cut short
    before = snapshot(out)
    with pytest.raises(InputError) as refused:
        publish.publish({new: stage(tmp_path / "s2" / new, new, 2000.0, new)}, out, REGISTER)
    message = str(refused.value)
    assert "\n" not in message and message.startswith(f"{out / old / 'results.json'}: not valid JSON")
    assert snapshot(out) == before
