// Practice: Enter checks the answer, N moves on, focus follows the new card.
(function () {
  "use strict";

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA)$/.test(target.tagName) && !/^(radio|checkbox)$/.test(target.type));
  }

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const check = document.getElementById("check-form");
    if (event.key === "Enter" && check && check.contains(event.target) && event.target.tagName !== "BUTTON") {
      event.preventDefault();
      check.requestSubmit();
      return;
    }
    const next = document.getElementById("next-button");
    if ((event.key === "n" || event.key === "N") && next && !typing(event.target) && event.target.tagName !== "SELECT") {
      event.preventDefault();
      next.click();
    }
  });

  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "practice-card") {
      const heading = document.getElementById("practice-heading");
      if (heading) heading.focus();
    }
  });
})();
