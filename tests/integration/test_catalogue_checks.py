"""The catalogue's cases of input checked late or not at all, and of text printed as if it were styling (issue 23).

Every message is printed as the text it is: an ICB, an edition, a path, a raw cell or a schema's pattern holding
brackets ("[/]", "[x]", "[a-z]") is shown whole, where Rich's markup used to drop it or end in a MarkupError. And each
input below is refused in one line, before any work, where it used to pass unseen or fail deep in a chapter: a NaN
or an infinity in claims.yml or a golden file, an unknown ICB or chapter in claims.yml, an empty --icb, a broken or
incomplete _toc.yml, a SOURCE_DATE_EPOCH or version that is not one, a prepared table with a row twice.
"""

from __future__ import annotations

import json
import math
import re

import openpyxl
import pandas as pd
import pytest
from catalogue import case, cases, refused

from helpers import ANOTHER_ICB, CACHE, CURRENT, cli, rehash, upstream
from sots.site import golden, release

pytestmark = pytest.mark.integration

PRACTICES_2324 = "nhse_allocations_gp_weighted_pop/gp_practice_weighted_population_2023_24.csv"
ALLOCATIONS = "nhse_icb_allocations_2023_24_to_2024_25/nhse_icb_allocations_2023_24_to_2024_25_v1.2.xlsx"
CORE_2324 = "ICB Core Allocations 2023-24"


# --- Text with brackets is printed as it is ------------------------------------------------------------------------


@cases("args, expected", [
    pytest.param(["build", "--icb", "[/]"], "unknown ICB '[/]': expected one of the 42 ICB codes",
                 id="markup-in-icb"),
    pytest.param(["build", "--icb", "[x]"], "unknown ICB '[x]': expected one of the 42 ICB codes",
                 id="markup-like-text-in-icb"),
    pytest.param(["build", "--edition", "[/bold]"], "unknown edition '[/bold]': expected one of the editions in "
                 "editions.yml", id="markup-in-edition"),
    pytest.param(["check", "--icb", "[/x]"], "unknown ICB '[/x]': expected one of the 42 ICB codes",
                 id="markup-in-check-icb"),
])
def test_an_argument_holding_brackets_is_named_as_typed(project, args, expected):
    refused(project, *args, expected=[expected])


def set_cell(path, column, value):
    """Put ``value`` in ``column`` of the first row of a publisher's CSV with a value there; returns its line."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = int(frame.index[frame[column].str.strip() != ""][0])
    frame.loc[row, column] = value
    frame.to_csv(path, index=False)
    return row + 2


@cases("value", [
    pytest.param("n/a [/note]", id="markup-in-a-raw-cell"),
    pytest.param("[x]", id="ons-suppressed-cell"),  # how ONS marks a value it does not publish
])
def test_a_raw_cell_holding_brackets_is_quoted_whole(project, tmp_path, value):
    raw = upstream(tmp_path / "raw", PRACTICES_2324)
    line = set_cell(raw / PRACTICES_2324, "G&A WP", value)
    refused(project, "prepare", "--raw", str(raw), expected=[
        f"{raw / PRACTICES_2324}: column 'G&A WP', line {line}: expected a number, got {value!r}"])


@case("markup-in-a-raw-header")
def test_a_raw_header_holding_brackets_is_quoted_whole(project, tmp_path):
    raw = upstream(tmp_path / "raw", ALLOCATIONS)
    header, renamed = "2023/24 Recurrent allocation (£k)", "2023/24 Allocation [b](£000)[/b] [x]"
    book = openpyxl.load_workbook(raw / ALLOCATIONS)
    sheet = book[CORE_2324]
    next(c for c in sheet[3] if " ".join(str(c.value).split()) == header).value = renamed
    book.save(raw / ALLOCATIONS)
    refused(project, "prepare", "--raw", str(raw), expected=[
        f"{raw / ALLOCATIONS}, sheet '{CORE_2324}': no column '{header}'", f"'{renamed}'"])


@case("markup-in-a-schema-pattern")
def test_a_schema_pattern_with_brackets_is_quoted_whole(project):
    register = project / "claims.yml"
    text = register.read_text()
    register.write_text(text.replace("figures: [acute_cost_per_ga_weighted_head_rank,",
                                     "figures: [Acute_cost_per_ga_weighted_head_rank,", 1))
    refused(project, "build", expected=["claims.yml: claim F1: field 'figures.0': 'Acute_cost_per_ga_weighted_head_"
                                        "rank' does not match '^[a-z0-9_]+$'"])


@case("markup-in-the-site-folder")
def test_a_site_folder_holding_brackets_builds_and_its_lines_name_it_whole(project):
    """The build published, then ended in a MarkupError on the line naming what it published, and exited 1. To keep
    the test quick, the book is cut to a plain front page (the real one quotes every chapter) and one chapter, built
    for an ICB other than the report's (whose book needs every figure a claim names)."""
    (project / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n  - file: "
                                      "notebooks/funding_per_head\n  - file: book/glossary\n")
    (project / "book" / "intro.md").write_text("# State of the system\n\nA book cut to one chapter.\n")
    terms = ("ICB", "Weighted head", "Fair-shares target")  # those the chapter links to the glossary
    (project / "book" / "glossary.md").write_text(
        "# Glossary\n\n```{glossary}\n" + "".join(f"{term}\n  A term it uses.\n\n" for term in terms) + "```\n")
    for page in ("methods", "cite"):  # pages the table of contents no longer lists or includes
        (project / "book" / f"{page}.md").unlink()
    out = project / "x[/]y [bold]" / "site"
    result = cli("build", "--edition", CURRENT, "--icb", ANOTHER_ICB, "--no-pdf", "--cache", str(CACHE), "--out",
                 str(out), cwd=project)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert f"published {out / CURRENT}" in result.stdout.splitlines(), result.stdout
    assert (out / CURRENT / "results.json").is_file()


# --- claims.yml, checked whole before any work -----------------------------------------------------------------------


@cases("old, new, expected", [
    pytest.param("    tolerance: 0.5\n", "    tolerance: .nan\n", "claims.yml: claim F2: field 'tolerance': expected a "
                 "finite number, 0 or more, in the stated unit, got nan", id="claims-tolerance-nan"),
    pytest.param("    stated: 241\n", "    stated: .inf\n", "claims.yml: claim F2: field 'stated': expected a finite "
                 "number in the claim's unit, or null for a claim that states none, got inf",
                 id="claims-stated-infinite"),
    pytest.param("  icb_code: QE1\n", "  icb_code: QZZ\n", "claims.yml: report: field 'icb_code': expected one of the "
                 "42 ICB codes (NHS ODS, July 2022 boundaries), got 'QZZ'", id="claims-report-icb-unknown"),
    pytest.param("    chapter: notebooks/acute_spend\n", "    chapter: notebooks/acute_spends\n",
                 "claims.yml: claim F1: field 'chapter': expected a page _toc.yml lists, got "
                 "'notebooks/acute_spends'; did you mean 'notebooks/acute_spend'?", id="claims-chapter-unknown"),
])
def test_a_claims_register_with_a_value_no_chapter_can_use_is_refused_before_any_work(project, old, new, expected):
    register = project / "claims.yml"
    text = register.read_text()
    assert old in text
    register.write_text(text.replace(old, new, 1))
    refused(project, "build", "--edition", CURRENT, expected=[expected])


# --- `sots check`: a NaN matches nothing ---------------------------------------------------------------------------


def built_results(project, **changed):
    """A results.json for the current edition in the project's site, as a build writes it, from its golden values
    (each of ``changed`` set to a new value); returns its path."""
    figures = golden.read(golden.golden_path(project, CURRENT, "QE1"))["figures"]
    results = {k: {"value": changed.get(k, f["value"]), "edition": CURRENT, "icb": "QE1"} for k, f in figures.items()}
    path = project / "_build" / "site" / CURRENT / "results.json"
    path.write_text(json.dumps(results, indent=2))  # json writes a NaN as NaN, as Python reads it back
    return path


def a_number(project) -> str:
    figures = golden.read(golden.golden_path(project, CURRENT, "QE1"))["figures"]
    return next(k for k, f in sorted(figures.items()) if isinstance(f["value"], float))


@case("check-results-nan")
def test_a_nan_figure_in_a_built_edition_is_refused_by_sots_check(project):
    figure = a_number(project)
    built_results(project, **{figure: math.nan})
    refused(project, "check", expected=[f"_build/site/{CURRENT}/results.json: figure {figure}: expected a finite "
                                        "number or null, as `sots build` writes, got nan; rebuild the edition: "
                                        f"`sots build --edition {CURRENT}`"])


@case("check-golden-tolerance-nan")
def test_a_golden_file_with_a_nan_tolerance_is_refused_by_sots_check(project):
    figure = a_number(project)
    built_results(project)
    assert cli("check", cwd=project).exit_code == 0  # the build matches its golden values...
    path = golden.golden_path(project, CURRENT, "QE1")
    content = json.loads(path.read_text())
    content["figures"][figure]["tolerance"] = math.nan
    path.write_text(json.dumps(content, indent=2))
    refused(project, "check", expected=[  # ...and a golden file that would match anything is refused
        f"tests/golden/{CURRENT}/QE1.json: figure '{figure}': field 'tolerance': expected a finite number, 0 or more, "
        "in the figure's unit, got nan"])


# --- The ICB, the table of contents, the release ------------------------------------------------------------------


@case("icb-empty")
def test_an_empty_icb_is_refused_in_one_line(project):
    refused(project, "build", "--icb", "", expected=[
        "unknown ICB '': expected one of the 42 ICB codes (ODS or GSS) or names, got nothing; run `sots icbs` to "
        "list them"])


@cases("damage, expected", [
    pytest.param(lambda text: text.replace("chapters:", "chapters: [", 1), ["_toc.yml, line ", ": not valid YAML ("],
                 id="toc-not-yaml"),
    pytest.param(lambda text: text.replace("notebooks/budget", "notebooks/budgets", 1),
                 ["_toc.yml: page 'notebooks/budgets': expected the file notebooks/budgets.ipynb in ", ", got none"],
                 id="toc-names-a-missing-notebook"),
    pytest.param(lambda text: text.replace("root: book/intro", "start: book/intro", 1),
                 ["_toc.yml: expected Jupyter Book's table of contents: a 'root' page, then entries of 'file: <page>'"],
                 id="toc-without-a-root"),
])
def test_a_broken_table_of_contents_is_named_before_any_work(project, damage, expected):
    toc = project / "_toc.yml"
    toc.write_text(damage(toc.read_text()))
    refused(project, "build", expected=expected)


@case("source-date-epoch-out-of-range")
def test_a_source_date_epoch_beyond_any_clock_is_refused(project, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "99999999999999999")
    refused(project, "build", expected=[
        f"SOURCE_DATE_EPOCH: expected whole seconds since 1970, from {release.EARLIEST_EPOCH} (1980) to "
        f"{release.LATEST_EPOCH} (the end of 9999), got '99999999999999999'"])


@case("version-not-pep-440")
def test_a_version_that_is_not_pep_440_is_refused(project):
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    version = re.search(r'^version = "([^"]+)"$', text, re.MULTILINE)[1]
    pyproject.write_text(text.replace(f'version = "{version}"', 'version = "[/]<b>next</b>"', 1))
    refused(project, "build", expected=[
        f"{pyproject}: field 'project.version': expected a PEP 440 version such as 2026.1 (the year, then the "
        "release), got '[/]<b>next</b>'"])


# --- The prepared tables --------------------------------------------------------------------------------------------


@case("table-row-twice-rehashed")
def test_a_table_with_a_row_twice_and_its_checksum_rehashed_names_the_key_and_the_second_line(project):
    table = project / "data" / "icb_allocations.csv"
    lines = table.read_text().splitlines(keepends=True)
    i = next(i for i, line in enumerate(lines) if ",QE1," in line)
    lines.append(lines[i])  # the row pasted again at the end
    table.write_text("".join(lines))
    rehash(project / "data")
    year, code = lines[i].split(",")[:2]
    refused(project, "build", expected=[
        f"{table}: columns 'year', 'icb_code', line {len(lines)}: expected each (year, icb_code) once, got "
        f"('{year}', '{code}') again (first on line {i + 1})"])
