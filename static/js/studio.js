// Seedance Studio behaviour. Loaded as a static file: the pages allow no inline scripts.
(function () {
  "use strict";

  function updateCount(textarea) {
    var out = document.querySelector('[data-char-count-for="' + textarea.id + '"]');
    if (!out) return;
    var max = parseInt(textarea.getAttribute("maxlength"), 10) || 2000;
    var used = textarea.value.length;
    out.textContent = used + " / " + max;
    out.classList.toggle("over", used > max);
  }

  function bind(root) {
    root.querySelectorAll("textarea[data-char-count]").forEach(function (textarea) {
      updateCount(textarea);
    });
    root.querySelectorAll("[data-switch-button]").forEach(function (button) {
      button.hidden = true; // the select submits by itself when scripts run
    });
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("textarea[data-char-count]")) updateCount(event.target);
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-switch-select]")) event.target.form.submit();
  });
  document.addEventListener("DOMContentLoaded", function () { bind(document); });
  document.addEventListener("htmx:load", function (event) { bind(event.detail.elt); });
})();
