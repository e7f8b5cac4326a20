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
    var box = document.getElementById("q");
    if (box && window.fetch) combobox(box);

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

  // Search as you type: the ARIA 1.2 combobox pattern (a list of options the
  // arrow keys move through, Enter takes one, Escape closes it), fed by
  // /api/suggest; without script the box is a plain search box.
  function combobox(box) {
    var list = document.createElement("ul");
    var status = document.createElement("p");
    var options = [], active = -1, timer = null, asked = 0;
    list.id = "q-suggestions";
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "检索建议");
    list.hidden = true;
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    box.parentNode.insertBefore(list, box.nextSibling);
    box.parentNode.appendChild(status);
    box.setAttribute("role", "combobox");
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-controls", list.id);
    box.setAttribute("aria-expanded", "false");

    function close() {
      list.hidden = true;
      active = -1;
      box.setAttribute("aria-expanded", "false");
      box.removeAttribute("aria-activedescendant");
      box.removeAttribute("data-list-open");
    }
    function show(items) {
      list.innerHTML = "";
      options = items;
      active = -1;
      items.forEach(function (item, i) {
        var li = document.createElement("li");
        li.id = "q-option-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.className = "suggestion-" + item.kind;
        var text = document.createElement("span");
        text.textContent = item.text;
        li.appendChild(text);
        var note = document.createElement("span");
        note.className = "suggestion-note";
        note.textContent = item.kind === "title" ? "文档" + (item.district ? " · " + item.district : "") :
          item.count + " 段";
        li.appendChild(note);
        li.addEventListener("mousedown", function (event) { event.preventDefault(); take(i); });
        list.appendChild(li);
      });
      if (!items.length) { close(); status.textContent = ""; return; }
      list.style.left = box.offsetLeft + "px";  // under the box, as wide as it
      list.style.top = (box.offsetTop + box.offsetHeight) + "px";
      list.style.width = Math.max(box.offsetWidth, 240) + "px";
      list.hidden = false;
      box.setAttribute("aria-expanded", "true");
      box.setAttribute("data-list-open", "");
      status.textContent = items.length + " 条建议，按上下方向键选择";
    }
    function move(to) {
      if (list.hidden || !options.length) return;
      if (active >= 0) list.children[active].setAttribute("aria-selected", "false");
      active = (to + options.length) % options.length;
      var li = list.children[active];
      li.setAttribute("aria-selected", "true");
      box.setAttribute("aria-activedescendant", li.id);
      li.scrollIntoView({block: "nearest"});
    }
    function take(i) {
      var item = options[i];
      close();
      if (item.kind === "title") { window.location.href = item.url; return; }
      box.value = item.text;
      if (box.form) box.form.submit();
    }
    box.addEventListener("input", function () {
      clearTimeout(timer);
      var typed = box.value;
      if (!typed.trim()) { close(); return; }
      timer = setTimeout(function () {
        var mine = ++asked;
        fetch("/api/suggest?q=" + encodeURIComponent(typed)).then(function (r) { return r.json(); })
          .then(function (answer) { if (mine === asked && box.value === typed) show(answer.suggestions || []); })
          .catch(function () { close(); });
      }, 120);
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        if (list.hidden) return;
        event.preventDefault();
        move(active + 1);
      } else if (event.key === "ArrowUp") {
        if (list.hidden) return;
        event.preventDefault();
        move(active - 1);
      } else if (event.key === "Enter" && !list.hidden && active >= 0) {
        event.preventDefault();
        take(active);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        event.stopPropagation();  // the list closes; the box keeps the focus
        close();
      }
    });
    box.addEventListener("blur", function () { setTimeout(close, 100); });
  }

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
