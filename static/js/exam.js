// Exam pages: the countdown, autosave feedback with retries, rank swapping.
// Progressive: without this file the forms still post and redirect.
(function () {
  "use strict";

  // --- countdown: shows the server's remaining seconds, re-synced on every response
  const clock = document.getElementById("clock");
  const announcer = document.getElementById("clock-announcer");
  let deadline = null;
  let timeUpSent = false;
  let pending = 0;
  const warned = {};

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

  function sync(seconds) {
    if (seconds === null || seconds === "" || isNaN(Number(seconds))) return;
    deadline = performance.now() + Number(seconds) * 1000;
    tick();
  }

  function timeUp() {
    if (timeUpSent) return;
    // Let answers already on their way arrive first; the server decides.
    if (pending > 0) { window.setTimeout(timeUp, 250); return; }
    timeUpSent = true;
    announce("Time is up. Your answers are being submitted.");
    const form = document.getElementById("time-up-form");
    if (form) form.submit();
  }

  function tick() {
    if (deadline === null) return;
    const left = Math.max(0, Math.round((deadline - performance.now()) / 1000));
    clock.querySelector(".clock-time").textContent = format(left);
    clock.classList.toggle("clock-warn", left <= 300 && left > 60);
    clock.classList.toggle("clock-danger", left <= 60);
    if (left <= 300 && left > 60 && !warned[300]) { warned[300] = true; announce("5 minutes left."); }
    if (left <= 60 && left > 0 && !warned[60]) { warned[60] = true; warned[300] = true; announce("1 minute left."); }
    if (left === 0) timeUp();
  }

  if (clock) {
    const start = Number(clock.dataset.secondsLeft);
    // No warning for a threshold already passed when the page loaded.
    if (start <= 300) warned[300] = true;
    if (start <= 60) warned[60] = true;
    sync(start);
    window.setInterval(tick, 500);
  }

  // --- autosave feedback
  let retryDelay = 1000;

  function statusText(text, level) {
    const box = document.getElementById("item-status");
    if (!box) return;
    box.className = "item-status item-status-" + level;
    box.querySelector(".item-status-text").textContent = text;
  }

  document.body.addEventListener("htmx:beforeRequest", (event) => {
    pending += 1;
    if (event.detail.elt.id === "answer-form") statusText("Saving…", "pending");
  });

  document.body.addEventListener("htmx:afterRequest", (event) => {
    pending = Math.max(0, pending - 1);
    const xhr = event.detail.xhr;
    if (xhr && xhr.status) sync(xhr.getResponseHeader("X-Seconds-Left"));
    if (event.detail.elt.id !== "answer-form") return;
    const status = xhr ? xhr.status : 0;
    if (status >= 200 && status < 300) { retryDelay = 1000; return; }
    if (status >= 400 && status < 500) return; // the server's message is swapped in
    // Network failure or server error: never a silent loss.
    statusText("Not saved — retrying", "error");
    window.setTimeout(() => htmx.trigger("#answer-form", "change"), retryDelay);
    retryDelay = Math.min(retryDelay * 2, 15000);
  });

  // --- ordering: choosing a place another item holds swaps the two
  document.querySelectorAll(".rank-select").forEach((select) => {
    select.dataset.previous = select.value;
    select.addEventListener("change", () => {
      const group = select.closest("[data-rank-group]");
      if (select.value) {
        group.querySelectorAll(".rank-select").forEach((other) => {
          if (other !== select && other.value === select.value) {
            other.value = select.dataset.previous;
            other.dataset.previous = other.value;
          }
        });
      }
      select.dataset.previous = select.value;
    });
  });
})();
