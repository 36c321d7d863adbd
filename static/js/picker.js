// Pickers (qms/pickers.py): a <select data-picker="url"> holds only its chosen options; Tom Select
// turns it into a combobox (role="combobox" with a listbox, arrow keys, Enter, Escape) whose
// choices load from the url as the user types, the first ones as soon as it opens.
(function () {
  "use strict";

  function load(url) {
    return function (query, callback) {
      var address = url + (url.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(query);
      fetch(address, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { callback(data.results); })
        .catch(function () { callback(); });
    };
  }

  function enhance(root) {
    if (!root.querySelectorAll || typeof TomSelect === "undefined") return;
    root.querySelectorAll("select[data-picker]").forEach(function (select) {
      if (select.tomselect) return;
      var picker = new TomSelect(select, {
        valueField: "value",
        labelField: "text",
        searchField: ["text"],
        maxOptions: 20,
        preload: "focus",
        loadThrottle: 250,
        // Filter what is loaded at every keystroke: Tom Select's default waits 300 ms, so Enter
        // pressed sooner chose from the unfiltered list, and the late refresh reopened the list
        // after the choice had closed it.
        refreshThrottle: 0,
        // The empty <option> of an optional field is "nothing chosen" (the placeholder shows), and
        // a button clears the choice; several chosen ones each have a button that removes them.
        allowEmptyOption: false,
        placeholder: select.dataset.placeholder,
        plugins: select.multiple ? ["remove_button"] : select.required ? [] : ["clear_button"],
        shouldLoad: function () { return true; },
        load: load(select.dataset.picker),
        onItemAdd: function () { if (!select.multiple) this.blur(); }
      });
      // The typed text is a search, not a value: keep its changes from reaching forms that
      // react to "change" (the filter bar reloads the list on it).
      picker.control_input.addEventListener("change", function (event) { event.stopPropagation(); });
    });
  }

  document.addEventListener("htmx:load", function (event) { enhance(event.detail.elt); });
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
})();
