// Small behaviours on top of htmx and Bootstrap. No inline scripts anywhere: pages wire up through
// data attributes and the ids used here.
(function () {
  "use strict";

  // The confirm pattern: a control loads its question into #dialog-content (hx-get); show it as a
  // modal, focus its first field, and empty it when it closes.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id !== "dialog-content") return;
    var dialog = document.getElementById("dialog");
    bootstrap.Modal.getOrCreateInstance(dialog).show();
  });
  document.addEventListener("shown.bs.modal", function (event) {
    var field = event.target.querySelector("textarea, input:not([type=hidden]), select");
    (field || event.target.querySelector("[type=submit]")).focus();
  });
  document.addEventListener("hidden.bs.modal", function (event) {
    if (event.target.id === "dialog") document.getElementById("dialog-content").replaceChildren();
  });

  // An htmx request the server refused or failed: say so, instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    var text = status === 403 ? "You may not do this." : status === 404 ? "That record no longer exists, or you may not see it."
      : "Something went wrong; nothing was saved. Please try again.";
    var region = document.getElementById("notice");
    if (!region) return;
    region.textContent = text;
    region.hidden = false;
  });
})();
