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
