// Tinjauan: decide the pair with one key. s / y = same, n / t = not the same,
// k / space = skip; the buttons do the same for a mouse, a touch or a screen reader.
(function () {
  "use strict";
  var form = document.getElementById("decide");
  if (!form) { return; }
  var keys = { s: "same", y: "same", n: "not_same", t: "not_same", k: "skip", " ": "skip" };
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) { return; }
    var target = event.target;
    var tag = target && target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") { return; }
    // space on a focused button or link presses it, as everywhere else
    if (event.key === " " && (tag === "BUTTON" || tag === "A")) { return; }
    var choice = keys[event.key.toLowerCase()];
    if (!choice || form.dataset.sent) { return; }
    var button = form.querySelector('button[value="' + choice + '"]');
    if (!button) { return; }
    event.preventDefault();
    form.dataset.sent = "1";  // one decision per page, however fast the keys come
    button.click();
  });
}());
