/* Dashboard charts drawn in the browser with Chart.js (served by the portal itself); the same numbers
   are in the tables beside each chart. */
(function () {
  "use strict";
  var node = document.getElementById("chart-data");
  if (!node || typeof Chart === "undefined") { return; }
  var data = JSON.parse(node.textContent);
  var common = { responsive: true, maintainAspectRatio: false, animation: false };

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) { canvas.chart = new Chart(canvas, config); }
  }

  draw("chart-trend", {
    type: "bar",
    data: {
      labels: data.trend.labels,
      datasets: [
        { label: data.trend.labelSubmitted, data: data.trend.submitted, backgroundColor: "#9ec5fe", yAxisID: "y" },
        { label: data.trend.labelConnected, data: data.trend.connected, backgroundColor: "#0d6efd", yAxisID: "y" },
        { label: data.trend.labelMean, data: data.trend.mean, type: "line", borderColor: "#dc3545",
          backgroundColor: "#dc3545", yAxisID: "y1", spanGaps: true }
      ]
    },
    options: Object.assign({}, common, {
      scales: { x: { ticks: { autoSkip: false } },
                y: { beginAtZero: true, position: "left" },
                y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } } }
    })
  });

  draw("chart-stages", {
    type: "bar",
    data: {
      labels: data.stages.labels,
      datasets: [
        { label: data.stages.labelMean, data: data.stages.mean, backgroundColor: "#0d6efd" },
        { label: data.stages.labelP90, data: data.stages.p90, backgroundColor: "#fd7e14" }
      ]
    },
    options: Object.assign({}, common, {
      indexAxis: "y", scales: { x: { beginAtZero: true }, y: { ticks: { autoSkip: false } } }
    })
  });

  draw("chart-orgs", {
    type: "bar",
    data: { labels: data.orgs.labels, datasets: [{ label: data.orgs.label, data: data.orgs.rate, backgroundColor: "#198754" }] },
    options: Object.assign({}, common, {
      scales: { x: { ticks: { autoSkip: false, maxRotation: 60, minRotation: 0 } }, y: { beginAtZero: true, max: 100 } }
    })
  });
  document.documentElement.dataset.chartsReady = "1";
})();
