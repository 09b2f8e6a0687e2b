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
      var mark = document.getElementById("markerat");
      e.detail.target.focus({ preventScroll: true });
      if (mark) mark.scrollIntoView({ block: "center", behavior: "smooth" });
      else e.detail.target.scrollIntoView({ block: "start", behavior: "smooth" });
    }
  });
  document.addEventListener("htmx:sseBeforeMessage", function (e) {
    // The first words of an answer replace the "searching" line.
    var answer = e.detail.elt.closest(".answer--streaming");
    if (answer) answer.classList.add("answer--started");
  });
})();
