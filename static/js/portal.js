/* The portal's few behaviours, as a file (the Content-Security-Policy allows no inline script):
   the menu button on phones, the language switch, the print buttons, and feedback while waiting. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-toggle-nav]");
    if (toggle) {
      document.getElementById(toggle.getAttribute("data-toggle-nav")).classList.toggle("show");
      return;
    }
    if (event.target.closest("[data-print]")) { window.print(); }
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-autosubmit]")) { event.target.form.submit(); }
  });
}());

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

// A form sending files shows an upload bar and cannot be sent twice while the browser uploads.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.enctype !== "multipart/form-data" || event.defaultPrevented) return;
    const files = Array.from(form.querySelectorAll("input[type=file]")).some(function (input) {
      return input.files && input.files.length > 0;
    });
    if (!files || form.querySelector(".upload-progress")) return;
    const bar = document.createElement("div");
    bar.className = "progress mt-2 upload-progress";
    bar.setAttribute("role", "progressbar");
    const label = document.documentElement.lang.startsWith("en") ? "Uploading…" : "正在上传…";
    bar.setAttribute("aria-label", label);
    const fill = document.createElement("div");
    fill.className = "progress-bar progress-bar-striped progress-bar-animated w-100";
    fill.textContent = label;
    bar.appendChild(fill);
    form.appendChild(bar);
    // Disabled after the submit has gathered the form's data, so the button's own value is still sent.
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) { b.disabled = true; });
    }, 0);
  });

  // Back to the page from the history: the form can be sent again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll(".upload-progress").forEach(function (bar) {
      const form = bar.closest("form");
      bar.remove();
      form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
    });
  });
})();
