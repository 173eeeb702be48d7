// Cours disponible: on a phone the closed list shows only the start of the chosen slot's label
// (day, time, teacher, seats left or waiting list). The page writes it in full under the list
// for the slot chosen when it was drawn; this keeps it in step with the list. First, so that it
// works even if the part below fails (sessionStorage can refuse access).
(function () {
  document.querySelectorAll("select[data-chosen-label]").forEach(function (select) {
    var full = document.getElementById(select.getAttribute("data-chosen-label"));
    if (!full) { return; }
    function show() {
      var option = select.options[select.selectedIndex];
      var label = option && option.value ? option.text : "";
      full.textContent = label;
      full.hidden = !label;
    }
    select.addEventListener("change", show);
    show();
  });
})();

// Réinscription tab: importing or deleting a document reloads the page, which would drop the
// choices not sent yet (Réinscrire, Cours disponible, Réinscription administrative, comment).
// They are kept in this browser tab for the reload, then put back. Without JavaScript the
// page still works: the choices are then simply chosen again before "Valider".
(function () {
  var form = document.getElementById("reinscription");
  if (!form || !window.sessionStorage) { return; }
  var key = form.getAttribute("data-draft-key");

  function fields() {
    return Array.prototype.filter.call(form.elements, function (field) {
      return field.name && field.type !== "hidden" && field.type !== "submit" && field.type !== "file";
    });
  }

  document.querySelectorAll("form[data-keep-choices]").forEach(function (other) {
    other.addEventListener("submit", function () {
      var values = {};
      fields().forEach(function (field) {
        values[field.name] = field.type === "checkbox" ? field.checked : field.value;
      });
      try { sessionStorage.setItem(key, JSON.stringify(values)); } catch (error) { /* full */ }
    });
  });

  var saved = sessionStorage.getItem(key);
  if (!saved) { return; }
  sessionStorage.removeItem(key);
  var values = JSON.parse(saved);
  fields().forEach(function (field) {
    if (!(field.name in values)) { return; }
    var value = values[field.name];
    if (field.type === "checkbox") {
      field.checked = value;
    } else if (field.tagName === "SELECT") {
      // The same slot may now be offered as its waiting list ("wait:12"), or the other way.
      var bare = String(value).replace(/^wait:/, "");
      var option = Array.prototype.find.call(field.options, function (item) {
        return item.value === value || item.value.replace(/^wait:/, "") === bare;
      });
      if (option) {
        field.value = option.value;
        field.dispatchEvent(new Event("change"));  // The full label under the list follows.
      }
    } else {
      field.value = value;
    }
  });
})();
