"""The claims page and the front page's verdicts: every claim of the register with the report's verdict on it.

The report's verdicts are computed on the figures of the report's own edition for its ICB, whichever edition this
is (:meth:`sots.chapters.context.Chapter.judge`): in that edition, the figures the other chapters recorded (the results
fragments in the build's ``results_dir``); in a later one, the report edition's results (``report_results``), with
what this edition's own figures say "since the report". So every edition's claims page and front page give the same
verdicts, and every chapter agrees with them.

The statuses are :mod:`sots.analysis.claims`', the words :mod:`sots.analysis.verdicts`'; this module gathers the
figures, says why a claim cannot be checked, and renders two pieces of HTML through the package's templates
(autoescaped: every text from the register is escaped once, there): the front page's panel of headline claims, and the
register itself. The page records no figures of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Markdown

from sots import escape
from sots.analysis import claims, verdicts
from sots.analysis.results import merge_fragments
from sots.chapters import statuses
from sots.chapters.context import Chapter
from sots.errors import InputError
from sots.render import render

NO_RESULTS = ("No chapter's figures were given to this page (its results_dir is empty, as when it is run by hand), "
              "so every claim is stated only.")
PANEL_TEMPLATE = "verdict_panel.html"
REGISTER_TEMPLATE = "claims_register.html"
# The register as the build publishes it, at the book's root (sots.site.build.publish_registers), from this page in
# notebooks/.
REGISTER_HREF = f"../{claims.REGISTER}"


@dataclass(frozen=True)
class Page:
    """The report's verdict on every claim, in register order, how many have each status (every status listed),
    and this edition's own figures (for "since the report")."""

    verdicts: list[claims.Verdict]
    counts: dict[str, int]
    note: str  # why no claim is checked, or "" when they are
    own: dict[str, dict]  # this edition's figures, by id ({} for another ICB's book, or by hand)


def results_in(results_dir: str) -> dict[str, dict]:
    """Every figure in the results fragments (``*.json``) of ``results_dir``, merged; {} for "" (none given).

    InputError if ``results_dir`` is given but is not a folder: an empty page would hide a wrong path.
    """
    if not results_dir:
        return {}
    folder = Path(results_dir)
    if not folder.is_dir():
        raise InputError(f"results_dir '{results_dir}': no such folder (expected the chapters' results fragments)")
    return merge_fragments(sorted(folder.glob("*.json")))


def note_for(ch: Chapter, results_dir: str) -> str:
    """Why no claim is checked ("" if they are): figures of an ICB the report is not about, none given by hand in
    the report's edition, or the report edition's figures not given to a later edition."""
    if not ch.about_report:  # the claims are about one ICB; another's figures do not test them
        return (f"The report is about {ch.reported_about}; this book is for {ch.who}, so no claim is checked. Its "
                "verdicts are in the book for the ICB it is about.")
    if ch.in_report_edition and not results_dir:
        return NO_RESULTS
    if ch.after_report and ch.report_figures is None:
        from sots.chapters.context import NOT_GIVEN

        return NOT_GIVEN
    return ""


def record(ch: Chapter, results_dir: str) -> Page:
    """Every claim's verdict, from the report's edition (:meth:`sots.chapters.context.Chapter.judge`); glue the
    citation, the counts, the note, the front page's panel and the register."""
    report = ch.report
    note = note_for(ch, results_dir)
    own = results_in(results_dir) if ch.about_report else {}
    # With a note, no claim is checked, and each says why as its explanation.
    found = [claims.evaluate(claim, {}, note) if note else ch.judge(claim, own) for claim in ch.register.values()]
    counted = claims.counts(found)
    page = Page(verdicts=found, counts=counted, note=note, own=own)
    ch.glue("report_citation", Markdown(report_citation(report)))
    # Said where the methods name the report: no address is recorded for it, so the book cannot link it.
    ch.glue("report_unlinked", "" if report.get("url") else
            "The claims register records no public address for the report, so it is cited by its title, not linked.")
    ch.glue("claims_n", len(found))
    for status, n in counted.items():
        ch.glue(f"claims_{status.replace(' ', '_')}_n", n)
    ch.glue("claims_counted", verdicts.counted(counted))
    ch.glue("claims_headline", headline(ch, page))
    ch.glue("claims_misses", misses(ch, page))
    ch.glue("claims_note", note or notice(ch))
    ch.glue("front_lead", lead(ch, page))
    ch.glue("front_later", later_note(ch))
    ch.glue("verdict_panel", HTML(panel(ch, page)))
    ch.glue("claims_register", HTML(register(ch, page)))
    return page


def headline(ch: Chapter, page: Page) -> str:
    """The claims page's first finding: how many claims hold, or, in another ICB's book, whom they are about (a count
    of claims none of which could be checked would say nothing)."""
    n = len(page.verdicts)
    if not ch.about_report:
        return f"The report makes {n} claims, all about {ch.reported_about}."
    return f"Of the report's {n} claims, {verdicts.counted(page.counts)}."


def misses(ch: Chapter, page: Page) -> str:
    """The claims page's second finding: the claims public data contradict most, relative to what the report said;
    or, where none is checked, where the figures are instead."""
    if not ch.about_report:
        return f"This book's chapters give {ch.who}'s own figures, in the {ch.year} edition."
    found = verdicts.largest_misses(page.verdicts)
    if not found:
        return f"No claim is contradicted by the figures given here ({page.counts[claims.NOT_REPRODUCED]} missed)."
    return f"Public data miss the report's figures most on: {found}."


def notice(ch: Chapter) -> str:
    """Whose figures the verdicts are on: this edition's, or, in a later edition, the report's own edition's."""
    if ch.in_report_edition:
        return (f"The verdicts are on the figures of this edition, {ch.edition}, the report's own year, for "
                f"{ch.focal['icb_name']}.")
    return (f"The verdicts are on the figures of the report's own edition, {ch.report['edition']}, for "
            f"{ch.focal['icb_name']}, as in every edition; what this edition's {ch.year} data "
            "give is shown as “since the report”.")


def lead(ch: Chapter, page: Page) -> str:
    """The front page's first sentences: whose report, how many claims it makes and how many hold, on whose data."""
    if not ch.about_report:
        return page.note
    text = (f"{ch.reported_about}’s report “{ch.report['title']}” makes {len(page.verdicts)} claims. On public "
            f"data for {ch.report_year}, the year it looks back on, {verdicts.counted(page.counts)}.")
    return f"{text} {page.note}" if page.note else text


def later_note(ch: Chapter) -> str:
    """Under the panel in a later edition: where its newer data are; "" in the report's edition or another ICB's."""
    if not ch.after_report:
        return ""
    return (f"Every edition gives these verdicts, on the report’s own year. This edition adds what the newer data, "
            f"for {ch.year}, say: in each chapter, and as “since the report” for each claim in "
            "the full register.")


def status_counts(page: Page) -> pd.DataFrame:
    """Claims by status, for the chart: ``status``, ``claims``, in :data:`sots.analysis.claims.STATUSES` order."""
    return pd.DataFrame({"status": list(page.counts), "claims": list(page.counts.values())})


def slug(text: str) -> str:
    """A status or chapter as a class name or filter value: 'not reproduced' -> 'not-reproduced'."""
    return text.replace(" ", "-").replace("/", "-")


def badge(status: str) -> dict[str, str]:
    """What a template needs to draw a status's badge: its slug, mark, words and colour."""
    return {"slug": slug(status), "mark": statuses.BADGE_MARK[status], "text": statuses.BADGE_TEXT[status],
            "colour": statuses.STATUS_COLOURS[status]}


def row(ch: Chapter, verdict: claims.Verdict, own: dict[str, dict], page_folder: str, root: Path | None) -> dict:
    """One claim as the panel and the register show it: plain words only; figure ids in ``technical`` alone."""
    chapter = verdict.claim["chapter"]
    later = ch.after_report and ch.report_figures is not None and bool(own)
    return {
        "id": verdict.id, "label": verdict.label, "claim": verdict.claim["claim"], "said": verdicts.said(verdict),
        "found": verdicts.found(verdict), "brief": verdicts.brief(verdict), "line": verdicts.line(verdict),
        "reason": verdict.claim["reason"], "explanation": verdict.explanation,
        "since": ch.since(verdict, own) if later else "", "since_brief": ch.since_brief(verdict, own) if later else "",
        "technical": verdict.technical, "badge": badge(verdict.status),
        "href": statuses.chapter_href(chapter, page_folder), "chapter": slug(chapter),
        "title": ch.chapter_title(chapter, root),
    }


def panel(ch: Chapter, page: Page, root: Path | None = None) -> str:
    """The front page's verdicts at a glance: each headline claim, what the report said, what public data say, the
    verdict and its reason, linked to its evidence (links relative to the front page, in ``book/``). ``root`` is the
    book whose chapters' titles it quotes (default: the chapter's own root, the staged book in a build)."""
    if not ch.about_report:  # the front page's first sentence says why there are no verdicts: nothing to add
        return render(PANEL_TEMPLATE, rows=[], caption="", note="")
    rows = [row(ch, v, page.own, "book", root) for v in page.verdicts if v.headline]
    caption = (f"The report’s headline claims, checked on public data for {ch.report_year}, the year it looks back "
               "on")
    return render(PANEL_TEMPLATE, rows=rows, caption=caption, note=page.note)


def register(ch: Chapter, page: Page, root: Path | None = None) -> str:
    """The claims register: every claim with its verdict, filterable by status and by chapter, each with its
    explanation, method and evidence in a detail that opens on request (links relative to this page; ``root`` as for
    :func:`panel`)."""
    rows = [row(ch, v, page.own, "notebooks", root) for v in page.verdicts]
    chapters = {r["chapter"]: r["title"] for r in rows}
    return render(REGISTER_TEMPLATE, rows=rows, note=page.note, register_href=REGISTER_HREF,
                  statuses=[{**badge(s), "n": n} for s, n in page.counts.items()],
                  chapters=[{"slug": k, "title": v} for k, v in chapters.items()])


def report_citation(report: dict) -> str:
    """The report as Markdown: its publisher and its title in quotes, the title linked to its public page when the
    register gives one (``url``), both escaped once, as text from the register."""
    title = f"“{report['title']}”"
    named = escape.link(title, report["url"]) if report.get("url") else escape.markdown(title)
    return f"{escape.markdown(report['publisher'])}, {named}"
