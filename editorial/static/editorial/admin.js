/* The desk's small behaviours, for every admin page (loaded from admin/base_site.html; the CSP
   runs no inline script). Without this script every page still works: the buttons it enables
   are hidden until it runs. */
"use strict";

(function () {
    /* A copy button copies the text of its data-copy attribute (the full content hash) and says so. */
    function copyText(button) {
        var text = button.getAttribute("data-copy");
        var done = function () {
            var label = button.textContent;
            button.textContent = "Copied";
            button.setAttribute("aria-live", "polite");
            window.setTimeout(function () { button.textContent = label; }, 2000);
        };
        if (navigator.clipboard && window.isSecureContext) {
            navigator.clipboard.writeText(text).then(done, function () { selectFull(button); });
        } else {
            selectFull(button);
        }
    }

    /* Where the clipboard is out of reach, open the full value and select it for the person to copy. */
    function selectFull(button) {
        var holder = button.closest(".content-hash");
        var details = holder && holder.querySelector("details");
        var full = holder && holder.querySelector(".content-hash-full");
        if (!details || !full) { return; }
        details.open = true;
        var range = document.createRange();
        range.selectNodeContents(full);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
    }

    function init() {
        document.querySelectorAll("button[data-copy]").forEach(function (button) {
            button.hidden = false;
            button.addEventListener("click", function () { copyText(button); });
        });
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", init);
    } else {
        init();
    }
})();
