// Feedback while the portal waits for an answer: a form sent by htmx disables its buttons and shows a
// spinner until the reply arrives; a file upload shows its progress.
(function () {
  "use strict";

  function buttonsOf(elt) {
    if (elt.tagName === "FORM") return Array.from(elt.querySelectorAll("button[type=submit], button:not([type])"));
    if (elt.tagName === "BUTTON") return [elt];
    return [];
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    buttonsOf(event.detail.elt).forEach(function (button) {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      const spinner = document.createElement("span");
      spinner.className = "spinner-border spinner-border-sm ms-1 portal-spinner";
      spinner.setAttribute("role", "status");
      spinner.setAttribute("aria-hidden", "true");
      button.appendChild(spinner);
    });
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    buttonsOf(event.detail.elt).forEach(function (button) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      button.querySelectorAll(".portal-spinner").forEach(function (s) { s.remove(); });
    });
  });
})();
