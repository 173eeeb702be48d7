// Payment forms go on to the bank at once; without JavaScript, the button does it.
document.querySelectorAll("form[data-autosubmit]").forEach(function (form) { form.submit(); });
