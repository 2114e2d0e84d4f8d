"""Inputs checked before any work, each refused in one line (issue 23): numbers that are not finite in the registers and
golden files, the claims register's report ICB and chapters, an empty ICB, the table of contents, the release's
version and time, a table with a row twice; and every message printed as the text it is, brackets and all."""

from __future__ import annotations

import json
import math

import pandas as pd
import pandera.pandas as pa
import pytest
from typer.testing import CliRunner

from helpers import ROOT
from sots import cli, toc
from sots.analysis import claims
from sots.errors import InputError, SotsError
from sots.inputs import data, geography, schema
from sots.site import golden, pipeline, release

pytestmark = pytest.mark.unit


# --- Printing -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["unknown ICB '[/]'", "a cell '[x]' and '[bold]b[/bold]'", "the pattern '^[a-z]$'",
                                  "path /tmp/x[/]y/site :smile:"])
def test_every_line_is_printed_as_the_text_it_is(text, monkeypatch):
    app = cli.typer.Typer()

    @app.command()
    @cli.reported
    def say() -> None:
        cli.out.print(f"wrote {text}")
        raise SotsError(f"{text}\nthe cell: {text}")

    result = CliRunner().invoke(app, [])
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stdout == f"wrote {text}\n"
    assert result.stderr == f"error: {text}\nthe cell: {text}\n"


# --- Numbers that are not finite ------------------------------------------------------------------------------------


def register() -> dict:
    return claims._parsed(*claims._read(ROOT / claims.REGISTER))


@pytest.mark.parametrize("field, value, expected", [
    ("tolerance", math.nan, "claim F2: field 'tolerance': expected a finite number, 0 or more, in the stated unit, "
     "got nan"),
    ("tolerance", -math.inf, "claim F2: field 'tolerance': expected a finite number, 0 or more, in the stated unit, "
     "got -inf"),
    ("stated", math.inf, "claim F2: field 'stated': expected a finite number in the claim's unit, or null for a "
     "claim that states none, got inf"),
    ("stated", 10 ** 400, None),  # a whole number is finite, however long: no overflow
])
def test_a_claim_number_must_be_finite(field, value, expected):
    doc = json.loads(json.dumps(register()))
    doc["claims"][1][field] = value
    if expected is None:
        claims.validate(doc, "claims.yml")
        return
    with pytest.raises(InputError) as err:
        claims.validate(doc, "claims.yml")
    assert str(err.value) == f"claims.yml: {expected}"


def test_a_check_tolerance_must_be_finite():
    doc = json.loads(json.dumps(register()))
    index, claim = next((i, c) for i, c in enumerate(doc["claims"]) if "checks" in c)
    claim["checks"][0]["tolerance"] = math.nan
    with pytest.raises(InputError, match=rf"claim {claim['id']}: field 'checks.0.tolerance': expected a finite "):
        claims.validate(doc, "claims.yml")


def test_the_finite_number_type_is_the_registers_only_change_to_the_draft():
    validator = schema._validator_class()({"type": "number"})
    assert [validator.is_valid(v) for v in (1, 2.5, 10 ** 400, math.nan, math.inf, "1", True)] == [
        True, True, True, False, False, False, False]


GOLDEN = {"edition": "2023-24", "icb": "QE1", "figures": {"rank": {"value": 21, "tolerance": 0},
                                                         "gone": {"value": None, "tolerance": 0}}}


@pytest.mark.parametrize("change, expected", [
    (lambda g: g["figures"]["rank"].update(tolerance=math.nan),
     "figure 'rank': field 'tolerance': expected a finite number, 0 or more, in the figure's unit, got nan"),
    (lambda g: g["figures"]["rank"].update(value=math.inf),
     "figure 'rank': field 'value': expected a finite number, or null for a figure its chapter does not compute, "
     "got inf"),
    (lambda g: g["figures"]["rank"].update(tolerance=-1),
     "figure 'rank': field 'tolerance': expected a finite number, 0 or more, in the figure's unit, got -1"),
    (lambda g: g["figures"]["rank"].pop("tolerance"),
     "figure 'rank': field 'tolerance': expected a finite number, 0 or more, in the figure's unit, got nothing"),
    (lambda g: g.update(icb="[/x]"), "field 'icb': expected the ICB's ODS code, such as QE1, got '[/x]'"),
])
def test_a_golden_file_is_checked_against_its_schema_when_read(tmp_path, change, expected):
    path = tmp_path / "QE1.json"
    path.write_text(json.dumps(GOLDEN))
    assert golden.read(path) == GOLDEN
    content = json.loads(json.dumps(GOLDEN))
    change(content)
    path.write_text(json.dumps(content))  # json writes NaN and Infinity, and reads them back as floats
    with pytest.raises(InputError) as err:
        golden.read(path)
    assert str(err.value) == f"{path}: {expected}"


def test_the_committed_golden_files_meet_their_schema():
    paths = sorted((ROOT / golden.GOLDEN_DIR).glob("*/*.json"))
    assert paths and all(golden.read(path)["figures"] for path in paths)


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_a_built_figure_that_is_not_finite_is_refused(tmp_path, value):
    (tmp_path / "2023-24").mkdir()
    results = {"rank": {"value": 21, "icb": "QE1"}, "share": {"value": value, "icb": "QE1"}}
    (tmp_path / "2023-24" / "results.json").write_text(json.dumps(results))
    with pytest.raises(InputError) as err:
        golden.built_results(tmp_path, "2023-24", "QE1")
    assert str(err.value) == (f"{tmp_path / '2023-24' / 'results.json'}: figure share: expected a finite number or "
                              f"null, as `sots build` writes, got {value}; rebuild the edition: `sots build --edition "
                              "2023-24`")


# --- The claims register's report ICB and chapters --------------------------------------------------------------------


def test_the_report_icb_must_be_an_icb(tmp_path):
    path = tmp_path / "claims.yml"
    path.write_text((ROOT / claims.REGISTER).read_text().replace("  icb_code: QE1\n", "  icb_code: Q[/]\n", 1))
    with pytest.raises(InputError) as err:
        claims.report(path)
    assert str(err.value) == (f"{path}: report: field 'icb_code': expected one of the 42 ICB codes (NHS ODS, July "
                              "2022 boundaries), got 'Q[/]'")
    assert claims.report(ROOT / claims.REGISTER)["icb_code"] == "QE1"


def test_each_claim_chapter_must_be_a_page_of_the_book():
    loaded = claims.load(ROOT / claims.REGISTER)
    pages = toc.pages_in_toc(pipeline.read_toc(ROOT))
    assert claims.unknown_chapters(loaded, pages, ROOT) == []
    loaded["F1"]["chapter"] = "notebooks/acute_spends"
    loaded["F2"]["chapter"] = "notebooks/zzzz"
    assert claims.unknown_chapters(loaded, pages, ROOT) == [
        "claims.yml: claim F1: field 'chapter': expected a page _toc.yml lists, got 'notebooks/acute_spends'; did you "
        "mean 'notebooks/acute_spend'?",
        "claims.yml: claim F2: field 'chapter': expected a page _toc.yml lists, got 'notebooks/zzzz'"]
    # A book cut to fewer chapters, without the claims page: a chapter need only be one of the project's pages.
    cut = ["book/intro", "notebooks/acute_spend"]
    assert claims.unknown_chapters(loaded, cut, ROOT) == [
        "claims.yml: claim F1: field 'chapter': expected a page of the book (notebooks/<name>.ipynb or "
        "book/<name>.md), got 'notebooks/acute_spends'; did you mean 'notebooks/acute_spend'?",
        "claims.yml: claim F2: field 'chapter': expected a page of the book (notebooks/<name>.ipynb or "
        "book/<name>.md), got 'notebooks/zzzz'"]


# --- An empty ICB ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "   "])
def test_an_empty_icb_is_refused_not_guessed(query):
    with pytest.raises(InputError) as err:
        geography.resolve_icb(query, geography.icb_reference())
    assert str(err.value) == (f"unknown ICB '{query}': expected one of the 42 ICB codes (ODS or GSS) or names, got "
                              "nothing; run `sots icbs` to list them")


def test_the_reference_table_resolves_and_suggests_without_short_names():
    reference = geography.icb_reference()
    assert geography.resolve_icb("qe1", reference).icb_code == "QE1"
    assert geography.closest_icbs("QE2", reference)[0] == "QE1 (Lancashire and South Cumbria)"
    assert geography.closest_icbs("", reference) == [] or all("(" in s for s in geography.closest_icbs("", reference))


# --- The table of contents -------------------------------------------------------------------------------------------


def project_with_toc(tmp_path, toc: str):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "book").mkdir()
    (tmp_path / "notebooks" / "a.ipynb").write_text("{}")
    (tmp_path / "book" / "intro.md").write_text("# Intro\n")
    (tmp_path / "_toc.yml").write_text(toc)
    return tmp_path


def test_the_table_of_contents_is_read_and_each_page_found(tmp_path):
    root = project_with_toc(tmp_path, "format: jb-book\nroot: book/intro\nchapters:\n  - file: notebooks/a\n")
    assert toc.pages_in_toc(pipeline.read_toc(root)) == ["book/intro", "notebooks/a"]


@pytest.mark.parametrize("toc, expected", [
    ("root: book/intro\nchapters:\n  - file: [notebooks/a\n", ", line 4: not valid YAML ("),
    ("root: book/intro\nchapters:\n  - file: notebooks/b\n",
     ": page 'notebooks/b': expected the file notebooks/b.ipynb in {root}, got none"),
    ("root: book/intro\nchapters:\n  - file: book/methods\n",
     ": page 'book/methods': expected the file book/methods.md in {root}, got none"),
    ("chapters:\n  - file: notebooks/a\n",
     ": expected Jupyter Book's table of contents: a 'root' page, then entries of 'file: <page>'"),
    ("root: book/intro\nchapters: [notebooks/a]\n",
     ": expected Jupyter Book's table of contents: a 'root' page, then entries of 'file: <page>'"),
    ("- root\n", ": expected Jupyter Book's table of contents: a 'root' page, then entries of 'file: <page>'"),
])
def test_a_broken_table_of_contents_is_named_in_one_line(tmp_path, toc, expected):
    root = project_with_toc(tmp_path, toc)
    with pytest.raises(InputError) as err:
        pipeline.read_toc(root)
    message = str(err.value)
    assert message.startswith(f"{root / '_toc.yml'}") and "\n" not in message
    assert expected.format(root=root) in message


# --- The release ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("epoch", ["99999999999999999", "315532799", "-1", "1e9", "１２３", "²"])
def test_source_date_epoch_outside_1980_to_9999_is_refused(tmp_path, epoch):
    with pytest.raises(InputError) as err:
        release.build_time(tmp_path, {"SOURCE_DATE_EPOCH": epoch})
    assert str(err.value) == ("SOURCE_DATE_EPOCH: expected whole seconds since 1970, from 315532800 (1980) to "
                              f"253402300799 (the end of 9999), got {epoch!r}")


@pytest.mark.parametrize("epoch, when", [("315532800", "1980-01-01T00:00:00+00:00"),
                                         ("253402300799", "9999-12-31T23:59:59+00:00")])
def test_source_date_epoch_at_either_end_of_its_range(tmp_path, epoch, when):
    assert release.build_time(tmp_path, {"SOURCE_DATE_EPOCH": epoch}) == (when, "SOURCE_DATE_EPOCH")


@pytest.mark.parametrize("version, ok", [("2026.1", True), ("2026.12", True), ("1.0rc1", True), ("2026.1.post1", True),
                                         ("2026.01", False), ("v2026.1", False), ("[/]", False), ("", False),
                                         ("2026.1 ", False)])
def test_the_version_must_be_pep_440(tmp_path, version, ok):
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "sots"\nversion = "{version}"\n')
    if ok:
        assert release.version(tmp_path) == version
        return
    with pytest.raises(InputError) as err:
        release.version(tmp_path)
    assert str(err.value) == (f"{tmp_path / 'pyproject.toml'}: field 'project.version': expected a PEP 440 version "
                              f"such as 2026.1 (the year, then the release), got {version!r}")


def test_the_version_of_a_project_without_one_or_with_bad_toml(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "sots"\n')
    with pytest.raises(InputError, match=r"field 'project.version': expected a PEP 440 version .*, got nothing$"):
        release.version(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project\n')
    with pytest.raises(InputError, match=r"pyproject.toml: not valid TOML \("):
        release.version(tmp_path)
    assert release.version(tmp_path / "elsewhere") == release.version(ROOT) == release.version()


# --- A prepared table with a row twice -------------------------------------------------------------------------------


def failure(frame: pd.DataFrame, schema_: pa.DataFrameSchema) -> pa.errors.SchemaErrors:
    with pytest.raises(pa.errors.SchemaErrors) as err:
        schema_.validate(frame, lazy=True)
    return err.value


def test_a_key_twice_names_its_columns_the_second_line_and_the_first():
    schema_ = pa.DataFrameSchema({"year": pa.Column(str), "icb_code": pa.Column(str), "n": pa.Column(int)},
                                 unique=["icb_code", "year"])
    frame = pd.DataFrame({"year": ["2023/24", "2023/24", "2024/25", "2023/24"],
                          "icb_code": ["QE1", "QWE", "QE1", "QE1"],
                          "n": [1, 2, 3, 4]})
    assert data.describe_failure("t.csv", failure(frame, schema_)) == (
        "t.csv: columns 'icb_code', 'year', line 5: expected each (icb_code, year) once, got ('QE1', '2023/24') again "
        "(first on line 2)")


def test_a_unique_column_twice_names_the_file_column_and_the_second_line():
    schema_ = pa.DataFrameSchema({"code": pa.Column(str, unique=True), "n": pa.Column(int)})
    frame = pd.DataFrame({"code": ["A", "B", "C", "B"], "n": [1, 2, 3, 4]}, index=[10, 11, 12, 13])
    assert data.describe_failure("raw.csv", failure(frame, schema_), {"code": "Code [x]"}) == (
        "raw.csv: column 'Code [x]', line 15: expected each Code [x] once, got 'B' again (first on line 13)")
