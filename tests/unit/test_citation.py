"""How to cite: one sentence from CITATION.cff, and a clear error for a file that cannot give it."""

from __future__ import annotations

import pytest

from helpers import ROOT
from sots.errors import InputError
from sots.site import citation, release

pytestmark = pytest.mark.unit


def test_the_projects_citation_names_its_authors_year_title_release_and_the_edition():
    cff = citation.load(ROOT / citation.CITATION_FILE)
    text = citation.text(cff, "2024-25", "NHS Lancashire and South Cumbria ICB")
    assert text == (f"The sots contributors ({str(cff['date-released'])[:4]}). *{cff['title']}*, version "
                    f"{release.version()}, edition 2024-25, built for NHS Lancashire and South Cumbria ICB.")


def test_people_are_cited_by_given_and_family_names_joined_with_and():
    cff = {"authors": [{"given-names": "Ada", "family-names": "Lovelace"}, {"name": "NHS Team"},
                       {"given-names": "Alan", "family-names": "Turing"}]}
    assert citation.author_names(cff) == "Ada Lovelace, NHS Team and Alan Turing"


@pytest.mark.parametrize(("content", "message"), [
    ("title: t\nauthors: [{name: a}]\nversion: '1'\n", "field 'date-released' is missing or empty"),
    ("- just a list\n", "expected a Citation File Format mapping, got list"),
    ("title: [unclosed\n", "cannot read the citation file"),
])
def test_a_citation_file_the_book_cannot_use_is_named_with_what_is_wrong(tmp_path, content, message):
    path = tmp_path / "CITATION.cff"
    path.write_text(content)
    with pytest.raises(InputError, match=message) as error:
        citation.load(path)
    assert str(path) in str(error.value) and "\n" not in str(error.value).split(": ", 1)[0]

