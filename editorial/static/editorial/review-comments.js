/* Comments on a passage of the version under review (editorial/templates/editorial/admin/
   _review_comments.html). No framework, no inline script (the CSP runs none).

   A passage is named as the W3C Web Annotation model names it: a TextQuoteSelector (exact,
   prefix, suffix) and a TextPositionSelector (start, end) over the text content of #review-body,
   which is the server's plain text of the version (editorial/comments/text.py). Positions are
   counted in Unicode code points, as the server counts them, not in JavaScript's UTF-16 units.

   Selecting with the mouse, a finger or the keyboard (Shift and the arrow keys) enables the
   "Comment on selection" button; it opens the form with the quote shown, and the form posts to
   the review page's comment URL with its CSRF token. The comments listed below the text get
   their passages marked in it. Without this script the comments are listed all the same. */
"use strict";

(function () {
    var CONTEXT = 32;

    function codePoints(text) {
        return Array.from(text).length;
    }

    /* The UTF-16 offset in text of the code point at index points. */
    function unitOffset(text, points) {
        var units = 0;
        for (var seen = 0; seen < points && units < text.length; seen++) {
            var code = text.charCodeAt(units);
            units += code >= 0xd800 && code <= 0xdbff && units + 1 < text.length ? 2 : 1;
        }
        return units;
    }

    function isSpace(character) {
        return /\s/.test(character);
    }

    /* Drop half of a surrogate pair left at either end of a slice. */
    function wholeCharacters(text) {
        if (/^[\udc00-\udfff]/.test(text)) { text = text.slice(1); }
        if (/[\ud800-\udbff]$/.test(text)) { text = text.slice(0, -1); }
        return text;
    }

    /* The selectors of the current selection within container, or null when nothing in it is
       selected. A selection running past the container is cut at its edges; surrounding spaces
       are left out of the quote. */
    function selectedPassage(container) {
        var selection = window.getSelection();
        if (!selection || selection.rangeCount === 0 || selection.isCollapsed) { return null; }
        var range = selection.getRangeAt(0).cloneRange();
        var whole = document.createRange();
        whole.selectNodeContents(container);
        if (range.compareBoundaryPoints(Range.END_TO_START, whole) >= 0 ||
                range.compareBoundaryPoints(Range.START_TO_END, whole) <= 0) {
            return null; /* entirely before or after the text */
        }
        if (range.compareBoundaryPoints(Range.START_TO_START, whole) < 0) {
            range.setStart(whole.startContainer, whole.startOffset);
        }
        if (range.compareBoundaryPoints(Range.END_TO_END, whole) > 0) {
            range.setEnd(whole.endContainer, whole.endOffset);
        }
        var text = container.textContent;
        var before = document.createRange();
        before.setStart(whole.startContainer, whole.startOffset);
        before.setEnd(range.startContainer, range.startOffset);
        var start = before.toString().length;
        var end = start + range.toString().length;
        while (start < end && isSpace(text.charAt(start))) { start++; }
        while (end > start && isSpace(text.charAt(end - 1))) { end--; }
        if (start >= end) { return null; }
        return {
            exact: text.slice(start, end),
            prefix: wholeCharacters(text.slice(Math.max(0, start - CONTEXT), start)),
            suffix: wholeCharacters(text.slice(end, end + CONTEXT)),
            start: codePoints(text.slice(0, start)),
            end: codePoints(text.slice(0, end))
        };
    }

    /* Wrap the text between UTF-16 offsets start and end of container in <mark> elements (one
       per text node it crosses). The text content does not change, so later offsets still hold. */
    function markPassage(container, start, end, commentId) {
        var walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT);
        var offset = 0;
        var pieces = [];
        for (var node = walker.nextNode(); node; node = walker.nextNode()) {
            var length = node.data.length;
            var from = Math.max(start, offset) - offset;
            var to = Math.min(end, offset + length) - offset;
            if (from < to && node.data.slice(from, to).trim() !== "") { pieces.push([node, from, to]); }
            offset += length;
            if (offset >= end) { break; }
        }
        pieces.forEach(function (piece, index) {
            var middle = piece[0].splitText(piece[1]);
            middle.splitText(piece[2] - piece[1]);
            var mark = document.createElement("mark");
            mark.className = "comment-mark";
            mark.setAttribute("data-comment-id", commentId);
            if (index === 0) { mark.id = "mark-" + commentId; }
            middle.parentNode.insertBefore(mark, middle);
            mark.appendChild(middle);
        });
        return pieces.length > 0;
    }

    function markComments(container) {
        var text = container.textContent;
        var items = document.querySelectorAll("#comment-list li[data-start]");
        Array.prototype.forEach.call(items, function (item) {
            var id = item.getAttribute("data-comment-id");
            var start = unitOffset(text, parseInt(item.getAttribute("data-start"), 10));
            var end = unitOffset(text, parseInt(item.getAttribute("data-end"), 10));
            if (markPassage(container, start, end, id)) {
                var link = document.createElement("a");
                link.href = "#mark-" + id;
                link.className = "comment-show";
                link.textContent = "Show in the text";
                item.querySelector(".comment-passage").insertAdjacentElement("afterend", link);
            }
        });
        container.addEventListener("click", function (event) {
            var mark = event.target.closest && event.target.closest("mark.comment-mark");
            var item = mark && document.getElementById("comment-" + mark.getAttribute("data-comment-id"));
            if (item) { item.scrollIntoView({block: "nearest"}); item.classList.add("comment-current"); }
        });
    }

    function setUpCommenting(container) {
        var button = document.getElementById("comment-on-selection");
        var form = document.getElementById("comment-form");
        if (!button || !form) { return; }
        var passage = null;
        var field = function (name) { return document.getElementById("comment-" + name); };

        button.hidden = false;
        document.addEventListener("selectionchange", function () {
            var selected = selectedPassage(container);
            if (selected) {
                passage = selected;
            } else {
                var selection = window.getSelection();
                /* A click in the text drops the passage; focus moving to the button keeps it. */
                if (selection && selection.anchorNode && container.contains(selection.anchorNode)) { passage = null; }
            }
            button.disabled = passage === null;
            button.classList.toggle("comment-ready", passage !== null);
        });

        button.addEventListener("click", function () {
            /* selectionchange comes after the change: read the selection itself when it is there. */
            passage = selectedPassage(container) || passage;
            if (!passage) { return; }
            ["exact", "prefix", "suffix", "start", "end"].forEach(function (name) {
                field(name).value = passage[name];
            });
            document.getElementById("comment-form-quote").textContent = passage.exact;
            form.hidden = false;
            button.hidden = true;
            field("body").focus();
        });

        document.getElementById("comment-cancel").addEventListener("click", function () {
            form.hidden = true;
            button.hidden = false;
            button.focus();
        });
    }

    /* Selecting with the keyboard. Browsers extend a selection with Shift and the arrow keys
       only once one exists, and give no caret in text that cannot be edited (unless caret
       browsing is on), so the text takes the focus (Tab) and the arrow keys move a caret in it
       (Selection.modify), with Shift to select; Tab then goes on to "Comment on selection". */
    var KEYS = {
        ArrowLeft: ["backward", "character"],
        ArrowRight: ["forward", "character"],
        ArrowUp: ["backward", "line"],
        ArrowDown: ["forward", "line"],
        Home: ["backward", "lineboundary"],
        End: ["forward", "lineboundary"]
    };

    function setUpKeyboardSelection(container) {
        var selection = window.getSelection();
        if (!selection || typeof selection.modify !== "function") { return; }
        container.setAttribute("tabindex", "0");
        container.setAttribute("aria-describedby", "comment-help");
        container.addEventListener("focus", function () {
            if (selection.rangeCount === 0 || !container.contains(selection.anchorNode)) {
                var first = document.createTreeWalker(container, NodeFilter.SHOW_TEXT).nextNode();
                if (first) { selection.collapse(first, 0); }
            }
        });
        container.addEventListener("keydown", function (event) {
            var key = KEYS[event.key];
            if (!key || event.altKey || event.metaKey || !container.contains(selection.anchorNode)) { return; }
            var unit = event.ctrlKey && key[1] === "character" ? "word" : key[1];
            selection.modify(event.shiftKey ? "extend" : "move", key[0], unit);
            event.preventDefault();
        });
    }

    function start() {
        var container = document.getElementById("review-body");
        if (!container) { return; }
        markComments(container);
        if (document.getElementById("comment-form")) {
            setUpKeyboardSelection(container);
            setUpCommenting(container);
        }
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
})();
