// Results pages (calibration): the distribution chart from a JSON block, and htmx answers
// with 409/422 (stale edit, wrong step, missing reason) swapped in so the row shows the reason.
(function () {
  "use strict";

  function drawCharts(root) {
    if (typeof window.echarts === "undefined") { return; }
    root.querySelectorAll("[data-distribution-chart]").forEach(function (box) {
      var source = document.getElementById(box.getAttribute("data-distribution-chart"));
      if (!source) { return; }
      var data = JSON.parse(source.textContent);
      var existing = window.echarts.getInstanceByDom(box);
      if (existing) { existing.dispose(); }
      var chart = window.echarts.init(box);
      chart.setOption({
        tooltip: { trigger: "axis" },
        legend: { data: [data.labels.before, data.labels.after, data.labels.quota] },
        grid: { left: 40, right: 16, top: 40, bottom: 30 },
        xAxis: { type: "category", data: data.grades },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: data.labels.before, type: "bar", data: data.before },
          { name: data.labels.after, type: "bar", data: data.after },
          { name: data.labels.quota, type: "line", data: data.quota, connectNulls: false }
        ]
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSettle", function (evt) {
    if (evt.target.closest && evt.target.closest("[data-results-board]")) { drawCharts(document); }
  });
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var status = evt.detail.xhr.status;
    var elt = evt.detail.elt;
    if ((status === 409 || status === 422) && elt && elt.closest && elt.closest("[data-results-board]")) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });
  window.addEventListener("resize", function () {
    if (typeof window.echarts === "undefined") { return; }
    document.querySelectorAll("[data-distribution-chart]").forEach(function (box) {
      var chart = window.echarts.getInstanceByDom(box);
      if (chart) { chart.resize(); }
    });
  });
})();
