// 解纷 · 工作台 charts: each draws the series of the API endpoint in its data-src, nothing else.
(function () {
  "use strict";
  var BLUE = "#0b5394", GREEN = "#2e7d32", ORANGE = "#c05600";

  function pct(v) { return v == null ? "—" : (v * 100).toFixed(1) + "%"; }

  var OPTIONS = {
    "chart-daily": function (d) {
      return {
        tooltip: { trigger: "axis" },
        legend: { data: ["登记", "办结"] },
        grid: { left: 40, right: 16, top: 32, bottom: 28 },
        xAxis: { type: "category", data: d.days },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: "登记", type: "line", data: d.registrations, showSymbol: false, color: BLUE },
          { name: "办结", type: "line", data: d.resolutions, showSymbol: false, color: GREEN }
        ]
      };
    },
    "chart-weekly": function (d) {
      return {
        tooltip: {
          trigger: "axis",
          formatter: function (p) {
            var i = p[0].dataIndex;
            return d.weeks[i] + " 起一周<br>按时率 " + pct(d.on_time_rate[i]) +
              "（" + d.numerators[i] + " / " + d.denominators[i] + "）";
          }
        },
        grid: { left: 48, right: 16, top: 16, bottom: 28 },
        xAxis: { type: "category", data: d.weeks },
        yAxis: { type: "value", min: 0, max: 1, axisLabel: { formatter: pct } },
        series: [{ name: "按时率", type: "line", data: d.on_time_rate, connectNulls: false, color: BLUE }]
      };
    },
    "chart-places": function (d) {
      return {
        tooltip: { trigger: "axis" },
        grid: { left: 120, right: 24, top: 8, bottom: 24 },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", inverse: true, data: d.items.map(function (i) { return i.name; }) },
        series: [{ name: "在办", type: "bar", data: d.items.map(function (i) { return i.count; }), color: ORANGE }]
      };
    },
    "chart-categories": function (d) {
      return {
        tooltip: { trigger: "item" },
        series: [{
          name: "案件类型", type: "pie", radius: ["35%", "65%"],
          data: d.items.map(function (i) { return { name: i.name, value: i.count }; })
        }]
      };
    }
  };

  function draw(el) {
    fetch(el.dataset.src, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw r.status; } return r.json(); })
      .then(function (data) {
        var chart = window.echarts.init(el, null, { renderer: "canvas" });
        chart.setOption(OPTIONS[el.id](data));
        window.addEventListener("resize", function () { chart.resize(); });
        el.dataset.ready = "1";
      })
      .catch(function () {
        el.textContent = "图表数据暂不可用。";
        el.dataset.ready = "error";
      });
  }

  Array.prototype.forEach.call(document.querySelectorAll(".chart[data-src]"), draw);
})();
