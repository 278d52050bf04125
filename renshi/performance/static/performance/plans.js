// Plan pages: the rule editor shows only the fields of the chosen kind (no inline scripts: CSP).
(function () {
  "use strict";
  function sync(editor) {
    var select = editor.querySelector("select[name='rule_kind']");
    if (!select) return;
    editor.querySelectorAll("[data-rule-kind]").forEach(function (block) {
      block.hidden = block.getAttribute("data-rule-kind") !== select.value;
    });
  }
  function init(root) {
    root.querySelectorAll("[data-rule-editor]").forEach(function (editor) {
      sync(editor);
      var select = editor.querySelector("select[name='rule_kind']");
      if (select) select.addEventListener("change", function () { sync(editor); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();
