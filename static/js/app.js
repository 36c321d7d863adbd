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

  // A section the page loads after it shows (the process page's) that could not load says so in its place.
  function sectionFailed(event) {
    var placeholder = event.detail.elt;
    if (!placeholder || !placeholder.classList || !placeholder.classList.contains("section-loading")) return false;
    placeholder.removeAttribute("aria-busy");
    placeholder.querySelector(".card-body").textContent = placeholder.dataset.failed;
    return true;
  }
  document.addEventListener("htmx:sendError", sectionFailed);

  // An htmx request the server refused or failed: say so, instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    if (sectionFailed(event)) return;
    var status = event.detail.xhr.status;
    var text = status === 403 ? "You may not do this." : status === 404 ? "That record no longer exists, or you may not see it."
      : "Something went wrong; nothing was saved. Please try again.";
    var region = document.getElementById("notice");
    if (!region) return;
    region.textContent = text;
    region.hidden = false;
  });

  // Evidence uploads (components/attachments.html): refuse what the server would refuse before
  // sending a byte (too large, too many, none), then show the upload's progress.
  function uploadErrors(form, messages) {
    var box = form.querySelector("[data-upload-errors]");
    var list = form.querySelector("[data-upload-error-list]");
    list.replaceChildren.apply(list, messages.map(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      return item;
    }));
    box.hidden = messages.length === 0;
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches("form[data-evidence-upload]")) return;
    var files = Array.prototype.slice.call(form.querySelector("input[type=file]").files);
    var limit = Number(form.dataset.maxBytes);
    var problems = files.filter(function (file) { return file.size > limit; }).map(function (file) {
      return form.dataset.tooLarge.replace("{name}", file.name);
    });
    if (files.length === 0) problems.push(form.dataset.nothing);
    if (files.length > Number(form.dataset.maxFiles)) problems.push(form.dataset.tooMany);
    uploadErrors(form, problems);
    if (problems.length) {
      event.preventDefault();
      return;
    }
    var progress = form.querySelector("[data-upload-progress]");
    progress.hidden = false;
    progress.setAttribute("aria-valuenow", "0");
    progress.firstElementChild.style.width = "0%";
  });
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.detail.elt;
    var progress = form.matches && form.matches("form[data-evidence-upload]") && form.querySelector("[data-upload-progress]");
    if (!progress || !event.detail.lengthComputable || !event.detail.total) return;
    // The response's download reports progress too: the bar only moves forward.
    var percent = Math.max(Number(progress.getAttribute("aria-valuenow")), Math.round(100 * event.detail.loaded / event.detail.total));
    progress.setAttribute("aria-valuenow", String(percent));
    progress.firstElementChild.style.width = percent + "%";
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches("form[data-evidence-upload]") || event.detail.successful) return;
    var progress = form.querySelector("[data-upload-progress]");
    if (progress) progress.hidden = true;
  });

  // Copy a value shown shortened (an evidence file's SHA-256) in full.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button || !navigator.clipboard) return;
    navigator.clipboard.writeText(button.dataset.copy).then(function () {
      var icon = button.querySelector("i");
      button.title = button.dataset.copied;
      if (icon) icon.className = "bi bi-clipboard-check";
    });
  });
})();
