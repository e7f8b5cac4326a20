// 改革检索: small enhancements; every control also works without script.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");

  // Keyboard: "/" jumps to the search box (as on many search sites); Escape leaves it.
  document.addEventListener("keydown", function (event) {
    var box = document.getElementById("q");
    if (!box) return;
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test((event.target || {}).tagName || "");
    if (event.key === "/" && !typing) {
      event.preventDefault();
      box.focus();
      box.select();
    } else if (event.key === "Escape" && event.target === box) {
      box.blur();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    // Phone: the filters open above the results from one button.
    var toggle = document.getElementById("filter-toggle");
    var facets = document.getElementById("facets");
    if (toggle && facets) {
      toggle.hidden = false;
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") !== "true";
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
        facets.classList.toggle("open", open);
        if (open) {
          var first = facets.querySelector("a, input, summary");
          if (first) first.focus();
        }
      });
    }

    // Phone: the results first; the charts one tap away.
    var charts = document.getElementById("charts");
    var narrow = window.matchMedia("(max-width: 760px)").matches;
    if (charts && narrow) charts.open = false;
    var toc = document.getElementById("toc");  // a document's outline: one tap away, above the text
    if (toc && narrow) toc.open = false;

    // Long facet lists: a box that filters the values (the hidden ones too).
    Array.prototype.forEach.call(document.querySelectorAll(".facet-search"), function (input) {
      input.hidden = false;
      var section = input.closest(".facet");
      input.addEventListener("input", function () {
        var needle = input.value.trim();
        var more = section.querySelector("details.more-values");
        if (needle && more) more.open = true;
        Array.prototype.forEach.call(section.querySelectorAll(".facet-value"), function (link) {
          var label = link.querySelector(".label").textContent;
          link.parentNode.hidden = needle !== "" && label.indexOf(needle) < 0;
        });
      });
    });

    // Citations: one click copies; the text stays selectable without script.
    Array.prototype.forEach.call(document.querySelectorAll("button.copy"), function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var text = button.getAttribute("data-copy");
        var done = function () { button.textContent = "已复制"; };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(done, function () { selectText(button); });
        } else {
          selectText(button);
        }
      });
    });
  });

  function selectText(button) {
    var p = button.parentNode.querySelector(".citation");
    var range = document.createRange();
    range.selectNodeContents(p);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    button.textContent = "已选中，按 Ctrl+C 复制";
  }
})();
