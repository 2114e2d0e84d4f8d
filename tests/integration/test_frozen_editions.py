"""An edition is built only from its own data years: adding a later year's allocations and weighted populations to
the prepared tables, as a publication of their own, changes no figure a published edition records.

The synthetic year 2099/00 is 2024/25's rows relabelled and scaled (money by 5%, people by 2%), listed in the data
package as a new source giving 2099/00 only. The funding, finance and acute spend chapters run under papermill for
both editions on the committed tables and on those with the new year; their results fragments must be identical,
byte for byte (figure values, units, methods, and the sha256 of the rows read).
"""

import json
import shutil

import pandas as pd
import pytest

from helpers import DATA, ROOT
from sots.inputs import data, editions, layouts
from sots.site.execution import execute
from sots.site.pipeline import Parameters

pytestmark = pytest.mark.integration

NOTEBOOKS = [ROOT / "notebooks" / f"{name}.ipynb" for name in ("funding_per_head", "finance", "acute_spend")]
LAST = "2024/25"
# The synthetic year: 2099/00, or the year after the latest in data/ if a synthetic year is there already.
_START = max(2099, int(max(pd.read_csv(DATA / "icb_allocations.csv", usecols=["year"])["year"])[:4]) + 1)
NEW = f"{_START}/{(_START + 1) % 100:02d}"
MONEY, PEOPLE = 1.05, 1.02
SYNTHETIC = {  # the new year's publications, as sources.yml would list them
    "nhse_allocations_synthetic": {"title": f"Allocations {NEW} (synthetic)", "publisher": "NHS England",
                                   "path": "https://example.org/allocations-synthetic", "period": NEW},
    "nhse_weighted_population_synthetic": {"title": f"Weighted populations {NEW} (synthetic)",
                                           "publisher": "NHS England",
                                           "path": "https://example.org/weighted-synthetic", "period": NEW},
}


def scaled(frame: pd.DataFrame) -> pd.DataFrame:
    """2024/25's rows as 2099/00's: money by MONEY, populations by PEOPLE, per-head figures by MONEY / PEOPLE."""
    new = frame[frame["year"] == LAST].assign(year=NEW)
    for column in new.columns:
        factor = (MONEY if column.endswith("_gbp_k") else MONEY / PEOPLE if column.endswith("_per_head_gbp")
                  else PEOPLE if column.endswith("_persons") else None)
        if factor is not None:
            new[column] = new[column].astype(float) * factor
    return new


@pytest.fixture(scope="module")
def with_new_year(tmp_path_factory):
    """A copy of data/ with 2099/00's allocations and weighted populations, and its data package."""
    folder = tmp_path_factory.mktemp("data")
    for path in DATA.iterdir():
        shutil.copy(path, folder / path.name)
    for name in ("icb_allocations", "icb_weighted_population"):
        frame = pd.read_csv(DATA / f"{name}.csv", dtype=str, keep_default_na=False)
        pd.concat([frame, scaled(frame)]).to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
    known = data.table_sources(DATA)
    source_years = {name: {**{s["id"]: s["years"] for s in known[name]}, new_id: [NEW]}
                    for name, new_id in (("icb_allocations", "nhse_allocations_synthetic"),
                                         ("icb_weighted_population", "nhse_weighted_population_synthetic"))}
    catalogue = {**layouts.catalogue(layouts.folder()), **SYNTHETIC}
    cited = {name: [{"id": i, **{f: catalogue[i][f] for f in layouts.CATALOGUE_FIELDS}, **({"years": y} if y else {})}
                    for i, y in source_years.get(name, {s["id"]: s.get("years") for s in known[name]}).items()]
             for name in data.TABLES}
    package = data.datapackage(folder, {}, cited)
    (folder / data.DATAPACKAGE).write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n")
    assert data.verify(folder) == []
    return folder


def fragments(edition_id: str, data_dir, out) -> dict[str, bytes]:
    """Each chapter's results fragment, as bytes, run for the edition on the tables in ``data_dir``."""
    edition = editions.get(editions.load(ROOT / editions.EDITIONS_FILE), edition_id)
    written = execute(NOTEBOOKS, out / "nb", out / "results", Parameters(edition=edition, icb="QE1", data_dir=data_dir),
                      log=lambda _: None)
    return {path.name: path.read_bytes() for path in written}


def test_the_new_year_is_there_and_would_reach_an_edition_of_its_own(with_new_year):
    allocations = data.load("icb_allocations", with_new_year)
    years_before = sorted(data.load("icb_allocations", DATA)["year"].unique())
    assert sorted(allocations["year"].unique()) == [*years_before, NEW]
    sources = data.table_sources(with_new_year)
    assert [s["id"] for s in sources["icb_allocations"]][-1] == "nhse_allocations_synthetic"
    new_edition = {"allocation_year": NEW, "unit_cost_year": LAST, "outturn_year": LAST}
    assert editions.window("icb_allocations", new_edition, sources) == ("2023/24", LAST, NEW)
    # Its publication gives the new year alone: the year before comes with it, to compare with.
    assert editions.window("icb_weighted_population", new_edition, sources) == (LAST, NEW)


@pytest.mark.parametrize("edition", ["2023-24", "2024-25"])
def test_adding_a_year_changes_no_figure_of_an_edition(with_new_year, tmp_path, edition):
    before = fragments(edition, DATA, tmp_path / "before")
    after = fragments(edition, with_new_year, tmp_path / "after")
    assert sorted(before) == ["acute_spend.json", "finance.json", "funding_per_head.json"]
    for name, text in before.items():
        assert after[name] == text, name
    figures = json.loads(after["funding_per_head.json"])
    assert not [f for f in figures if f.endswith(NEW.replace("/", "_"))]  # no figure of the new year reaches it
    assert figures["core_allocation_per_head_gbp"]["inputs"]["icb_allocations"].startswith("sha256:")
