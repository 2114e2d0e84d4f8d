"""Savings and the financial position: the report's finance claims against published figures, NHS England's
allocations and the trusts' accounts.

Figures (money in £ millions, shares in per cent): the ICB's total allocation; the savings delivered, their
recurrent share, the funding base the report's share implies and the savings as a share of each allocation base;
the report's agency saving annualised; the system deficit above its control total, by year; the acute trusts'
operating expenditure and its share of the allocations. A figure the edition cannot compute for the ICB (most are
published for Lancashire and South Cumbria only) is recorded as not computed, with why.

Every status the prose gives (reproduced, consistent, not reproduced, stated only) is the claims register's verdict
(:meth:`sots.chapters.context.Chapter.verdict`), so the page cannot contradict the claims page. The verdict is on the
report's own year in every edition: in the report's edition the chapter's own figures, in a later one the report
edition's results, which the prose quotes beside each status (the verdict's checks), with the later year's data "since
the report" (:meth:`sots.chapters.context.Chapter.since`). A book for another ICB than the report's sets none of its
figures against the report's and grades nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import altair as alt
import pandas as pd
from IPython.display import Markdown

from sots import escape
from sots.analysis import benchmark, claims, finance, verdicts
from sots.analysis.results import year_suffix
from sots.chapters import charts
from sots.chapters.context import Chapter
from sots.prose import clause

HOLDS = (claims.REPRODUCED, claims.CONSISTENT)  # the statuses under which the prose says the report's figure holds
SAVINGS_KEYS = ("savings_delivered", "savings_recurrent_pct")  # the savings claims, by key
SHARE_KEY = "savings_share_of_funding_pct"  # the claim of the savings' share of funding


@dataclass
class Quoted:
    """The published figures a page quotes, remembered (by ``figure_id``) for its list of sources."""

    figures: pd.DataFrame  # the prepared published_figures table
    icb_code: str
    ids: list[str] = field(default_factory=list)

    def cite(self, measure: str, year: str | None = None) -> str:
        """The citation of the ICB's published ``measure`` (in ``year``), remembered as quoted."""
        row = finance.published(self.figures, self.icb_code, measure, year)
        self.ids.append(row["figure_id"])
        return finance.citation(row)

    def rows(self) -> pd.DataFrame:
        """The rows of published_figures quoted so far, in the table's order."""
        return self.figures[self.figures["figure_id"].isin(self.ids)]


@dataclass(frozen=True)
class Finance:
    """What the chapter's charts and tables draw on, for the edition's year."""

    year: str  # the edition's financial year, e.g. "2023/24"
    unpublished: str  # the sentence shown where no published figure exists for the ICB (Markdown)
    report: finance.ReportFigures | None  # the report's figures, if the report is the focal ICB's
    bases: pd.DataFrame  # each allocation base (£ millions): finance.funding_bases
    shares: pd.DataFrame | None  # savings as a share of each base, against the report's: finance.savings_shares
    deficits: pd.DataFrame  # finance.deficits
    support: pd.DataFrame  # finance.support_received
    acute_trusts: pd.DataFrame  # the acute trusts the ICB hosts (£ millions): finance.host_trusts
    budget_split: pd.DataFrame  # the budget chart's bars: label, value_gbp_m, kind
    quoted: pd.DataFrame  # the published figures the page quotes


def why(verdict: claims.Verdict) -> str:
    """' (the reason)' for a claim left stated only, from the register's note or its explanation's first sentence.

    '' for any other status: the claims page gives the full explanation.
    """
    if verdict.status != claims.STATED_ONLY:
        return ""
    return f" ({escape.markdown(clause(verdict.note or verdict.claim['explanation'].split('. ')[0]))})"


def on_report_year(found: list[claims.Verdict], report_year: str) -> str:
    """The report's verdicts in a later edition, each with the figures of the report's own year it is computed on:
    'On the figures for 2023/24, the report's own year: savings delivered in 2023/24, **reproduced** (£240.7m,
    matching the report's £241m to within £0.5m).', and the register's likely reason for a claim that does not hold.
    When none is checked for one reason (the report edition's figures were not given), that reason alone.
    """
    notes = {v.note for v in found}  # the register's and the verdicts' texts, escaped as they are put in Markdown
    if all(c.computed is None for v in found for c in v.checks) and len(notes) == 1 and found[0].note:
        return escape.markdown(found[0].note)
    parts = [f"{escape.markdown(v.label[0].lower() + v.label[1:])}, **{v.status}** "
             f"({escape.markdown(clause(verdicts.line(v)))})" for v in found]
    text = f"On the figures for {report_year}, the report's own year: {'; '.join(parts)}."
    reasons = [escape.markdown(v.claim["reason"]) for v in found if v.status == claims.NOT_REPRODUCED]
    return " ".join([text, *reasons])


def since_report(ch: Chapter, found: list[claims.Verdict]) -> str:
    """What this edition's data give of the verdicts' figures (:meth:`sots.chapters.context.Chapter.since`), each
    sentence once; '' in the report's edition or for another ICB (Markdown)."""
    return " ".join(dict.fromkeys(filter(None, (escape.markdown(ch.since(v)) for v in found))))


def no_savings(who: str, year: str) -> str:
    """Why there are no savings figures for the report's ICB (``who``) in ``year``: none is published."""
    return f"No published figure gives {who}'s savings for {year}."


def figures_intro(icb_name: str, who: str, year: str, reported_about: str, later: bool, report_year: str,
                  about_report: bool = True) -> str:
    """The sentence opening the report's figures, one by one: this page's ``year``, and whether (and on which year's
    figures) they are set against the report's: only in a book for the ICB the report is about (``about_report``;
    ``reported_about`` its short name), on the report's own year (``report_year``) in a ``later`` edition."""
    if not about_report:
        return (f"The report's claims are about {reported_about}, so {who}'s figures are not set against them: below "
                f"are {who}'s own figures for {year}, where there are any.")
    if later:
        return (f"The figures for {icb_name}, for {year}. Each status is the report's verdict on the figures for "
                f"{report_year}, the report's own year, quoted with those figures; {year}'s are given beside it.")
    return f"The figures for {icb_name}, for {year}, set against the report's."


def status_method(reported_about: str, later: bool, report_year: str, about_report: bool = True) -> str:
    """The method's words on what a status on this page is: the register's verdict on the report's own year
    (``report_year``, in a ``later`` edition) or on this page's figures; none in a book for another ICB than the
    report's (``about_report`` False; ``reported_about`` the report's ICB)."""
    if not about_report:
        return f"The report's claims are about {reported_about}, so this page gives none of them a status."
    figures = (f"the figures of {report_year}, the report's own year, as the claims page gives it in every edition"
               if later else "this page's figures, as the claims page gives it")
    return (f"Each status is the claims register's verdict on the claim from {figures}: \"reproduced\" means the "
            "figure is within the register's tolerance of the report's; \"stated only\" means no open data settle it.")


def shares_intro(reported_about: str, about_report: bool = True) -> str:
    """The words above the savings' shares of each funding base: against the report's share, or, in a book for
    another ICB than the report's (``reported_about``), that the savings and the share are that ICB's only."""
    if about_report:
        return ("Savings delivered as a share of each of NHS England's allocation bases for the ICB, against the share "
                "the report states.")
    return (f"NHS England's allocation bases for the ICB. The published savings and the share the report states are "
            f"{reported_about}'s, so they are not set against these.")


def budget_intro(reported_about: str, about_report: bool = True) -> str:
    """The words above the budget chart: the report's budget against the public figures, or, in a book for another
    ICB than the report's (``reported_about``), the public figures alone."""
    if about_report:
        return ("The report's budget and hospital share against the sum of the ICB's allocations and the acute trusts' "
                "operating expenditure. Blue bars are computed here from public data; grey bars are figures stated by "
                "the report or a published page.")
    return ("The sum of the ICB's allocations and the acute trusts' operating expenditure, computed here from public "
            f"data. The report's budget is {reported_about}'s, so it is not shown.")


def unpublished(figures: pd.DataFrame, icb_code: str, who: str, year: str, reported_about: str) -> str:
    """The sentence that stands for a published figure the ICB lacks in ``year``; published pages give figures
    for the ICB the report is about (``reported_about``) only."""
    if (figures["icb_code"] == icb_code).any():
        return f"No published figure gives this for {who} in {year}."
    return (f"No published figure gives this for {who}: the figures in this book taken from published pages are "
            f"for {reported_about} only.")


def intro(ch: Chapter, stated: finance.ReportFigures) -> str:
    """The report's own words for the chapter's claims (from the register), and whom the page is built for."""
    text = (f"The report this book checks, {escape.markdown(stated.citation())} ({escape.markdown(stated.period)}), "
            "says:\n\n"
            + finance.claims_markdown(stated, tuple(c["id"] for c in ch.claims())))
    if stated.icb_code != ch.icb:
        about, who = escape.markdown(ch.reported_about), escape.markdown(ch.who)
        text += (f"\n\nThose figures are for {about}. This page is built for {who}: it shows what the public data "
                 f"give for it, and says where a figure exists only for {about}.")
    return text


def record(ch: Chapter, year: str) -> Finance:
    """Record every figure of the chapter for the edition's financial ``year``, glue its findings; return chart data."""
    # Every table the page draws on is read first, so each figure names them all as its inputs.
    allocations, figures, opex = (ch.table(name) for name in
                                  ("icb_allocations", "published_figures", "trust_operating_expenditure"))
    stated = finance.edition_report(ch.edition, ch.root / claims.REGISTER)
    report = stated if ch.about_report else None  # as finance.report_figures, from the one read
    later = ch.after_report  # the verdicts are on the report's year, not this one
    quoted, missing = Quoted(figures, ch.icb), unpublished(figures, ch.icb, ch.who, year, ch.reported_about)
    ch.glue("report_intro", Markdown(intro(ch, stated)))
    ch.glue("figures_intro", figures_intro(ch.focal["icb_name"], ch.who, year, ch.reported_about, later,
                                          ch.report_year, ch.about_report))
    ch.glue("status_method", status_method(ch.reported_about, later, ch.report_year, ch.about_report))
    ch.glue("shares_intro", shares_intro(ch.reported_about, ch.about_report))
    ch.glue("budget_intro", budget_intro(ch.reported_about, ch.about_report))
    ch.glue("stated_share", stated.value("savings_share_of_funding_pct"))

    bases = finance.funding_bases(allocations, ch.icb, year)
    unsummed = finance.unpublished_bases(allocations, ch.icb, year)  # base -> why NHS England's figures lack it
    total = None
    if "total_allocation" in unsummed:
        ch.not_computed("icb_total_allocation_gbp_m", unsummed["total_allocation"])
    else:
        total = ch.figure("icb_total_allocation_gbp_m", finance.total_allocation_gbp_m(allocations, ch.icb, year),
                          unit="GBP million", method="Sum of the ICB's allocations: core services combined, primary "
                          "medical care, other primary care and the running cost allowance.", year=year)
    # Each year of the edition's window whose allocations can all be summed, and each whose cannot, with why.
    totals, unsummable = {}, {}
    for y in sorted(allocations["year"].unique()):
        if pd.notna(t := finance.total_allocation_gbp_m(allocations, ch.icb, y)):
            totals[y] = t
        else:
            unsummable[y] = finance.unpublished_bases(allocations, ch.icb, y)["total_allocation"]
    savings_text, base_text, shares = record_savings(ch, figures, report, bases, total, year, missing, quoted,
                                                     unsummed)
    ch.glue("savings_findings", Markdown(savings_text))
    ch.glue("base_findings", Markdown(base_text))
    ch.glue("agency_findings", Markdown(record_agency(ch, report)))
    deficit_text, deficits = record_deficits(ch, figures, report, year, missing, quoted)
    ch.glue("deficit_findings", Markdown(deficit_text))
    ch.glue("deficit_headline", deficit_headline(deficits, year, ch.who) if not deficits.empty else
            no_deficits(figures, ch.icb, ch.who, year, ch.reported_about))
    ch.glue("allocation_headline", allocation_headline(total, year, unsummed.get("total_allocation")))
    budget_text, acute_trusts, split = record_budget(ch, opex, figures, report, total, totals, year, quoted,
                                                     unsummed.get("total_allocation"), unsummable)
    ch.glue("budget_findings", Markdown(budget_text))
    return Finance(year=year, unpublished=escape.markdown(missing), report=report, bases=bases, shares=shares,
                   deficits=deficits, support=finance.support_received(figures, ch.icb), acute_trusts=acute_trusts,
                   budget_split=split, quoted=quoted.rows())


# --- Savings ----------------------------------------------------------------------------------------------------


def record_savings(ch: Chapter, figures: pd.DataFrame, report: finance.ReportFigures | None, bases: pd.DataFrame,
                   total: float | None, year: str, missing: str, quoted: Quoted,
                   unsummed: dict[str, str] | None = None) -> tuple[str, str, pd.DataFrame | None]:
    """Record the savings figures; return the savings and the funding-base findings and the shares (None if none).

    ``total`` is the sum of the ICB's allocations in ``year`` (£ millions), None if it cannot be summed; ``unsummed``
    each base NHS England's allocations do not give for the year, with why
    (:func:`sots.analysis.finance.unpublished_bases`).
    """
    unsummed = unsummed or {}
    later = ch.after_report  # the verdicts are on the report's year, not this one
    sav = finance.savings(figures, ch.icb, year)
    if sav is None:
        # For another ICB, that published pages give only the report's ICB; for that ICB, that none gives the year.
        why_not = missing if report is None else no_savings(ch.who, year)
        for figure_id in ["savings_delivered_gbp_m", "savings_recurrent_pct", "savings_implied_funding_base_gbp_m",
                          *(f"savings_share_of_{base}_pct" for base in bases["base"])]:
            ch.not_computed(figure_id, why_not)
        for_reference = " NHS England's allocation bases for the ICB are shown below for reference."
        if not later:  # why_not is text, with the ICB's name: the findings are Markdown
            return escape.markdown(why_not), escape.markdown(why_not) + for_reference, None
        # The report's verdicts stand on its own year's figures; this year's are not published yet.
        yet = escape.markdown(f"{why_not[:-1]} yet.")
        return (f"{on_report_year([ch.verdict(k) for k in SAVINGS_KEYS], ch.report_year)} {yet}",
                f"{on_report_year([ch.verdict(SHARE_KEY)], ch.report_year)} {yet}{for_reference}", None)
    source = quoted.cite("savings_delivered", year)
    ch.figure("savings_delivered_gbp_m", sav["delivered_gbp_m"], unit="GBP million", year=year,
              method=f"Published outturn of savings delivered ({source}).")
    text = f"The system delivered **£{sav['delivered_gbp_m']:,.1f}m** of savings in {year} ({escape.markdown(source)})"
    if sav["plan_gbp_m"] is not None:
        quoted.cite("savings_shortfall_vs_plan", year)
        text += (f", £{sav['shortfall_gbp_m']:,.1f}m short of a plan of £{sav['plan_gbp_m']:,.1f}m: "
                 f"{sav['delivered_pct_of_plan']:.1f}% of plan")
    text += "."
    if sav["recurrent_gbp_m"] is not None:
        quoted.cite("savings_recurrent", year)
        ch.figure("savings_recurrent_pct", sav["recurrent_pct"], unit="per cent", year=year,
                  method="Published recurrent savings ÷ published savings delivered × 100.")
        text += f" Of these, £{sav['recurrent_gbp_m']:,.1f}m were recurrent: **{sav['recurrent_pct']:.1f}%**."
    else:
        ch.not_computed("savings_recurrent_pct", f"No published figure gives the recurrent savings of {ch.who} in "
                        f"{year}.")
    if report is None:
        return text, f"No report of {escape.markdown(ch.who)}'s states a share of funding to check.", None
    stated_share = report.value(SHARE_KEY)
    implied = ch.figure("savings_implied_funding_base_gbp_m",
                        finance.implied_base_gbp_m(sav["delivered_gbp_m"], stated_share), unit="GBP million",
                        year=year, method=f"Published savings delivered ÷ the report's {stated_share:g}% × 100: the "
                        "funding base the share implies.")
    shares = finance.savings_shares(sav["delivered_gbp_m"], bases, stated_share)
    for _, b in shares.iterrows():
        if b["base"] in unsummed:
            ch.not_computed(f"savings_share_of_{b['base']}_pct", unsummed[b["base"]])
            continue
        ch.figure(f"savings_share_of_{b['base']}_pct", b["share_pct"], unit="per cent", year=year,
                  method=f"Published savings delivered ÷ {b['label'].lower()} ({year}) × 100.")
    share = ch.verdict(SHARE_KEY)
    if later:  # this year's savings described, then the report's verdicts on its own year, then what changed since
        found = [ch.verdict(k) for k in SAVINGS_KEYS]
        text += f" {on_report_year(found, ch.report_year)} {since_report(ch, found)}".rstrip()
        base = base_findings(shares, sav["delivered_gbp_m"], stated_share, implied, total, share, unsummed,
                             graded=False)
        return (text, f"{base} {on_report_year([share], ch.report_year)} {since_report(ch, [share])}".rstrip(),
                shares)
    text += savings_verdicts(report.gbp_m("savings_delivered"), sav["delivered_gbp_m"],
                             report.value("savings_recurrent_pct"), *(ch.verdict(k) for k in SAVINGS_KEYS))
    return text, base_findings(shares, sav["delivered_gbp_m"], stated_share, implied, total, share, unsummed), shares


def savings_verdicts(stated_gbp_m: float, delivered_gbp_m: float, stated_pct: float,
                     delivered: claims.Verdict, recurrent: claims.Verdict) -> str:
    """The sentence setting the report's savings (£ millions) and recurrent share (per cent) against the published
    ones, each status the register's verdict (``delivered``: on the savings; ``recurrent``: on the share)."""
    text = (f" The report's £{stated_gbp_m:,.0f}m is the published £{delivered_gbp_m:,.1f}m rounded "
            if delivered.status in HOLDS else
            f" The report says £{stated_gbp_m:,.0f}m, against the published £{delivered_gbp_m:,.1f}m, ")
    text += (f"and its {stated_pct:g}% recurrent is the published share rounded" if recurrent.status in HOLDS
             else f"and it gives {stated_pct:g}% recurrent")
    if delivered.status == recurrent.status:
        return text + f": both **{delivered.status}**."
    return text + f": **{delivered.status}** and **{recurrent.status}** respectively."


def base_findings(shares: pd.DataFrame, delivered_gbp_m: float, stated_pct: float, implied_gbp_m: float,
                  total_gbp_m: float | None, verdict: claims.Verdict, unsummed: dict[str, str] | None = None,
                  graded: bool = True) -> str:
    """The funding base the report's share implies, set against each published base (£ millions, per cent).

    ``shares`` is :func:`sots.analysis.finance.savings_shares`; ``verdict`` the register's on the share, whose check
    names the base it compares (its figure ``savings_share_of_<base>_pct``) and the tolerance a share may differ by. A
    base in ``unsummed`` (NHS England did not publish one of its allocations; the value is why) is NaN in ``shares`` and
    compared with nothing; ``total_gbp_m`` is None when the allocations cannot all be summed. With ``graded`` False
    (a later edition than the report's, whose verdict is on another year's figures) no status is given.
    """
    unsummed = unsummed or {}
    check = verdict.checks[0]  # the register's comparison: the base's figure and the tolerance
    low = finance.implied_base_gbp_m(delivered_gbp_m, stated_pct + check.tolerance)
    high = finance.implied_base_gbp_m(delivered_gbp_m, stated_pct - check.tolerance)
    text = (f"£{delivered_gbp_m:,.1f}m ÷ {stated_pct:g}% implies a funding base of **£{implied_gbp_m:,.0f}m** "
            f"(£{low:,.0f}m to £{high:,.0f}m for any share that rounds to {stated_pct:g}%). ")
    checked = shares.set_index("savings_share_of_" + shares["base"] + "_pct").loc[check.figure]
    matches = (verdict.status in HOLDS if graded else
               pd.notna(checked["share_pct"]) and claims.within(checked["share_pct"], stated_pct, check.tolerance))
    if matches:
        return text + (f"It matches {checked['label'].lower()} (£{checked['amount_gbp_m']:,.1f}m, "
                       f"{checked['share_pct']:.2f}%)" + (f": **{verdict.status}** on that base." if graded else "."))
    nearest = finance.nearest_base(shares)
    if checked["base"] in unsummed:
        text += f"{unsummed[checked['base']]} That leaves no {checked['label'].lower()}, the base the register checks. "
    elif nearest["base"] == checked["base"]:  # the closest base misses the register's tolerance, so every base does
        text += "**No published allocation base matches.** "
    else:
        text += (f"On {checked['label'].lower()}, the base the claims register checks, the savings are "
                 f"{checked['share_pct']:.2f}%. ")
    difference, gap = nearest["difference_pct_points"], nearest["base_gap_gbp_m"]
    whole = (f" The sum of all the ICB's allocations (£{total_gbp_m:,.1f}m) gives "
             f"{delivered_gbp_m / total_gbp_m * 100:.2f}%." if total_gbp_m is not None else "")
    return text + (
        f"The closest is {nearest['label'].lower()}: £{nearest['amount_gbp_m']:,.1f}m, on which the savings are "
        f"{nearest['share_pct']:.2f}%, {abs(difference):.2f} points {'above' if difference > 0 else 'below'} "
        f"{stated_pct:g}%; the implied base is £{abs(gap):,.0f}m ({abs(gap) / nearest['amount_gbp_m'] * 100:.1f}%) "
        f"{'smaller' if gap > 0 else 'larger'} than that base.{whole} The report's denominator is "
        "probably a local figure, such as the system's total income, that no open dataset gives"
        + (f": **{verdict.status}**." if graded else "."))


def record_agency(ch: Chapter, report: finance.ReportFigures | None) -> str:
    """Record the report's agency saving annualised (£ millions a year); return the finding."""
    if report is None:
        return (f"The report's agency saving is for {escape.markdown(ch.reported_about)}; none is stated for "
                f"{escape.markdown(ch.who)}.")
    agency, saving = report.figures["agency_savings"], report.gbp_m("agency_savings")
    annual = ch.figure("agency_savings_annualised_gbp_m", finance.annualise(saving, agency["months"]),
                       unit="GBP million per year", method=f"The report's agency saving over {agency['months']} "
                       "months × 12 ÷ months; the saving itself is stated only.")
    return (f"The report says a standard maximum rate for agency nurses cut agency costs by almost £{saving:,.0f}m "
            f"in {agency['period']}: about **£{annual:,.1f}m a year**. No open dataset gives agency spending by ICB "
            f"or trust at this level, so the figure is **{ch.verdict('agency_savings').status}**; NHS England's "
            "monthly agency spend returns by trust would settle it.")


# --- Deficits ---------------------------------------------------------------------------------------------------


def record_deficits(ch: Chapter, figures: pd.DataFrame, report: finance.ReportFigures | None, year: str,
                    missing: str, quoted: Quoted) -> tuple[str, pd.DataFrame]:
    """Record the system deficit above its control total, each year both are published (£ millions); return the
    finding and the deficits (:func:`sots.analysis.finance.deficits`)."""
    deficits = finance.deficits(figures, ch.icb, report)
    gaps = {}
    for y, rows in deficits.groupby("year"):
        before = rows[(rows["kind"] == "outturn") & (rows["category"] == "System, before support")]["value_gbp_m"]
        plan = rows[(rows["kind"] == "plan") & (rows["body"] == "System")]["value_gbp_m"]
        if len(before) and len(plan):
            gaps[y] = ch.figure(f"deficit_above_control_total_gbp_m{year_suffix(y)}", before.iloc[0] - plan.iloc[0],
                                unit="GBP million", year=y, method="Published system deficit before support − the "
                                "system deficit control total.")
    if f"deficit_above_control_total_gbp_m{year_suffix(year)}" not in ch.figures:
        ch.not_computed(f"deficit_above_control_total_gbp_m{year_suffix(year)}",
                        f"No published deficit and control total of {ch.who} for {year}.")
    if deficits.empty:
        return escape.markdown(missing), deficits
    control = None
    if report is not None:
        control = (report.figures["system_control_total_deficit"]["year"], report.gbp_m("system_control_total_deficit"),
                   ch.verdict("system_control_total_deficit"))
    limit = ch.verdict("icb_deficit_limit") if report is not None else None
    text = " ".join(deficit_sentence(y, rows, deficits, gaps.get(y), control, limit)
                    for y, rows in deficits.groupby("year"))
    measures = [m for m, _, _ in finance.DEFICIT_OUTTURNS] + ["system_control_total_deficit", *finance.SUPPORT_MEASURES]
    quoted.ids += list(figures.loc[(figures["icb_code"] == ch.icb) & figures["measure"].isin(measures), "figure_id"])
    return text + " Sources: " + "; ".join(map(escape.markdown, sorted(set(deficits["source"])))) + ".", deficits


def outturn_text(year: str, out: pd.Series) -> str:
    """'In 2024/25 the system's deficit was £354.8m before support and £129.8m after it' from one year's outturns
    (category -> £ millions); 'In <year>' alone when neither is published."""
    before, after = out.get("System, before support"), out.get("System, after support")
    text = f"In {year} the system's deficit was £{before:,.1f}m before support" if before is not None else f"In {year}"
    return text + (f" and £{after:,.1f}m after it" if after is not None else "")


def deficit_headline(deficits: pd.DataFrame, year: str, who: str) -> str:
    """The key finding on deficits: the system's outturn in the latest year up to ``year`` that has one (£ millions,
    :func:`outturn_text`), or that none is published."""
    outturns = deficits[(deficits["kind"] == "outturn") & (deficits["year"] <= year)
                        & deficits["category"].str.startswith("System")]
    if outturns.empty:
        return f"No system deficit of {who} is published for {year} or before."
    latest = outturns["year"].max()
    return outturn_text(latest, outturns[outturns["year"] == latest].set_index("category")["value_gbp_m"]) + "."


def no_deficits(figures: pd.DataFrame, icb_code: str, who: str, year: str, reported_about: str) -> str:
    """The key finding on deficits when none is published for the ICB ``who``: published pages give them for the ICB
    the report is about (``reported_about``) only, or give none for it up to ``year``."""
    if (figures["icb_code"] == icb_code).any():
        return f"No system deficit of {who} is published for {year} or before."
    return (f"No deficit of {who} is published here: the figures in this book taken from published pages are for "
            f"{reported_about} only.")


def allocation_headline(total_gbp_m: float | None, year: str, why_not: str | None) -> str:
    """The key finding on the budget: NHS England's allocations to the ICB for ``year`` (£ millions), or why they
    cannot be summed."""
    if total_gbp_m is None:
        return f"The ICB's allocations for {year} cannot be summed: {why_not}"
    return f"NHS England's allocations to the ICB for {year} add up to £{total_gbp_m:,.1f}m."


def deficit_sentence(year: str, rows: pd.DataFrame, deficits: pd.DataFrame, gap: float | None,
                     control: tuple[str, float, claims.Verdict] | None, limit: claims.Verdict | None) -> str:
    """One year's deficits (£ millions): before and after support, against the control total, and the ICB's own.

    ``rows`` are ``deficits``' rows for ``year``; ``gap`` the deficit above the control total (None if either is
    unpublished); ``control`` the report's control total as (year, £ millions, the register's verdict), None without
    a report; ``limit`` the verdict on the report's limit for the ICB's own deficit.
    """
    out = rows[rows["kind"] == "outturn"].set_index("category")["value_gbp_m"]
    plan = rows[rows["kind"] == "plan"].set_index("body")["value_gbp_m"]
    text = outturn_text(year, out)
    if gap is not None:
        text += (f", against a control total of £{plan['System']:,.1f}m: "
                 f"£{abs(gap):,.1f}m {'worse' if gap > 0 else 'better'} than the plan")
    if control is not None and control[0] == year and "System" in plan:
        text += f". The report's £{control[1]:,.0f}m control total is **{control[2].status}**{why(control[2])}"
    if "ICB, after support" in out:
        text += f". The ICB's own deficit was £{out['ICB, after support']:,.1f}m"
    if "ICB" in plan and limit is not None:
        text += (f". The report expects the ICB alone to end the year with a deficit of no more than "
                 f"£{plan['ICB']:,.1f}m, read here as {year}, the year of the control total; no ICB outturn for "
                 f"{year} is published here, so this is **{limit.status}**")
        earlier = deficits[(deficits["year"] < year) & (deficits["category"] == "ICB, after support")
                           & (deficits["kind"] == "outturn")]
        for _, e in earlier.iterrows():
            difference = e["value_gbp_m"] - plan["ICB"]
            text += (f" (if the report meant {e['year']}, the ICB's published outturn of £{e['value_gbp_m']:,.1f}m "
                     f"is £{abs(difference):,.1f}m {'below' if difference < 0 else 'above'} it)")
    return text + "."


# --- The budget -------------------------------------------------------------------------------------------------


def record_budget(ch: Chapter, opex: pd.DataFrame, figures: pd.DataFrame, report: finance.ReportFigures | None,
                  total: float | None, totals: dict[str, float], year: str, quoted: Quoted,
                  unsummed: str | None = None,
                  unsummable: dict[str, str] | None = None) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """Record the acute trusts' spending and its share of the allocations; return the finding, the trusts and the
    budget chart's bars. ``total`` is the allocations' sum in ``year``, ``totals`` in each year of the edition that
    has one (£ millions); without a sum for ``year``, ``total`` is None and ``unsummed`` says why; ``unsummable`` is
    each year of the edition whose allocations cannot be summed, with why."""
    unsummable = unsummable or {}
    acute_trusts = finance.host_trusts(opex, ch.icb, year)
    split = [{"label": f"Public data: sum of ICB allocations, {y}", "value_gbp_m": v, "kind": "public data"}
             for y, v in totals.items()]
    text = (f"The ICB's allocations for {year} add up to **£{total:,.1f}m**." if total is not None else
            f"The ICB's allocations for {year} cannot be summed. {unsummed}")
    acute_opex = None
    if len(acute_trusts):
        acute_opex = ch.figure("acute_trust_opex_gbp_m", acute_trusts["opex_gbp_m"].sum(), unit="GBP million",
                               year=year, n_trusts=len(acute_trusts),
                               method="Total operating expenditure (TAC EXP0390) of the acute trusts the ICB hosts.")
        split.append({"label": f"Public data: acute trusts' operating expenditure, {year}", "value_gbp_m": acute_opex,
                      "kind": "public data"})
        if total is None:
            ch.not_computed("hospital_share_of_budget_pct", unsummed)
            text += f" The {len(acute_trusts)} acute trusts it hosts spent **£{acute_opex:,.1f}m**."
        else:
            hospital_pct = ch.figure(
                "hospital_share_of_budget_pct", finance.share_pct(acute_opex, total), unit="per cent", year=year,
                method="Acute trusts' operating expenditure ÷ the sum of the ICB's allocations × 100. Trust spending "
                "includes care paid for by NHS England and other ICBs, so this overstates the ICB's own share.")
            text += (f" The {len(acute_trusts)} acute trusts it hosts spent **£{acute_opex:,.1f}m**, "
                     f"{hospital_pct:.1f}% of that sum.")
    else:
        why_not = (f"the trust accounts here do not cover {year}" if year not in set(opex["year"]) else
                   f"the trust file names no acute trust hosted by {ch.who} in {year} (its trusts carry a 2026 "
                   "merged-ICB code)")
        text += f" The hospital share cannot be computed: {escape.markdown(why_not)}."
        for figure_id in ("acute_trust_opex_gbp_m", "hospital_share_of_budget_pct"):
            ch.not_computed(figure_id, why_not[0].upper() + why_not[1:] + ".")
    if report is None:
        return (f"{text} The report's budget and hospital share are {escape.markdown(ch.reported_about)}'s, so they "
                f"are not set against {escape.markdown(ch.who)}'s figures.", acute_trusts, pd.DataFrame(split))
    budget, pct = report.gbp_m("budget"), report.value("hospital_share_of_budget_pct")
    split[:0] = [{"label": "Report: the budget", "value_gbp_m": budget, "kind": "report"},
                 {"label": f"Report: {pct:g}% of the budget, on hospitals", "value_gbp_m": budget * pct / 100,
                  "kind": "report"}]
    verdict = ch.verdict("budget")
    if ch.in_report_edition:
        if total is None:
            text += (f" Without the allocations' sum for {year}, the report's £{budget / 1000:g}bn budget and {pct:g}% "
                     f"on hospitals are **{verdict.status}**{why(verdict)}.")
        else:
            text += budget_verdict(budget, pct, total, {y: t for y, t in totals.items() if y != year}, year,
                                   acute_opex, verdict, unsummable)
    else:
        text += budget_on_report_year(budget, pct, verdict, ch.report_year, totals, unsummable, year)
        text += f" {escape.markdown(ch.since(verdict))}".rstrip()
    running = finance.published(figures, ch.icb, "running_budget")
    if running is not None:
        share = finance.published(figures, ch.icb, "share_spent_on_hospitals")
        when = running["year"] if isinstance(running["year"], str) else running["period"]
        split.insert(2, {"label": f"Published page: running budget, {when}",
                         "value_gbp_m": finance.to_gbp_m(running["value"], running["unit"]), "kind": "published page"})
        text += (f" Earlier, the ICB's chief executive put the running budget at about £{running['value']:g}bn"
                 + (f", {share['value']:g}% of it on hospitals" if share is not None else "")
                 + f" ({escape.markdown(quoted.cite('running_budget'))}).")
        if share is not None:
            quoted.cite("share_spent_on_hospitals")
    return text, acute_trusts, pd.DataFrame(split)


def other_years(budget_gbp_m: float, others: dict[str, float], unsummable: dict[str, str], lead: str,
                which: str = "other year's") -> str:
    """How the report's budget (£ millions) stands against the allocations of the edition's years: ``lead`` (e.g.
    ", and") then 'more than any other year's here (largest £4,136.1m, in 2024/25)' when it exceeds every one of
    ``others`` (year -> £ millions; ``which`` names them); '' otherwise. A year in ``unsummable`` (year -> why) has no
    sum and might be the largest, so the budget is then set against no "largest" at all: :func:`not_summed` says
    why instead."""
    if unsummable or not others:
        return ""
    top = max(others, key=others.get)
    if others[top] >= budget_gbp_m:
        return ""
    return f"{lead} more than any {which} here (largest £{others[top]:,.1f}m, in {top})"


def not_summed(unsummable: dict[str, str]) -> str:
    """' The 2024/25 allocations cannot be summed (NHS England did not publish ...), so the budget is not set against
    them.' for each year of ``unsummable`` (year -> why); '' if there is none."""
    return "".join(f" The {y} allocations cannot be summed ({clause(w)}), so the budget is not set against them."
                   for y, w in unsummable.items())


def budget_verdict(budget_gbp_m: float, pct: float, total_gbp_m: float, others: dict[str, float], year: str,
                   acute_opex_gbp_m: float | None, verdict: claims.Verdict,
                   unsummable: dict[str, str] | None = None) -> str:
    """The report's budget (£ millions) and hospital share (per cent) against the allocations' sum in ``year`` and the
    acute trusts' spending (None if not computed), with the register's verdict on the budget claim, in the report's
    edition. ``others`` is the allocations' sum in each other year of the edition (£ millions); ``unsummable`` each
    year whose allocations cannot be summed, with why, so that no "largest" leaves it out."""
    unsummable = unsummable or {}
    gap, hospitals = budget_gbp_m - total_gbp_m, budget_gbp_m * pct / 100
    bn = f"£{budget_gbp_m / 1000:g}bn"
    text = (f" The report's {bn} is £{abs(gap):,.0f}m ({abs(gap) / total_gbp_m * 100:.1f}%) "
            f"{'more' if gap > 0 else 'less'} than the {year} allocations"
            + other_years(budget_gbp_m, others, unsummable, ", and")
            + (": it probably counts funding beyond the ICB allocations, such as the trusts' other income or services "
               "commissioned by NHS England." if gap > 0 else ".")
            + not_summed(unsummable) + f" {pct:g}% of {bn} is £{hospitals:,.0f}m")
    if acute_opex_gbp_m is not None:
        more = acute_opex_gbp_m - hospitals
        text += (f"; the acute trusts' spending is £{abs(more):,.0f}m {'more' if more > 0 else 'less'}, "
                 f"{acute_opex_gbp_m / budget_gbp_m * 100:.1f}% of {bn}. Trust spending includes care paid for by "
                 "NHS England and by other ICBs, so it is an upper bound on the ICB's own hospital spending")
    return (text + f". Against the allocations and the hospital share computed here, the report's {bn} and its "
            f"{pct:g}% on hospitals are **{verdict.status}**{why(verdict)}.")


def budget_on_report_year(budget_gbp_m: float, pct: float, verdict: claims.Verdict, report_year: str,
                          totals: dict[str, float], unsummable: dict[str, str], year: str) -> str:
    """In a later edition than the report's (its own year ``year``): the register's verdict on the report's budget
    (£ millions) and hospital share (per cent), which is on the report's own year, with the figures of that year it
    compares (its checks); then how the budget stands against this edition's allocations, ``totals`` (year ->
    £ millions) and ``unsummable`` (year -> why it cannot be summed; the page has said so already for ``year``)."""
    bn = f"£{budget_gbp_m / 1000:g}bn"
    if all(c.computed is None for c in verdict.checks):  # not checked: the note says why
        return f" The report's {bn} budget and its {pct:g}% on hospitals are **{verdict.status}**{why(verdict)}."
    text = (f" The report's verdict is on the figures for {report_year}, its own year: its {bn} budget and its "
            f"{pct:g}% on hospitals are **{verdict.status}**. {escape.markdown(verdicts.line(verdict))}")
    if verdict.status == claims.NOT_REPRODUCED:
        text += f" {escape.markdown(verdict.claim['reason'])}"
    beyond = other_years(budget_gbp_m, totals, unsummable, "", "year's allocations")
    return (text + (f" The report's {bn} is{beyond}." if beyond else "")
            + not_summed({y: w for y, w in unsummable.items() if y != year}))


# --- Charts and tables ------------------------------------------------------------------------------------------


def share_chart(fin: Finance, who: str) -> alt.LayerChart:
    """Savings as a share of each base against the report's share, the closest base highlighted."""
    return charts.share_bars(fin.shares, stated_pct=fin.report.value("savings_share_of_funding_pct"), focal_name=who,
                             highlight=finance.nearest_base(fin.shares)["base"])


def shares_table(fin: Finance) -> charts.Table:
    """Each base, the savings as a share of it and the difference from the report's share (points)."""
    money = f"{fin.year} (£m)"
    table = fin.shares[["label", "amount_gbp_m", "share_pct", "difference_pct_points"]].rename(columns={
        "label": "Base", "amount_gbp_m": money, "share_pct": "Savings as a share (%)",
        "difference_pct_points": "Against the report (points)"})
    return charts.table(table, formats={money: "{:,.1f}", "Savings as a share (%)": "{:.2f}",
                                        "Against the report (points)": "{:+.2f}"},
                        missing=benchmark.not_published(fin.year))


def bases_table(fin: Finance) -> charts.Table:
    """Each allocation base of the ICB in the year (£ millions); one NHS England did not publish shows so."""
    money = f"{fin.year} (£m)"
    return charts.table(fin.bases[["label", "amount_gbp_m"]].rename(columns={"label": "Base", "amount_gbp_m": money}),
                        formats={money: "{:,.1f}"}, missing=benchmark.not_published(fin.year))


def support_table(fin: Finance) -> charts.Table:
    """The support funding published for the system, by year (£ millions), with its source."""
    renamed = fin.support.rename(columns={"year": "Year", "description": "Support", "value_gbp_m": "£m",
                                          "source": "Source"})
    return charts.table(renamed[["Year", "Support", "£m", "Source"]], formats={"£m": "{:,.1f}"})


def budget_chart(fin: Finance, who: str) -> alt.LayerChart:
    """The report's budget and hospital share against the allocations and the acute trusts' spending."""
    return charts.amount_bars(
        fin.budget_split, title="The budget and spending on hospitals",
        subtitle=f"{who}; blue: computed from public data; grey: stated", focal_name=who)


def trusts_table(fin: Finance) -> charts.Table:
    """The acute trusts the ICB hosts and their operating expenditure in the year (£ millions)."""
    money = f"Operating expenditure {fin.year} (£m)"
    return charts.table(fin.acute_trusts.rename(columns={
        "trust_code": "Code", "trust_name": "Trust", "sector": "Sector", "opex_gbp_m": money}),
        formats={money: "{:,.1f}"})


def sources_table(fin: Finance) -> charts.Table:
    """Each source of the published figures the page quotes: publisher, title, address and the figures used."""
    return charts.table(finance.sources_table(fin.quoted), formats={}, wrap=("Address", "Figures used"))
