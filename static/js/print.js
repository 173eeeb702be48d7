// "Imprimer" buttons: no inline script, so a strict Content-Security-Policy stays possible.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
