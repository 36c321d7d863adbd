// Editing in place: Escape in a form marked data-inline-edit does what its Cancel link does
// (htmx swaps the row back; without htmx the link leads back to the page).
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || !(event.target instanceof Element)) {
    return;
  }
  const form = event.target.closest("form[data-inline-edit]");
  const cancel = form && form.querySelector("[data-inline-cancel]");
  if (cancel) {
    event.preventDefault();
    cancel.click();
  }
});
