// Meeting mode (templates/reviews/meeting.html). Moving to another step (Back, Next, the step bar)
// with a chair's note typed but not saved saves it first: the note form is posted with the step to
// go to, and the server saves the note and then opens that step. Nothing typed is lost.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-meeting-step]");
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    var form = document.getElementById("meeting-note");
    var field = form && form.querySelector("textarea");
    if (!field || field.value === field.defaultValue) return;
    event.preventDefault();
    form.querySelector("input[name=then]").value = link.dataset.meetingStep;
    form.submit(); // a plain POST (htmx does not see it): the answer is a redirect to the step
  });
})();
