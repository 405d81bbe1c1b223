// The review page's choice between the changes in the text and side by side
// (editorial/admin/_review_diff.html). Without JavaScript the two links reload the page with
// ?diff=inline or ?diff=side-by-side; with it, they switch at once and keep the address in step.
(function () {
  "use strict";

  var diff = document.getElementById("review-diff");
  var views = document.getElementById("review-diff-views");
  if (!diff || !views) {
    return;
  }

  function show(view) {
    diff.querySelector(".review-diff-inline").hidden = view !== "inline";
    diff.querySelector(".review-diff-sides").hidden = view === "inline";
    diff.setAttribute("data-view", view);
    views.querySelectorAll("[data-diff-view]").forEach(function (link) {
      if (link.getAttribute("data-diff-view") === view) {
        link.setAttribute("aria-current", "true");
      } else {
        link.removeAttribute("aria-current");
      }
    });
  }

  views.addEventListener("click", function (event) {
    var link = event.target.closest("[data-diff-view]");
    if (!link) {
      return;
    }
    event.preventDefault();
    var view = link.getAttribute("data-diff-view");
    show(view);
    var address = new URL(window.location.href);
    address.searchParams.set("diff", view);
    window.history.replaceState(null, "", address.toString());
  });
})();
