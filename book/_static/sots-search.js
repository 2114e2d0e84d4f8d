/* Search that finds the book's figures, with snippets from the chapter's text (issue 25). Sphinx inserts this file
 * into language_data.js (html_search_scorer in _config.yml), which the theme's search page loads after
 * searchtools.js and before the index, so it can adjust Sphinx's Search object before a query runs:
 * - Sphinx drops a query word made only of digits ("241"): kept (two digits or more), and it also finds the
 *   figures that carry a unit ("£241m" is indexed as "241m").
 * - A snippet is cut from the page's main landmark, whose first words are the theme's buttons (".ipynb"), and when
 *   the page matched on a word's stem its text does not hold ("savings" is searched as "save") it shows those
 *   first words: it is cut from the chapter's article instead, at the first word of the query it holds.
 */
;(function () {
  "use strict";
  if (typeof Search === "undefined") { return; }
  var DIGITS = /^\d\d+$/;  // "241", "42"; a lone digit (the "4" of "4.5bn") would match nearly every page
  var typed = [];  // the words of the last query, as typed (lower case)

  var parse = Search._parseQuery;
  Search._parseQuery = function (query) {
    var parsed = parse(query);  // [query, searchTerms, excludedTerms, highlightTerms, objectTerms]
    typed = splitQuery(query.toLowerCase().trim());
    typed.filter(function (word) { return DIGITS.test(word); }).forEach(function (word) {
      parsed[1].add(word);
      parsed[3].add(word);
    });
    return parsed;
  };

  var setIndex = Search.setIndex;
  Search.setIndex = function (index) {
    // A number's own entry lists also the pages where it carries a unit: "241" finds "£241m".
    var terms = index.terms;
    Object.keys(terms).forEach(function (term) {
      var number = term.match(/^(\d+)[a-z%]+$/);
      if (!number) { return; }
      var own = terms[number[1]] === undefined ? [] : [].concat(terms[number[1]]);
      [].concat(terms[term]).forEach(function (file) { if (own.indexOf(file) < 0) { own.push(file); } });
      terms[number[1]] = own;
    });
    setIndex(index);
  };

  Search.makeSearchSummary = function (htmlText, keywords, anchor) {
    var page = new DOMParser().parseFromString(htmlText, "text/html");
    page.querySelectorAll(".headerlink, script, style, select, .sots-chart, .sots-filter")
      .forEach(function (el) { el.remove(); });
    var block = (anchor && page.querySelector("article " + anchor)) || page.querySelector("article")
      || page.querySelector('[role="main"]');
    if (!block) { return null; }
    var text = block.textContent.replace(/\s+/g, " ").trim();
    var lower = text.toLowerCase();
    // The longest word of the query the text holds, as typed, else as stemmed: "5bn" rather than the "4" of "4.5bn".
    var words = typed.concat(Array.from(keywords)).sort(function (a, b) { return b.length - a.length; });
    var at = words.map(function (w) { return lower.indexOf(w.toLowerCase()); })
      .filter(function (i) { return i > -1; });
    var start = at.length ? Math.max(at[0] - 120, 0) : 0;
    var summary = document.createElement("p");
    summary.classList.add("context");
    summary.textContent = (start > 0 ? "…" : "") + text.substr(start, 240).trim()
      + (start + 240 < text.length ? "…" : "");
    return summary;
  };
})();
