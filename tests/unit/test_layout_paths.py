"""A layout reads only a file inside the upstream folder: its ``file``, as written, is relative and has no '..' (the
upstream's own files may be links to files elsewhere, so where a link points is not checked)."""

from pathlib import Path

import pytest

from helpers import ROOT
from sots.errors import InputError
from sots.inputs import layouts

pytestmark = pytest.mark.unit

SOURCES = layouts.catalogue(ROOT / "sources")
PATH = Path("sources/layouts/unit_costs/2099-00.yml")


def doc(file: str) -> dict:
    return {"source": "nhse_ncc", "file": file, "years": ["2099/00"],
            "columns": {"cost": "Total cost", "activity": "Activity"}}


def parse(file: str) -> layouts.Layout:
    return layouts.parse(doc(file), PATH, "unit_costs", SOURCES, columns={"cost": "GBP", "activity": "events"})


@pytest.mark.parametrize("file", ["../../../../etc/passwd", "/etc/passwd", "ncc/../../outside.csv", ".."])
def test_a_file_outside_the_upstream_folder_is_refused_naming_the_layout_and_field(file):
    with pytest.raises(InputError) as refused:
        parse(file)
    assert str(refused.value) == (f"{PATH}: field 'file': expected a path inside the upstream folder (--raw), "
                                  f"relative and without '..', got '{file}'")


@pytest.mark.parametrize("file", ["ncc/schedule.csv", "schedule.csv", "./ncc/schedule..v2.csv"])
def test_a_file_inside_the_upstream_folder_is_read_as_written(file):
    assert parse(file).file == file
