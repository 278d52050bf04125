// The assignment grid (performance/cards/grid.html): keyboard moves, changed-row marking,
// live category totals with the red mark when a total is not 100, "fill column" for the
// selected rows, select all. The page works without it (every row is then saved).
(function () {
  "use strict";

  function rowOf(el) { return el.closest("tr[data-card]"); }

  function num(value) {
    var n = parseFloat(String(value).replace(/,/g, ""));
    return isNaN(n) ? 0 : n;
  }

  function markChanged(row) {
    var flag = row.querySelector("input[data-changed]");
    if (flag) { flag.disabled = false; }
  }

  function totals(row) {
    var sums = {};
    row.querySelectorAll("input[data-weight]").forEach(function (input) {
      var cat = input.getAttribute("data-category");
      sums[cat] = (sums[cat] || 0) + num(input.value);
    });
    row.querySelectorAll("td[data-total]").forEach(function (cell) {
      var cat = cell.getAttribute("data-total");
      if (!(cat in sums)) { return; }
      var total = Math.round(sums[cat] * 100) / 100;
      var bad = total !== 100;
      cell.textContent = String(total);
      if (bad) {
        var mark = document.createElement("span");
        mark.setAttribute("data-bad", "");
        mark.textContent = " \u2260 100";
        cell.appendChild(mark);
      }
      cell.classList.toggle("table-danger", bad);
      cell.classList.toggle("text-danger", bad);
      cell.classList.toggle("fw-semibold", bad);
    });
  }

  function moveDown(input, step) {
    var row = rowOf(input);
    var col = input.getAttribute("data-col");
    var next = step > 0 ? row.nextElementSibling : row.previousElementSibling;
    while (next) {
      var target = next.querySelector('input[data-col="' + col + '"]');
      if (target) { target.focus(); target.select(); return; }
      next = step > 0 ? next.nextElementSibling : next.previousElementSibling;
    }
  }

  function init() {
    var form = document.querySelector("form[data-grid]");
    if (!form) { return; }
    form.addEventListener("input", function (evt) {
      var row = rowOf(evt.target);
      if (!row || !evt.target.matches("input[data-col]")) { return; }
      markChanged(row);
      if (evt.target.matches("input[data-weight]")) { totals(row); }
    });
    form.addEventListener("keydown", function (evt) {
      if (evt.key !== "Enter" || !evt.target.matches("input[data-col]")) { return; }
      evt.preventDefault();
      moveDown(evt.target, evt.shiftKey ? -1 : 1);
    });
    var all = document.getElementById("select-all");
    if (all) {
      all.addEventListener("change", function () {
        form.querySelectorAll("input[data-row-select]").forEach(function (box) {
          box.checked = all.checked;
        });
      });
    }
    var apply = document.getElementById("fill-apply");
    if (apply) {
      apply.addEventListener("click", function () {
        var key = document.getElementById("fill-indicator").value.split("-");
        var value = document.getElementById("fill-value").value;
        form.querySelectorAll("input[data-row-select]:checked").forEach(function (box) {
          var name = key[0] + "-" + box.value + "-" + key[1];
          var input = form.querySelector('input[name="' + name + '"]');
          if (!input) { return; }
          input.value = value;
          input.dispatchEvent(new Event("input", { bubbles: true }));
        });
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
