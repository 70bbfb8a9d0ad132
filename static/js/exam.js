// Exam pages: the countdown, autosave feedback with retries, rank swapping,
// focus on the question, the navigator drawer on phones, the submit dialog.
// Progressive: without this file the forms still post and redirect.
(function () {
  "use strict";

  const clock = document.getElementById("clock");
  const announcer = document.getElementById("clock-announcer");
  let deadline = null; // Date.now() value at which the server's time runs out
  let timeUpSent = false;
  let inFlight = 0; // requests on their way
  let retrying = false; // a failed save is waiting for its retry
  const warned = {};

  function busy() { return inFlight > 0 || retrying; }

  function format(seconds) {
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    const pad = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
  }

  function announce(text) {
    if (!announcer) return;
    announcer.textContent = "";
    window.setTimeout(() => { announcer.textContent = text; }, 50);
  }

  // The server sends whole seconds rounded up; the wall clock keeps counting
  // through a laptop's sleep, so the display stays right when it wakes.
  function sync(seconds) {
    if (!clock || seconds === null || seconds === "" || isNaN(Number(seconds))) return;
    deadline = Date.now() + Number(seconds) * 1000;
    tick();
  }

  function timeUp(waited) {
    if (timeUpSent) return;
    // Let this page's answers arrive first (the server takes them during its
    // grace period); then hand over to the server, which decides.
    if (busy() && waited < 25000) { window.setTimeout(() => timeUp(waited + 250), 250); return; }
    timeUpSent = true;
    announce("Time is up. Your answers are being collected.");
    const form = document.getElementById("time-up-form");
    if (form) form.submit();
  }

  function tick() {
    if (deadline === null) return;
    const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    clock.querySelector(".clock-time").textContent = format(left);
    clock.classList.toggle("clock-warn", left <= 300 && left > 60);
    clock.classList.toggle("clock-danger", left <= 60);
    if (left <= 300 && left > 60 && !warned[300]) { warned[300] = true; announce("5 minutes left."); }
    if (left <= 60 && left > 0 && !warned[60]) { warned[60] = true; warned[300] = true; announce("1 minute left."); }
    if (left === 0) timeUp(0);
  }

  if (clock) {
    const start = Number(clock.dataset.secondsLeft);
    // No warning for a threshold already passed when the page loaded.
    if (start <= 300) warned[300] = true;
    if (start <= 60) warned[60] = true;
    sync(start);
    window.setInterval(tick, 500);
    document.addEventListener("visibilitychange", tick);
  }

  // --- autosave: say what happened, retry what failed, never lose silently
  let retryDelay = 1000;

  function statusText(text, level) {
    const box = document.getElementById("item-status");
    if (!box) return;
    box.className = "item-status item-status-" + level;
    box.querySelector(".item-status-text").textContent = text;
  }

  function isAnswerForm(event) { return event.detail.elt && event.detail.elt.id === "answer-form"; }

  function hasStatus(xhr) { return !!xhr && (xhr.responseText || "").indexOf('id="item-status"') !== -1; }

  // Every save carries the page's own count of its writes (docs/exams.md):
  // the server tells a retry or a replayed older request from a newer answer.
  const writeNumber = document.getElementById("write-number");
  function nextWrite() {
    if (!writeNumber) return null;
    writeNumber.value = String(Number(writeNumber.value || 0) + 1);
    return writeNumber.value;
  }

  document.body.addEventListener("htmx:configRequest", (event) => {
    if (!isAnswerForm(event)) return;
    const number = nextWrite();
    if (number !== null) event.detail.parameters["write"] = number;
  });

  const answerForm = document.getElementById("answer-form");
  if (answerForm) answerForm.addEventListener("submit", nextWrite);

  document.body.addEventListener("htmx:beforeRequest", (event) => {
    inFlight += 1;
    if (isAnswerForm(event)) statusText("Saving…", "pending");
  });

  // Only a reply that carries the item's status may replace it (a proxy's error
  // page must not swallow the status box and its sequence number).
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    if (isAnswerForm(event) && !hasStatus(event.detail.xhr)) event.detail.shouldSwap = false;
  });

  function retry(text, delay) {
    retrying = true;
    statusText(text, "error");
    window.setTimeout(() => htmx.trigger("#answer-form", "change"), delay);
  }

  document.body.addEventListener("htmx:afterRequest", (event) => {
    inFlight = Math.max(0, inFlight - 1);
    const xhr = event.detail.xhr;
    if (xhr && xhr.status) sync(xhr.getResponseHeader("X-Seconds-Left"));
    if (!isAnswerForm(event)) return;
    const status = xhr ? xhr.status : 0;
    if (status >= 200 && status < 500 && hasStatus(xhr)) {
      // Saved, or refused with the server's reason (which is now on screen).
      retrying = false;
      retryDelay = 1000;
      return;
    }
    if (xhr && xhr.getResponseHeader("HX-Redirect")) return; // logged out: htmx goes to the login page
    if (status === 403 && xhr.getResponseHeader("X-CSRF-Token")) {
      // site.js has put the current token in place; the answer is still on screen.
      Quizsite.alert("");
      retry("Not saved: you signed in again in another window. Saving again…", 0);
      return;
    }
    if (status === 404) {
      retrying = false;
      statusText("Not saved: this exam is not open under the account signed in now. " +
        "Sign in again as yourself and reload the page.", "error");
      return;
    }
    // The server is busy or unreachable: retry, as soon as it says it can take it.
    const after = Number(xhr && xhr.getResponseHeader("Retry-After"));
    const delay = after > 0 ? Math.min(after * 1000, 30000) : retryDelay;
    retry("Not saved — retrying", delay);
    retryDelay = Math.min(retryDelay * 2, 15000);
  });

  // Navigation posts the form too: wait until the answer's saves are done so
  // the post carries the newest sequence number.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[name=go]");
    if (!button || !button.form || !busy()) return;
    event.preventDefault();
    statusText("Saving…", "pending");
    const go = () => (busy() ? window.setTimeout(go, 100) : button.form.requestSubmit(button));
    go();
  });

  // --- ordering: choosing a place another item holds swaps the two. Delegated,
  // so fields the server swaps in (after a refused save) keep the behaviour.
  document.addEventListener("focusin", (event) => {
    if (event.target.classList && event.target.classList.contains("rank-select")) {
      event.target.dataset.previous = event.target.value;
    }
  });
  // Capturing, so the swap happens before htmx's autosave reads the form.
  document.addEventListener("change", (event) => {
    const select = event.target;
    if (!select.classList || !select.classList.contains("rank-select")) return;
    const group = select.closest("[data-rank-group]");
    if (select.value && group) {
      group.querySelectorAll(".rank-select").forEach((other) => {
        if (other !== select && other.value === select.value) other.value = select.dataset.previous || "";
      });
    }
    select.dataset.previous = select.value;
  }, true);
  // --- focus: a move to a question lands on its heading, not the page's top.
  const heading = document.getElementById("question-heading");
  if (heading && !location.hash) heading.focus();

  // Flag keeps focus: htmx swaps the flag form, focus returns to its button.
  document.body.addEventListener("htmx:afterSettle", (event) => {
    if (event.detail.elt && event.detail.elt.id === "flag-form") {
      const button = document.getElementById("flag-button");
      if (button && document.activeElement !== button) button.focus();
    }
  });

  // --- the navigator: a drawer on phones (CSS decides when it is one).
  const navigator = document.getElementById("navigator");
  const toggle = document.querySelector(".navigator-toggle");
  const close = document.querySelector(".navigator-close");
  function setDrawer(open) {
    if (!navigator || !toggle) return;
    navigator.classList.toggle("is-open", open);
    toggle.setAttribute("aria-expanded", String(open));
    if (open) { navigator.focus(); showCurrentCell(); } else toggle.focus();
  }
  // The navigator scrolls inside its own box (a long exam on a laptop, the
  // drawer on a phone): keep the current question's cell in sight there.
  // "nearest" moves the box only as far as needed (the sticky box is in view).
  function showCurrentCell() {
    const cell = navigator && navigator.querySelector(".nav-cell[aria-current]");
    if (cell && cell.getClientRects().length) cell.scrollIntoView({ block: "nearest", inline: "nearest" });
  }
  if (navigator && toggle) {
    document.documentElement.classList.add("has-drawer");
    toggle.hidden = false;
    if (close) close.hidden = false;
    toggle.addEventListener("click", () => setDrawer(!navigator.classList.contains("is-open")));
    if (close) close.addEventListener("click", () => setDrawer(false));
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && navigator.classList.contains("is-open")) setDrawer(false);
    });
  }
  // After the drawer is set up: on a phone the closed drawer is hidden and
  // must not pull the page down to it.
  showCurrentCell();

  // --- submitting asks first, in the page, with the counts.
  const submitButton = document.getElementById("submit-button");
  const dialog = document.getElementById("submit-dialog");
  if (submitButton && dialog && typeof dialog.showModal === "function") {
    submitButton.addEventListener("click", (event) => {
      event.preventDefault();
      dialog.showModal();
    });
    document.getElementById("cancel-submit").addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => submitButton.focus());
    const confirm = document.getElementById("confirm-submit");
    confirm.form.addEventListener("submit", () => { confirm.disabled = true; });
  }
})();
