"""Publishing: processes publishing into one site at the same time never leave a broken or half-swapped edition."""

import json
import subprocess
import sys

import pytest

from helpers import CURRENT, EDITIONS, ROOT
from sots import publish

pytestmark = pytest.mark.integration

# One process: once both are ready (the start file exists), publish every edition (the ids after the register's path)
# ROUNDS times, each round with files that name the process and round, and a manifest of them, as a real build
# stages them.
WORKER = """
import json, sys, tempfile, time
from pathlib import Path
from sots import editions, publish
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
            for name in ("index.html", "book/intro.html", "results.json"):
                (folder / name).write_text(f"{edition} {name} from {tag} round {n}\\n" * 50)
            (folder / "manifest.json").write_text(json.dumps({"outputs": publish.file_hashes(folder)}))
            staged[edition] = folder
        publish.publish(staged, out, register)
"""


def test_two_processes_publishing_at_once_leave_every_edition_whole(tmp_path):
    out = tmp_path / "site"
    rounds = "150"
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(out), tag, rounds, str(ROOT / "editions.yml"),
                                 *EDITIONS], stderr=subprocess.PIPE, text=True) for tag in ("a", "b")]
    (tmp_path / "start").touch()
    for worker in workers:
        _, stderr = worker.communicate(timeout=300)
        assert worker.returncode == 0, stderr
    assert sorted(p.name for p in out.iterdir()) == [*EDITIONS, "index.html", "switcher.json"]
    for edition in EDITIONS:
        assert publish.verify_manifest(out / edition) == []
        # All of an edition's files come from one process's one round: never a mixture.
        sources = {p.read_text().splitlines()[0].split(" from ")[1] for p in (out / edition).rglob("*")
                   if p.is_file() and p.name != "manifest.json"}
        assert len(sources) == 1, sources
    assert [e["version"] for e in json.loads((out / "switcher.json").read_text())] == list(reversed(EDITIONS))
    assert f"url={CURRENT}/index.html" in (out / "index.html").read_text()
    assert not list(tmp_path.glob(".sots-staging-*"))
