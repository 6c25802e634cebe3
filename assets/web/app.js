// dmptool's web editor, on every page: pages that wait for something (documents being
// made) reload themselves; the language picker applies on change too.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var waiting = document.querySelector("[data-refresh]");
  if (waiting) {
    var ms = parseInt(waiting.getAttribute("data-refresh"), 10) || 2000;
    setTimeout(function () { window.location.reload(); }, ms);
  }
});
