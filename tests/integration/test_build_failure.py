"""A bad input or a failing notebook stops the build, says why in one line (with the failing cell), and leaves the
published site untouched."""

import json
import shutil

import pandas as pd
import pytest
import yaml

from helpers import CACHE, CURRENT, DATA, EDITIONS, copy_project, rehash, snapshot, sots

pytestmark = pytest.mark.integration


def test_a_bad_input_table_fails_before_any_work_and_publishes_nothing(built_site, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(built_site, site)
    before = snapshot(site)

    bad = tmp_path / "data"
    shutil.copytree(DATA, bad)
    table = bad / "icb_allocations.csv"
    lines = table.read_text().splitlines(keepends=True)
    i = next(i for i, line in enumerate(lines) if ",QH8," in line)
    lines[i] = lines[i].replace(",QH8,", ",Q!!,", 1)  # an ICB code the schema rejects
    table.write_text("".join(lines))
    rehash(bad)  # as if a faulty prepare had written it: the checksums pass, the schema does not

    done = sots("build", "--all-editions", "--out", str(site), "--data", str(bad))
    assert done.returncode == 1
    assert "building edition" not in done.stdout  # caught before any notebook runs
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("error: ")
    assert f"icb_allocations.csv: column 'icb_code', line {i + 1}: expected str_matches" in done.stderr
    assert snapshot(site) == before
    assert not list(tmp_path.glob(".sots-staging-*")), "staging folders are cleaned up"


def test_a_notebook_failing_in_the_last_edition_publishes_none(built_site, tmp_path):
    """--all-editions stages every edition before publishing any: the last edition fails in a chapter, and the
    published site (every edition, switcher, front page) stays byte-identical."""
    *earlier, last = EDITIONS
    project = copy_project(tmp_path / "project")
    notebook = project / "notebooks" / "funding_per_head.ipynb"
    nb = json.loads(notebook.read_text())
    cell = next(i for i, c in enumerate(nb["cells"]) if "parameters" in c.get("metadata", {}).get("tags", []))
    nb["cells"].insert(cell + 1, {
        "cell_type": "code", "execution_count": None, "id": "deliberate-failure", "metadata": {}, "outputs": [],
        "source": [f'if edition == "{last}":\n', '    raise RuntimeError("a failure in the last edition")'],
    })
    notebook.write_text(json.dumps(nb, indent=1))
    site = tmp_path / "site"
    shutil.copytree(built_site, site)
    before = snapshot(site)

    done = sots("build", "--all-editions", "--out", str(site), "--cache", str(CACHE), cwd=project)
    assert done.returncode == 1
    for edition in EDITIONS:
        assert f"staged edition {edition}" in done.stdout
    for edition in earlier:  # the changed chapter did not fail for the editions before (it may not have finished)
        assert f"{edition} QE1 funding_per_head:" not in done.stderr
    assert "published" not in done.stdout
    assert done.stderr.splitlines()[0].startswith(f"error: {last} QE1 funding_per_head: cell")
    assert "RuntimeError: a failure in the last edition" in done.stderr.splitlines()[0]
    assert 'raise RuntimeError("a failure in the last edition")' in done.stderr  # the failing cell is shown
    assert snapshot(site) == before
    assert not list(tmp_path.glob(".sots-staging-*")), "staging folders are cleaned up"


def test_a_missing_data_year_fails_before_any_work_naming_the_edition_and_field(tmp_path):
    project = copy_project(tmp_path / "project")
    register = project / "editions.yml"
    before, entry = register.read_text().split(f'id: "{CURRENT}"')  # the current edition's entry, and those before
    head, line, tail = entry.partition("      allocation_year: ")
    register.write_text(before + f'id: "{CURRENT}"' + head + line + '"2030/31"' + tail[tail.index("\n"):])
    present = ", ".join(sorted(pd.read_csv(DATA / "icb_allocations.csv", dtype=str)["year"].unique()))
    done = sots("build", "--all-editions", "--out", str(tmp_path / "site"), cwd=project)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert (f"error: editions.yml: edition '{CURRENT}', field 'inputs.allocation_year': no 2030/31 rows in the "
            f"prepared table 'icb_allocations' (years present: {present};") in done.stderr
    assert not (tmp_path / "site").exists()


def test_a_malformed_register_fails_in_one_line(tmp_path):
    project = copy_project(tmp_path / "project")
    register = project / "editions.yml"
    entries = yaml.safe_load(register.read_text())["editions"]
    n = next(n for n, e in enumerate(entries) if e["status"] == "archived")  # the first archived edition in the file
    register.write_text(register.read_text().replace("status: archived", "status: old"))
    done = sots("build", "--out", str(tmp_path / "site"), cwd=project)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert (f"editions.yml: edition {n + 1} ('{entries[n]['id']}'), field 'status': expected current or archived, got "
            "'old'") in done.stderr
