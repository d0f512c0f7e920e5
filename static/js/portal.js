/* The portal's few behaviours, as a file (the Content-Security-Policy allows no inline script):
   the menu button on phones, the language switch, the print buttons. */
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
