"""The context every chapter notebook runs in: one call from its parameters cell's values.

A chapter's setup line is ``ch = chapter.open("finance", edition=edition, icb=icb, data_dir=data_dir, root=root,
results_fragment=results_fragment, build=build)``. The :class:`Chapter` it returns gives:

- the focal ICB, resolved once (``ch.focal``, with ``ch.icb`` its ODS code and ``ch.who`` its short name);
- the edition's data years (``ch.data_year("allocation_year")``), by one channel: in a build, the ``build``
  parameter's ``inputs`` (the build's edition's, checked as they are read); run by hand, ``editions.yml`` in the
  project folder ``root`` by the edition's id. No notebook declares a data year, so none can disagree with them;
- the prepared tables, loaded on first use (``ch.table(name)``), each only for the edition's own data years
  (:func:`sots.inputs.editions.window`), recording each table
  read with the sha256 of the rows read (``ch.tables_read``): the figures' inputs, the page's sources, and what a
  build cache must key a chapter on. Adding another year's rows to ``data/`` changes none of them;
- the :class:`~sots.analysis.results.Recorder` (``ch.figure``, ``ch.not_computed``, ``ch.glue``);
- the report's verdicts on this chapter's claims, computed by :mod:`sots.analysis.claims` (``ch.verdict(key)``) on the
  figures of the report's own edition for its ICB, whichever edition this is: in the report's edition they are the
  chapter's own figures; in a later one, the report edition's results (``report_results``, written by the build),
  and ``ch.since(verdict)`` says what this edition's data give instead. A chapter never decides "reproduced" itself,
  and every edition's pages give the same verdicts as the claims page;
- charts drawn with the sources of the tables each draws on and, in a build, its data as a named CSV with its
  metadata (``ch.show(chart, tables=("icb_allocations", "icb_lookup"))``).

Everything arrives as papermill parameters. ``build`` is JSON that ``sots build`` writes (the edition's data years,
the provenance and the folder for each chart's data, see :func:`sots.site.pipeline.build_parameter`); empty, as a
notebook's default, the chapter runs as an analyst opens it in Jupyter: the same figures, with no fragment,
provenance or CSV files. ``root`` is the project folder (the staged book, in a build), relative to the notebook's
folder: where ``editions.yml`` and ``claims.yml`` are read. Nothing is found by walking up from the working folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sots import escape
from sots.analysis import claims, verdicts
from sots.analysis.results import Recorder, read_results
from sots.chapters import charts, statuses
from sots.chapters.reads import table_read, title_read
from sots.inputs import data, editions, geography, slices

# Why a later edition's chapter run by hand gives no verdict: the report's are computed on another edition's figures.
NOT_GIVEN = ("Not checked in this run: the report's verdicts are computed on the figures of its own edition, which "
             "were not given to this chapter (its report_results parameter is empty, as when it is run by hand).")


@dataclass
class Chapter:
    """One chapter's run: its name (the notebook's stem), edition, focal ICB, tables, figures and provenance."""

    name: str
    edition: str
    data_dir: Path
    # The project folder (in a build, the staged book): where editions.yml, claims.yml and the pages are read.
    root: Path = Path("..")
    # The edition's data years (field -> year): the build's (its ``build`` parameter), or editions.yml's by hand.
    inputs: dict[str, str] = field(default_factory=dict)
    focal: pd.Series | None = None  # the ICB's lookup row: set by open(), which reads the lookup through table()
    recorder: Recorder | None = None  # made by open() once the ICB is known
    provenance: dict | None = None  # edition, commit, parameters_sha256: set by a build
    chart_data: Path | None = None  # the folder each chart's rows are written to as CSV: set by a build
    reads_file: Path | None = None  # where what the chapter reads is recorded for the execution cache: set by a build
    # The results of the report's edition for the report's ICB (figure id -> entry), on which the report's verdicts
    # are computed in any other edition of that ICB: set by open() from report_results; None if not given.
    report_figures: dict[str, dict] | None = None
    _slices: dict[str, slices.Slice] = field(default_factory=dict)
    _sources: dict[str, list[dict]] | None = None
    _titles: dict[str, str] = field(default_factory=dict)
    _charts_shown: int = 0
    _chart_names: set[str] = field(default_factory=set)  # the download names given so far: each unique on the page
    _register: dict[str, dict] | None = None
    _report: dict | None = None

    # --- The focal ICB ---------------------------------------------------------------------------------------------

    @property
    def icb(self) -> str:
        """The focal ICB's ODS code, e.g. QE1."""
        return self.focal["icb_code"]

    @property
    def who(self) -> str:
        """The focal ICB's short name, for prose and chart titles."""
        return self.focal["short_name"]

    # --- Tables ----------------------------------------------------------------------------------------------------

    def data_year(self, name: str) -> str:
        """The edition's data year of input ``name`` (e.g. ``allocation_year`` -> "2023/24"; see ``editions.yml``);
        ValueError naming the inputs there are for a name that is none of them."""
        if name not in self.inputs:
            raise ValueError(f"{self.name}: no edition input named {name!r} (the inputs: {', '.join(self.inputs)})")
        return self.inputs[name]

    def table(self, name: str) -> pd.DataFrame:
        """A prepared table's rows for this edition, validated, loaded once per chapter and recorded as read.

        A year-keyed table gives only the years of the edition's window (:meth:`years`); any other table is whole.
        """
        if name not in self._slices:
            self._slices[name] = slices.read(name, self.data_dir, self.inputs, self.table_sources)
            self._record_reads()
        return self._slices[name].rows

    def years(self, name: str) -> tuple[str, ...] | None:
        """The financial years of table ``name`` this edition reads (:func:`sots.inputs.editions.window`); None if
        whole."""
        return editions.window(name, self.inputs, self.table_sources)

    @property
    def table_sources(self) -> dict[str, list[dict]]:
        """Each table's sources as the data package lists them (:func:`sots.inputs.data.table_sources`), read once."""
        if self._sources is None:
            self._sources = data.table_sources(self.data_dir)
        return self._sources

    @property
    def tables_read(self) -> dict[str, str]:
        """Each table this chapter has read so far, in order, with the sha256 of the rows it read (``sha256:<hex>``,
        :func:`sots.inputs.slices.digest`)."""
        return {name: piece.sha256 for name, piece in self._slices.items()}

    def chapter_title(self, chapter: str, root: Path | None = None) -> str:
        """The title of ``chapter`` (e.g. ``notebooks/ageing``) in the book at ``root`` (default: :attr:`root`),
        recorded as read: a page that quotes another's title depends on the title, not on the rest of that page.

        Read once per chapter: a page runs in one book, and the claims page quotes a chapter's title for each of its
        claims."""
        if chapter not in self._titles:
            self._titles[chapter] = statuses.chapter_title(self.root if root is None else root, chapter)
            self._record_reads()
        return self._titles[chapter]

    def _record_reads(self) -> None:
        """Write what this chapter has read so far (:mod:`sots.site.execcache`) to :attr:`reads_file`, in a build."""
        if self.reads_file is None:
            return
        reads = {"tables": {name: table_read(piece, self.table_sources[name])
                            for name, piece in self._slices.items()},
                 "titles": {chapter: title_read(title) for chapter, title in self._titles.items()}}
        self.reads_file.parent.mkdir(parents=True, exist_ok=True)
        self.reads_file.write_text(json.dumps(reads, indent=1, sort_keys=True) + "\n")

    def sources(self, names: list[str] | None = None) -> list[dict]:
        """The public sources of the rows read from the named tables (default: every table read so far), once each in
        the order first met: a year-keyed table's sources whose years meet the rows read, any other's all."""
        seen: dict[str, dict] = {}
        for name in list(self._slices) if names is None else names:
            for entry in slices.cited(self.table_sources[name], self.table(name)):
                seen.setdefault(entry["id"], entry)
        return list(seen.values())

    def citations(self) -> list[str]:
        """'Publisher, title (period)' of every public source of the rows read so far."""
        return [data.citation(s) for s in self.sources()]

    def source_table(self, names: list[str] | None = None) -> pd.DataFrame:
        """The sources of the rows read from the named tables (default: all read so far) as the page lists them:
        publisher, title, address (as text) and period (:func:`sots.inputs.data.source_rows`)."""
        return data.source_rows(self.sources(names))

    # --- Figures ---------------------------------------------------------------------------------------------------

    def figure(self, figure_id: str, value: Any, **kwargs: Any) -> Any:
        """Record and glue a headline figure (see :meth:`sots.analysis.results.Recorder.figure`); return its value."""
        return self.recorder.figure(figure_id, value, **kwargs)

    def not_computed(self, figure_id: str, reason: str) -> None:
        """Record that this edition cannot compute ``figure_id``, and why (see :meth:`Recorder.not_computed`)."""
        self.recorder.not_computed(figure_id, reason)

    def glue(self, name: str, value: Any) -> None:
        """Glue a value the prose quotes but results.json does not need (a name, a year, a sentence)."""
        self.recorder.glue(name, value)

    @property
    def glued(self) -> dict[str, Any]:
        """Every value glued so far (figures included), by name, as the prose quotes it."""
        return self.recorder.glued

    @property
    def figures(self) -> dict[str, dict]:
        """The figures recorded so far, by id, as results.json will hold them."""
        return self.recorder.figures

    def _provenance_entry(self) -> dict:
        return {**self.provenance, "sources": self.citations()} if self.provenance else {}

    # --- Claims ----------------------------------------------------------------------------------------------------

    @property
    def register(self) -> dict[str, dict]:
        """The claims register (``claims.yml`` in :attr:`root`), read once."""
        if self._register is None:
            self._register = claims.load(self.root / claims.REGISTER)
        return self._register

    @property
    def report(self) -> dict:
        """The report the claims are from (the register's ``report``: edition, icb_code, title, publisher, period)."""
        if self._report is None:
            self._report = claims.report(self.root / claims.REGISTER)
        return self._report

    @property
    def reported_about(self) -> str:
        """The short name of the ICB the report is about, e.g. "Lancashire and South Cumbria"."""
        lookup = self.table("icb_lookup")
        return lookup.loc[lookup["icb_code"] == self.report["icb_code"], "short_name"].iloc[0]

    def claims(self) -> list[dict]:
        """The register's claims whose evidence is this chapter, in register order."""
        return claims.of_chapter(self.register, f"notebooks/{self.name}")

    @property
    def about_report(self) -> bool:
        """Whether this book is for the ICB the report is about: only then are its claims checked."""
        return self.icb == self.report["icb_code"]

    @property
    def in_report_edition(self) -> bool:
        """Whether this is the report's own edition (the claims register's ``report.edition``) for its ICB."""
        return self.about_report and self.edition == self.report["edition"]

    @property
    def after_report(self) -> bool:
        """Whether this is a later edition for the report's ICB: the report's verdicts are computed on another
        edition's figures (:attr:`report_figures`), and this edition's own are "since the report"."""
        return self.about_report and not self.in_report_edition

    @property
    def year(self) -> str:
        """The financial year of this edition, as prose writes it (2024-25 -> "2024/25")."""
        return self.edition.replace("-", "/")

    @property
    def report_year(self) -> str:
        """The financial year of the report's edition, as prose writes it (2023-24 -> "2023/24")."""
        return self.report["edition"].replace("-", "/")

    def judge(self, claim: dict, own: dict[str, dict] | None = None) -> claims.Verdict:
        """The report's verdict on ``claim``: :func:`sots.analysis.claims.evaluate` on the report edition's figures for
        its ICB.

        Those are ``own`` (default: this chapter's figures so far) in the report's edition, and the report edition's
        results (:attr:`report_figures`) in any later one, so every edition gives the verdict the report's edition
        gives. For another ICB than the report's, no claim is checked, and the note says why.
        """
        if not self.about_report:
            return claims.evaluate(claim, {}, f"The report is about {self.reported_about}, not {self.who}, so its "
                                             "claims are not checked in this book.")
        if self.in_report_edition:
            return claims.evaluate(claim, self.figures if own is None else own)
        if self.report_figures is None:
            return claims.evaluate(claim, {}, NOT_GIVEN)
        return claims.evaluate(claim, self.report_figures)

    def verdict(self, key: str) -> claims.Verdict:
        """The report's verdict on the claim stating ``key`` (its ``key`` field): :meth:`judge`.

        The same :func:`sots.analysis.claims.evaluate` the claims page runs, on the same figures, so the two always
        agree.
        """
        return self.judge(claims.by_key(self.register, key))

    def since(self, verdict: claims.Verdict, own: dict[str, dict] | None = None) -> str:
        """In a later edition, what its data (``own``, default this chapter's figures) give of the figures the verdict
        compares, against the report's year (:func:`sots.analysis.verdicts.since_line`); "" in the report's edition, or
        for another ICB."""
        if not self.after_report:
            return ""
        return verdicts.since_line(verdict, self.figures if own is None else own, self.year, self.report_year)

    def graded(self, verdict: claims.Verdict) -> str:
        """The report's verdict on one claim as a chapter puts it (Markdown): its status in bold and its line
        (:func:`sots.analysis.verdicts.line`), on the figures of the report's own year; in a later edition, saying so
        and adding what this edition's data give (:meth:`since`). For a claim not checked, why not. The verdict's line
        and what :meth:`since` says are text, from the register and the data: escaped here, where they meet Markdown."""
        line, since = escape.markdown(verdicts.line(verdict)), escape.markdown(self.since(verdict))
        if verdict.status == claims.STATED_ONLY:
            return line
        status = verdicts.SAID[verdict.status]
        if self.in_report_edition:
            return f"**{status}.** {line}"
        return " ".join(filter(None, [f"**{status}**, on the data of the report's own year, {self.report_year}.",
                                      line, since]))

    def since_brief(self, verdict: claims.Verdict, own: dict[str, dict]) -> str:
        """:meth:`since` in a few words (:func:`sots.analysis.verdicts.since_brief`), from this edition's figures
        ``own``."""
        if not self.after_report:
            return ""
        return verdicts.since_brief(verdict, own, self.year)

    def claims_summary(self) -> str:
        """The report's verdicts on this chapter's claims in one sentence (:func:`sots.analysis.verdicts.summary`): a
        chapter calls it after its last figure. In a later edition, it says they are on the report's own year's data;
        for another ICB than the report's, that none is checked: the report's figures are about its own ICB, and another
        ICB's figures neither confirm nor refute them."""
        if not self.about_report:
            return (f"The report's claims are about {self.reported_about}, so none is checked in this book for "
                    f"{self.who}." if self.claims() else "")
        text = verdicts.summary([self.judge(claim) for claim in self.claims()])
        if text and not self.in_report_edition:
            text = (f"{text[:-1]}, on the data of the report's own year, {self.report_year}, as in every edition."
                    if self.report_figures is not None else f"{text} {NOT_GIVEN}")
        return text

    # --- Charts ----------------------------------------------------------------------------------------------------

    def show(self, chart, tables: tuple[str, ...] | list[str] | None = None, phone=None) -> charts.Rendered:
        """A chart, drawn offline in the book, under it the sources of the tables it draws on (``tables``, e.g.
        ``("icb_allocations", "icb_lookup")``; default every table the page has read; ``()`` for none) and, in a
        build, its table as ``<edition>-<chapter>-<chart>.csv`` with its metadata (units, sources, licences and
        provenance) and an SVG of the chart (:func:`sots.chapters.charts.render`). ``phone`` is the chart's view for a
        phone (e.g. :func:`sots.chapters.charts.ranked_phone`), with the whole chart a tap away."""
        self._charts_shown += 1
        unknown = [name for name in tables or [] if name not in data.TABLES]
        if unknown:
            raise ValueError(f"Chapter.show: no table named {', '.join(map(repr, unknown))} (see "
                             f"sots.inputs.data.TABLES)")
        names = list(self._slices) if tables is None else list(tables)  # the page's tables when none are named
        order = self._charts_shown
        return charts.render(chart, order=order, data_folder=self.chart_data, provenance=self.provenance,
                             sources=self.sources(names), licenses=self.licenses(names), tables=names, phone=phone,
                             name=lambda title: charts.download_name(self.edition, self.name, title, order,
                                                                     self._chart_names))

    def licenses(self, names: list[str] | None = None) -> list[dict]:
        """The licences of the named tables (default: every table read so far), once each, as the data package
        gives them (:data:`sots.inputs.data.TABLES`)."""
        seen: dict[str, dict] = {}
        for name in list(self._slices) if names is None else names:
            for licence in data.TABLES[name].licenses:
                seen.setdefault(licence["name"], licence)
        return list(seen.values())


def open(
    name: str, *, edition: str, icb: str, data_dir: str | Path, root: str | Path, results_fragment: str = "",
    build: str = "", report_results: str = "",
) -> Chapter:
    """The context of chapter ``name`` (its notebook's stem) from its parameters; InputError for an unknown ICB or
    edition, or data years the build gave that are not an edition's.

    ``root`` is the project folder (a build's is the staged book), as the notebook's ``root`` parameter gives it
    (relative to the notebook's folder): where ``claims.yml`` is read and, outside a build, ``editions.yml``.
    ``build`` is the JSON text :func:`sots.site.pipeline.build_parameter` writes, or "" outside a build. The edition's
    data years come from one place: the build's ``inputs`` in a build, checked
    (:func:`sots.inputs.editions.check_inputs`); by hand, ``root/editions.yml``'s entry for ``edition``, so a chapter
    opened by hand reads the same rows as the build.
    ``report_results`` is the results.json of the report's edition for its ICB (a build writes it; an analyst may
    name a published edition's), on which a later edition's chapters compute the report's verdicts; "" for none. It
    is checked as it is read: figures of another edition or ICB are an InputError.
    """
    made = json.loads(build) if build else {}
    root = Path(root)
    if build:
        inputs = editions.check_inputs(made.get("inputs"), f"{name}.ipynb: parameter 'build'")
    else:
        inputs = editions.get(editions.load(root / editions.EDITIONS_FILE), edition).inputs
    chapter = Chapter(name=name, edition=edition, data_dir=Path(data_dir), root=root, inputs=inputs,
                      provenance=made.get("provenance"),
                      chart_data=Path(made["chart_data"]) if made.get("chart_data") else None,
                      reads_file=Path(made["reads"]) if made.get("reads") else None)
    chapter.focal = geography.resolve_icb(icb, chapter.table("icb_lookup"))
    if report_results and chapter.after_report:
        chapter.report_figures = read_results(Path(report_results), chapter.report["edition"],
                                              chapter.report["icb_code"])
    chapter.recorder = Recorder(results_fragment, edition=edition, icb=chapter.icb,
                                inputs=lambda: chapter.tables_read, provenance=chapter._provenance_entry)
    return chapter


def reported_icb(root: str | Path) -> str:
    """The ODS code of the ICB the report is about (``claims.yml`` in the project folder ``root``): the focal ICB of
    a page about the report's system whichever ICB a book is for."""
    return claims.report(Path(root) / claims.REGISTER)["icb_code"]
