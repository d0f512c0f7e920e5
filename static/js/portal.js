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

// A form sending files is sent in the background so that its bar can show the percentage uploaded; the
// answer (the next page, or the form again with its messages) then replaces the page as a plain submit
// would, and the address follows the redirect. The form cannot be sent twice meanwhile.
(function () {
  "use strict";

  let pushed = false;

  function english() { return document.documentElement.lang.startsWith("en"); }

  function progressBar(form) {
    const box = document.createElement("div");
    box.className = "upload-progress mt-2 d-flex align-items-center gap-2";
    const bar = document.createElement("progress");
    bar.className = "flex-grow-1";
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", english() ? "Upload progress" : "上传进度");
    const text = document.createElement("span");
    text.className = "small upload-percent";
    text.setAttribute("role", "status");
    text.textContent = "0%";
    box.append(bar, text);
    form.appendChild(box);
    return function (percent) {
      bar.value = percent;
      text.textContent = percent + "%";
    };
  }

  function showAnswer(xhr) {
    const answer = new DOMParser().parseFromString(xhr.responseText, "text/html");
    if (xhr.responseURL && xhr.responseURL !== window.location.href) {
      window.history.pushState({ upload: true }, "", xhr.responseURL);
      pushed = true;
    }
    document.title = answer.title;
    document.body.replaceWith(document.adoptNode(answer.body));
    if (window.htmx) { window.htmx.process(document.body); }
    window.scrollTo(0, 0);
  }

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.enctype !== "multipart/form-data" || event.defaultPrevented) return;
    const files = Array.from(form.querySelectorAll("input[type=file]")).some(function (input) {
      return input.files && input.files.length > 0;
    });
    if (!files) return;
    event.preventDefault();
    if (form.dataset.uploading) return;
    form.dataset.uploading = "1";
    const data = new FormData(form, event.submitter || undefined);
    const buttons = form.querySelectorAll("button[type=submit], button:not([type])");
    buttons.forEach(function (b) { b.disabled = true; });
    const show = progressBar(form);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { show(Math.min(100, Math.floor((e.loaded * 100) / e.total))); }
    });
    xhr.addEventListener("load", function () { show(100); showAnswer(xhr); });
    xhr.addEventListener("error", function () {
      delete form.dataset.uploading;
      buttons.forEach(function (b) { b.disabled = false; });
      form.querySelector(".upload-progress").remove();
      window.alert(english() ? "The upload failed: please try again." : "上传失败，请重试。");
    });
    xhr.send(data);
  });

  // Back or forward past a page an upload put in the history: load it for real.
  window.addEventListener("popstate", function () { if (pushed) { window.location.reload(); } });
})();
