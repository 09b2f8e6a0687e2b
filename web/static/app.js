// Small enhancements on top of htmx; every page works without this file.
(function () {
  "use strict";
  // Enter sends the question, Shift+Enter makes a new line.
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (t.id === "fraga" && e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      if (t.value.trim()) t.form.requestSubmit();
    }
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    // A question was accepted: empty the box for the follow-up.
    var form = e.detail.elt;
    if (form.id === "fragefalt" && e.detail.successful) {
      var box = form.querySelector("#fraga");
      box.value = "";
      box.focus();
    }
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    // A source opened in the side panel: bring the highlighted passage into view.
    if (e.detail.target.id === "kalla") {
      var panel = e.detail.target;
      var mark = document.getElementById("markerat");
      panel.focus({ preventScroll: true });
      if (getComputedStyle(panel).position === "sticky") {
        // Wide screens: scroll only the panel, so the conversation stays where it was.
        panel.scrollTo({ top: mark ? mark.offsetTop - panel.clientHeight / 3 : 0, behavior: "smooth" });
      } else {
        (mark || panel).scrollIntoView({ block: mark ? "center" : "start", behavior: "smooth" });
      }
    }
  });
  document.addEventListener("htmx:sseBeforeMessage", function (e) {
    // The first words of an answer replace the "searching" line.
    var answer = e.detail.elt.closest(".answer--streaming");
    if (answer) answer.classList.add("answer--started");
  });
})();
