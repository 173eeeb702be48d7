// After a refused form, move the focus to the error summary so that screen readers and
// keyboard users start from the list of what to fix (the page works without this script).
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("erreurs");
  if (summary) { summary.focus(); }
});
