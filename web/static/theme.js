// Runs before the page is drawn (not deferred), so a chosen theme never flashes the other one.
// No choice stored: the page follows the system (prefers-color-scheme in app.css).
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");
  try {
    var chosen = localStorage.getItem("tema");
    if (chosen === "dark" || chosen === "light") root.setAttribute("data-theme", chosen);
  } catch (e) { /* storage blocked: follow the system */ }
})();
