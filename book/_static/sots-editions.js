/* Editions: links in the version switcher, and the banner on an archived edition.
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

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
