/* Editions: links in the version switcher, and the banner on an archived edition; and the names of controls that
 * assistive technology reads (at the end).
 *
 * The site's switcher.json (written by `sots build`, one folder above the editions) lists every published edition
 * with a URL relative to an edition's folder, such as "../2024-25/". The theme's switcher adds this page's path to
 * that URL and uses the result as a link, which the browser would resolve against the page rather than against the
 * edition's folder; this script resolves each link against the edition's folder, so the switcher works on every
 * page and when the site is served from any sub-path.
 *
 * An ICB's book built with `sots build --all-icbs` sits in <edition>/icb/<CODE>/: its links go to the same ICB's
 * book in each edition, resolved against the edition's folder two levels up.
 *
 * On an edition that switcher.json does not mark current, it shows a banner linking to the same page in the current
 * edition (or to that edition's front page, if the page is not there). Because the banner is drawn from
 * switcher.json when the page is opened, publishing a new edition updates the older editions' banners without
 * rebuilding them. Nothing is loaded from outside the site.
 */
(function () {
  "use strict";

  function start() {
    // Sphinx declares DOCUMENTATION_OPTIONS with const, so it is a global but not a property of window.
    var options = typeof DOCUMENTATION_OPTIONS === "undefined" ? {} : DOCUMENTATION_OPTIONS;
    if (!options.theme_switcher_json_url || window.location.protocol === "file:") {
      return; // a browser refuses to fetch from file:// pages; serve the site over http
    }
    var bookRoot = new URL(document.documentElement.dataset.content_root || "./", window.location.href);
    var icbBook = bookRoot.pathname.match(/\/(icb\/[^/]+\/)$/);
    var bookPath = icbBook ? icbBook[1] : "";  // "icb/QHM/" in an ICB's book, "" in the edition's own
    var editionRoot = new URL(icbBook ? "../../" : "./", bookRoot);
    var editionLink = /^(\.\.\/[^/]+\/)/;  // "../2024-25/" at the start of a switcher link
    var pagePath = (options.pagename || "index") + ".html";
    var isAbsolute = /^[a-z][a-z0-9+.-]*:/i;

    function resolveLinks(menu) {
      menu.querySelectorAll("a[href]").forEach(function (a) {
        var href = a.getAttribute("href");
        if (!isAbsolute.test(href)) {
          a.setAttribute("href", new URL(href.replace(editionLink, "$1" + bookPath), editionRoot).href);
        }
      });
    }

    document.querySelectorAll(".version-switcher__menu").forEach(function (menu) {
      resolveLinks(menu);
      new MutationObserver(function () { resolveLinks(menu); }).observe(menu, { childList: true });
    });

    function strong(text) {
      var b = document.createElement("strong");
      b.textContent = text;
      return b;
    }

    function showBanner(entries) {
      var here = options.theme_switcher_version_match;
      var current = entries.filter(function (e) { return e.preferred; })[0];
      if (!current || current.version === here || document.getElementById("sots-archived-banner")) {
        return;
      }
      var home = new URL(current.url + bookPath, editionRoot);
      var samePage = new URL(pagePath, home);
      var banner = document.createElement("aside");
      banner.id = "sots-archived-banner";
      banner.className = "sots-archived-banner d-print-none";
      banner.setAttribute("aria-label", "Archived edition");
      var text = document.createElement("p");
      var link = document.createElement("a");
      link.href = samePage.href;
      link.textContent = "Read this page in the current edition, " + current.version;
      text.append("This is the ", strong(here), " edition, kept as it was published. ", link, ".");
      banner.appendChild(text);
      var header = document.getElementById("pst-header");
      if (header && header.parentNode) {
        header.parentNode.insertBefore(banner, header);
      } else {
        document.body.prepend(banner);
      }
      fetch(samePage.href, { method: "HEAD" }).then(function (response) {
        if (!response.ok) { link.href = home.href; }
      }).catch(function () { link.href = home.href; });
    }

    fetch(new URL(options.theme_switcher_json_url, bookRoot).href)
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(showBanner)
      .catch(function () { /* no switcher.json: a lone edition, nothing to show */ });
  }

  /* Accessible names that the theme and its extensions get wrong, put right once their controls are drawn (some are
   * drawn late, by script, so this runs again whenever the page's content changes). axe-core's audit in
   * tests/e2e/test_browser.py finds each; neither CSS nor the book's configuration can set a name.
   * - The search fields' aria-label "Search" leaves out the "Ctrl+K" they show (axe: label-content-name-mismatch):
   *   named by their text instead. The icon-only search button keeps its label.
   * - The version switcher's aria-label "Version switcher list" is not the edition it shows (the same rule): named
   *   "Edition" and what it shows, which the theme fills in from switcher.json; its menu is named "Edition".
   * - The colour-mode button's icons are titled ("Light"), which counts as text its name "Color mode" lacks (the
   *   same rule), even when hidden: they are decoration beside the button's own name (and tooltip), so hidden from
   *   assistive technology and untitled.
   * - A folded code cell's toggle is labelled "Toggle hidden content" over the "Show code cell source" it shows (the
   *   same rule): named by its text instead.
   * - The left sidebar's book title and edition switcher sit outside any landmark (axe: region, moderate): the sidebar
   *   becomes the book's navigation landmark, "Book", around the theme's own table-of-contents navigation.
   * (The charts' own export menus are named where they are drawn, in sots.chapters.charts.render.)
   */
  var EDITION_LABEL = "sots-edition-label";

  function nameControls() {
    if (!document.getElementById(EDITION_LABEL)) {
      var label = document.createElement("span");
      label.id = EDITION_LABEL;
      label.hidden = true;  // read only through aria-labelledby
      label.textContent = "Edition";
      document.body.appendChild(label);
    }
    document.querySelectorAll(".search-button__button[aria-label]").forEach(function (button) {
      if (button.querySelector(".search-button__default-text")) { button.removeAttribute("aria-label"); }
    });
    document.querySelectorAll(".version-switcher__button[aria-label]").forEach(function (button) {
      button.removeAttribute("aria-label");
      button.setAttribute("aria-labelledby", EDITION_LABEL + " " + button.id);
      var menu = document.getElementById(button.getAttribute("aria-controls"));
      if (menu) { menu.setAttribute("aria-labelledby", EDITION_LABEL); }
    });
    document.querySelectorAll(".theme-switch-button .theme-switch:not([aria-hidden])").forEach(function (icon) {
      icon.setAttribute("aria-hidden", "true");
      icon.removeAttribute("aria-labelledby");
      icon.removeAttribute("title");  // before Font Awesome draws the icon
      icon.querySelectorAll("title").forEach(function (title) { title.remove(); });  // after
    });
    document.querySelectorAll('summary[aria-label="Toggle hidden content"]').forEach(function (summary) {
      if (summary.textContent.trim()) { summary.removeAttribute("aria-label"); }
    });
    document.querySelectorAll(".bd-sidebar-primary:not([role])").forEach(function (sidebar) {
      sidebar.setAttribute("role", "navigation");
      sidebar.setAttribute("aria-label", "Book");
    });
  }

  function onReady() {
    start();
    nameControls();
    // Batched by the browser: one call per burst of changes, however many elements a chart draws.
    new MutationObserver(nameControls).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", onReady);
  } else {
    onReady();
  }
})();
