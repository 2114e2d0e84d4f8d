/* The claims register's filter: show the claims whose verdict is ticked and, if one is chosen, that are checked in
 * one chapter. The register (sots.chapters.claims_page, templates/claims_register.html) lists every claim and keeps
 * its filter hidden, so without this script, and in print, every claim is shown. It loads nothing.
 */
(function () {
  "use strict";

  function start() {
    document.querySelectorAll("[data-sots-register]").forEach(function (register) {
      var form = register.querySelector("form.sots-filter");
      var claims = Array.prototype.slice.call(register.querySelectorAll("tbody.sots-claim"));
      var count = form && form.querySelector(".sots-filter-count");
      if (!form || !claims.length) {
        return;
      }
      function apply() {
        var statuses = Array.prototype.slice.call(form.querySelectorAll("input[name=status]:checked"))
          .map(function (box) { return box.value; });
        var chapter = form.querySelector("select[name=chapter]").value;
        var shown = 0;
        claims.forEach(function (claim) {
          var show = statuses.indexOf(claim.dataset.status) >= 0 && (!chapter || claim.dataset.chapter === chapter);
          claim.hidden = !show;
          shown += show ? 1 : 0;
        });
        if (count) {
          count.textContent = "Showing " + shown + " of " + claims.length + " claims.";
        }
      }
      form.addEventListener("change", apply);
      form.addEventListener("submit", function (event) { event.preventDefault(); });
      form.hidden = false;
      apply();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
