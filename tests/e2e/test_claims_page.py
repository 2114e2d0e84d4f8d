"""The "Claims checked" page: a row per claim in claims.yml, each with a computed status, and the front page's
summary."""

from __future__ import annotations

import json
import re

import pytest

from helpers import EDITIONS
from sots import claims

pytestmark = pytest.mark.e2e

PAGE = "notebooks/claims.html"


def claims_table(html: str) -> str:
    """The HTML of the table whose header has an Evidence column."""
    tables = re.findall(r"<table.*?</table>", html, flags=re.S)
    found = [t for t in tables if re.search(r"<th[^>]*>Evidence</th>", t)]
    assert len(found) == 1, "expected one claims table"
    return found[0]


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_claims_page_lists_every_claim_with_its_computed_status(built_site, edition):
    html = (built_site / edition / PAGE).read_text()
    body = claims_table(html).split("<tbody>", 1)[1]
    rows = re.findall(r"<tr>.*?</tr>", body, flags=re.S)
    register = claims.load()
    assert len(rows) == len(register)
    results = json.loads((built_site / edition / "results.json").read_text())
    verdicts = claims.evaluate_all(register, results)
    for row, verdict in zip(rows, verdicts):
        assert f">{verdict.id}<" in row
        assert f'sots-badge-{verdict.status.replace(" ", "-")}"' in row and verdict.status in row  # text, not colour
        assert 'href="' in row and "://" not in row


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_front_page_opens_with_the_counts_by_status(built_site, edition):
    results = json.loads((built_site / edition / "results.json").read_text())
    counted = claims.counts(claims.evaluate_all(claims.load(), results))
    text = re.sub(r"<[^>]+>", "", (built_site / edition / "book" / "intro.html").read_text())
    text = re.sub(r"\s+", " ", text)
    expected = (f"of the report’s {sum(counted.values())} claims, {counted['reproduced']} are reproduced from public "
                f"data, {counted['consistent']} are consistent with a public proxy, {counted['not reproduced']} are "
                f"not reproduced and {counted['stated only']} are stated only.")
    assert expected in text
    assert "The largest discrepancies:" in text


def test_the_claims_page_draws_in_a_browser_with_a_row_per_claim(built_site, serve, visit):
    base = serve(built_site)
    v = visit(f"{base}/2023-24/{PAGE}")
    assert v.response.ok
    n = v.page.locator("table:has(th:text-is('Evidence')) tbody tr").count()
    assert n == len(claims.load())
    # Each row's badge, as the reader sees it, says its claim's computed status in words.
    results = json.loads((built_site / "2023-24" / "results.json").read_text())
    statuses = [verdict.status for verdict in claims.evaluate_all(claims.load(), results)]
    badges = v.page.locator("table:has(th:text-is('Evidence')) tbody tr .sots-badge").all_inner_texts()
    assert [b.strip() for b in badges] == [f"{claims.BADGE_MARK[s]} {s}" for s in statuses]
    assert v.console == [] and all(u.startswith(base) for u in v.requests)
