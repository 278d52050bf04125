// The strategy map's cause-and-effect graph (ECharts graph series). Data comes from the
// json_script element #map-data; the lanes and the links list in the HTML stay the accessible
// version of the same content, so the page works without this script.
(function () {
  "use strict";
  var COLOURS = {
    on_track: "#198754", at_risk: "#ffc107", behind: "#dc3545",
    done: "#0d6efd", not_started: "#6c757d", no_data: "#adb5bd"
  };

  function draw() {
    var box = document.getElementById("map-chart");
    var source = document.getElementById("map-data");
    if (!box || !source || typeof echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    if (!data.nodes.length) { box.hidden = true; return; }
    var chart = echarts.init(box);
    chart.setOption({
      tooltip: {
        formatter: function (p) {
          if (p.dataType !== "node") { return ""; }
          var d = p.data;
          return echarts.format.encodeHTML(d.name) + "<br>" +
            echarts.format.encodeHTML(d.lane) + " · " + d.progress + " · " +
            echarts.format.encodeHTML(d.pace);
        }
      },
      series: [{
        type: "graph",
        layout: "none",
        roam: true,
        edgeSymbol: ["none", "arrow"],
        edgeSymbolSize: 10,
        symbol: "roundRect",
        symbolSize: [200, 56],
        label: {
          show: true, width: 190, overflow: "truncate",
          formatter: function (p) { return p.data.name + "\n" + p.data.progress; }
        },
        lineStyle: { width: 2, curveness: 0.15, color: "#495057" },
        data: data.nodes.map(function (n) {
          return {
            id: n.id, name: n.name, x: n.x, y: n.y, lane: n.lane, progress: n.progress,
            pace: n.pace, url: n.url,
            itemStyle: { color: "#fff", borderColor: COLOURS[n.status] || "#6c757d", borderWidth: 3 },
            label: { color: "#212529" }
          };
        }),
        links: data.links
      }]
    });
    chart.on("click", function (p) {
      if (p.dataType === "node" && p.data.url) { window.location.href = p.data.url; }
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
