// Enhancements on top of htmx; every page works without this file (forms post, links navigate).
// - answers stream from /fraga/strom/<turn> over EventSource: stop (button or Esc), a visible
//   error with "Försök igen" when the stream fails or goes quiet, the form disabled meanwhile;
// - copy an answer with its citations; the theme toggle; the source view as a full-screen
//   sheet on small screens that returns to the same scroll position when closed.
(function () {
  "use strict";
  //: No event for this long (the model's first words included) counts as a failed stream.
  var QUIET_MS = 90000;
  var active = null; // {es, el, turn, timer}

  function form() { return document.getElementById("fragefalt"); }

  function setBusy(busy) {
    var f = form();
    if (!f) return;
    f.classList.toggle("is-busy", busy);
    f.setAttribute("aria-busy", busy ? "true" : "false");
    var send = f.querySelector("#skicka"), stop = f.querySelector("#stoppa");
    if (send) send.disabled = busy;
    if (stop) stop.hidden = !busy;
  }

  function swapIn(el, html) {
    // Server-rendered fragments (escaped by Jinja); htmx processes their hx-* attributes.
    htmx.swap(el, html, { swapStyle: "outerHTML" });
  }

  function finish(state) {
    if (!active) return;
    clearTimeout(active.timer);
    active.es.close();
    var done = active;
    active = null;
    setBusy(false);
    if (state === "failed" && done.el.isConnected) {
      var tpl = done.el.querySelector("template.answer__failed");
      swapIn(done.el, tpl ? tpl.innerHTML : "<p role='alert'>Svaret kunde inte tas fram.</p>");
    }
  }

  function startStream(el) {
    if (el.dataset.started) return;
    if (active) finish("replaced");
    el.dataset.started = "1";
    var text = el.querySelector(".answer__text");
    var es = new EventSource(el.dataset.stream);
    active = { es: es, el: el, turn: el.closest(".turn").dataset.turn, timer: 0 };
    var mine = active;
    function arm() {
      clearTimeout(mine.timer);
      mine.timer = setTimeout(function () { if (active === mine) finish("failed"); }, QUIET_MS);
    }
    arm();
    setBusy(true);
    es.addEventListener("delta", function (e) {
      arm();
      el.classList.add("answer--started");
      text.appendChild(document.createTextNode(e.data));
    });
    function final(e) {
      if (active !== mine) return;
      clearTimeout(mine.timer);
      es.close();
      active = null;
      setBusy(false);
      swapIn(el, e.data);
    }
    es.addEventListener("svar", final);
    es.addEventListener("fel", final);
    es.addEventListener("klart", function () { if (active === mine) finish("failed"); });
    es.onerror = function () { if (active === mine) finish("failed"); }; // never reconnect: that asks again
  }

  function stop() {
    if (!active) return;
    var turnEl = active.el.closest(".turn");
    var id = active.turn;
    finish("stopped");
    htmx.ajax("POST", "/tur/" + id + "/stoppa", { target: turnEl, swap: "outerHTML" });
  }

  function copy(button) {
    var text = button.getAttribute("data-copy");
    var label = button.querySelector("span");
    var done = function () {
      if (!label) return;
      var before = label.textContent;
      label.textContent = "Kopierat";
      setTimeout(function () { label.textContent = before; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
    } else {
      fallbackCopy(text);
      done();
    }
  }

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
    area.remove();
  }

  // ---------------------------------------------------------------- source sheet (small screens)
  var sheetReturn = null; // {y, focus}

  function isSheet(panel) { return getComputedStyle(panel).position === "fixed"; }

  function openSource(panel, trigger) {
    var mark = document.getElementById("markerat");
    if (window.matchMedia("(max-width: 900px)").matches) {
      if (!panel.classList.contains("is-open")) sheetReturn = { y: window.scrollY, focus: trigger };
      panel.classList.add("is-open");
      document.documentElement.classList.add("sheet-open");
    }
    panel.focus({ preventScroll: true });
    var top = mark ? mark.offsetTop - panel.clientHeight / 3 : 0;
    panel.scrollTo({ top: Math.max(0, top), behavior: isSheet(panel) ? "auto" : "smooth" });
  }

  function closeSource() {
    var panel = document.getElementById("kalla");
    if (!panel || !panel.classList.contains("is-open")) return false;
    panel.classList.remove("is-open");
    document.documentElement.classList.remove("sheet-open");
    if (sheetReturn) {
      window.scrollTo(0, sheetReturn.y);
      if (sheetReturn.focus && sheetReturn.focus.isConnected) sheetReturn.focus.focus({ preventScroll: true });
    }
    sheetReturn = null;
    return true;
  }

  // ---------------------------------------------------------------- theme
  function effectiveTheme() {
    var set = document.documentElement.getAttribute("data-theme");
    if (set) return set;
    return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function showTheme() {
    var b = document.getElementById("tema");
    if (!b) return;
    b.hidden = false;
    b.setAttribute("aria-pressed", effectiveTheme() === "dark" ? "true" : "false");
  }

  // ---------------------------------------------------------------- wiring
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.key === "Escape") {
      if (active) { e.preventDefault(); stop(); return; }
      if (closeSource()) { e.preventDefault(); return; }
    }
    if (t.id === "fraga" && e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      if (t.value.trim() && !active) t.form.requestSubmit();
    }
  });

  document.addEventListener("click", function (e) {
    var el = e.target.closest("[data-copy], #stoppa, [data-close-source], #tema");
    if (!el) return;
    if (el.hasAttribute("data-copy")) copy(el);
    else if (el.id === "stoppa") stop();
    else if (el.hasAttribute("data-close-source")) closeSource();
    else if (el.id === "tema") {
      var next = effectiveTheme() === "dark" ? "light" : "dark";
      document.documentElement.setAttribute("data-theme", next);
      try { localStorage.setItem("tema", next); } catch (err) { /* not kept: fine */ }
      showTheme();
    }
  });

  document.addEventListener("htmx:confirm", function (e) {
    // A question is not sent while an answer streams (Enter, the button or an example).
    var elt = e.detail.elt;
    if (active && elt.matches && elt.matches("#fragefalt, #exempel, .answer__clarify form")) e.preventDefault();
  });

  document.addEventListener("htmx:afterRequest", function (e) {
    var f = e.detail.elt;
    if (f && f.id === "fragefalt" && e.detail.successful) {
      var box = f.querySelector("#fraga");
      box.value = "";
      box.focus();
    }
  });

  document.addEventListener("htmx:beforeRequest", function (e) {
    // Leaving the page (a boosted link or form) ends the stream; the answer is asked again on return.
    if (active && e.detail.boosted) finish("left");
  });

  document.addEventListener("htmx:afterSwap", function (e) {
    var target = e.detail && e.detail.target;
    if (target && target.id === "kalla") openSource(target, e.detail.requestConfig && e.detail.requestConfig.elt);
  });

  function enhance(root) {
    var streams = root.querySelectorAll ? root.querySelectorAll("[data-stream]") : [];
    if (root.matches && root.matches("[data-stream]")) startStream(root);
    for (var i = 0; i < streams.length; i++) startStream(streams[i]);
    showTheme();
    var panel = document.querySelector(".convs__panel");
    if (panel && !panel.dataset.sized && window.matchMedia("(max-width: 900px)").matches) panel.open = false;
    if (panel) panel.dataset.sized = "1";
  }

  htmx.onLoad(enhance);
})();
