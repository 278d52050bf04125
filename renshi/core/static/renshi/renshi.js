// renshi: no inline scripts (CSP script-src 'self'). Behaviour hooks by data attributes.
document.addEventListener("htmx:responseError", function (evt) {
  var box = document.getElementById("htmx-error");
  if (box) { box.hidden = false; }
});
