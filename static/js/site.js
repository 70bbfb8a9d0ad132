// Every page: errors of htmx requests are shown in place, in every mode.
// - 4xx replies are the server's own messages, rendered as partials for the
//   place they belong: they are swapped like any reply. In development,
//   django-htmx's debug handler would replace the whole page with them, so
//   it does not get to see them (it still shows tracebacks of 500s).
// - A reply that is a whole page (a proxy's error, a 404 page) is never
//   swapped into a part of this one: its gist goes to the alert region.
// - A stale CSRF token (the learner signed in again in another window) is
//   replaced by the current one the server sends, and the learner is told
//   that nothing was saved; exam pages then send their answer again.
(function () {
  "use strict";

  const Quizsite = (window.Quizsite = window.Quizsite || {});

  Quizsite.alert = function (text) {
    const box = document.getElementById("site-alert");
    if (!box) return;
    box.hidden = !text;
    box.querySelector(".site-alert-text").textContent = text || "";
  };

  Quizsite.refreshCsrf = function (token) {
    document.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach((input) => { input.value = token; });
    const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    headers["x-csrftoken"] = token;
    document.body.setAttribute("hx-headers", JSON.stringify(headers));
  };

  function isWholePage(xhr) {
    return /<html[\s>]/i.test((xhr && xhr.responseText) || "");
  }

  document.body.addEventListener("htmx:beforeOnLoad", (event) => {
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status >= 400 && status < 500) event.stopPropagation();
  });

  document.body.addEventListener("htmx:beforeSwap", (event) => {
    const xhr = event.detail.xhr;
    if (!xhr || xhr.status < 400) return;
    const token = xhr.getResponseHeader("X-CSRF-Token");
    if (token) {
      Quizsite.refreshCsrf(token);
      event.detail.shouldSwap = false;
      Quizsite.alert("Not saved: you signed in again in another window. Please try again.");
      return;
    }
    if (isWholePage(xhr) || !xhr.responseText) {
      event.detail.shouldSwap = false;
      const title = /<title>([^<]*)<\/title>/i.exec(xhr.responseText || "");
      Quizsite.alert(
        (title ? title[1].replace(/\s*·\s*Quizsite\s*$/, "") + ": " : "") +
        "that did not work. Reload the page and try again."
      );
    }
  });

  document.body.addEventListener("htmx:sendError", () => {
    Quizsite.alert("The server could not be reached. Check your connection and try again.");
  });

  document.body.addEventListener("htmx:afterRequest", (event) => {
    const xhr = event.detail.xhr;
    if (xhr && xhr.status >= 200 && xhr.status < 300) Quizsite.alert("");
  });

  document.addEventListener("click", (event) => {
    if (event.target.closest("#site-alert .site-alert-close")) Quizsite.alert("");
  });
  // A multiple-response question takes as many ticks as it asks for: once
  // they are given, the other boxes are disabled with a note (the server
  // refuses more in any case). Fields swapped in by htmx are handled too.
  function limitTicks(fieldset) {
    const limit = Number(fieldset.dataset.select);
    const boxes = Array.from(fieldset.querySelectorAll("input[type=checkbox]"));
    const ticked = boxes.filter((box) => box.checked).length;
    const full = limit > 0 && ticked >= limit;
    boxes.forEach((box) => {
      if (!box.checked) box.disabled = full;
      box.closest(".option")?.classList.toggle("is-disabled", full && !box.checked);
    });
    const note = fieldset.querySelector(".select-note");
    if (note) {
      note.textContent = full
        ? `You have chosen ${limit}, as the question asks. To change one, untick it first.`
        : "";
    }
  }
  function limitAll() { document.querySelectorAll("fieldset[data-select]").forEach(limitTicks); }
  document.addEventListener("change", (event) => {
    const fieldset = event.target.closest && event.target.closest("fieldset[data-select]");
    if (fieldset) limitTicks(fieldset);
  });
  document.body.addEventListener("htmx:afterSettle", limitAll);
  limitAll();

  // The time-up page reloads into the result once the grace is over: a timer
  // rather than <meta http-equiv="refresh">, which axe rates critical (a page
  // that changes under a screen reader unasked). Without JavaScript, the
  // page's button leads to the result.
  const reloading = document.querySelector("[data-reload-after]");
  if (reloading) {
    setTimeout(() => window.location.reload(), Number(reloading.dataset.reloadAfter) * 1000);
  }
})();
