// Draws the analytics page's charts from the JSON the server put in #analytics-charts:
// orders as bars (left axis), average delivery in minutes as a line (right axis), and on a
// site's page its target as a dashed line.
// The numbers are also in the table beside each chart; without Chart.js the tables remain.
(function () {
  "use strict";
  const source = document.getElementById("analytics-charts");
  if (!source || typeof window.Chart === "undefined") return;
  const charts = JSON.parse(source.textContent);

  function draw(spec) {
    const canvas = document.getElementById("chart-" + spec.id);
    if (!canvas) return;
    new window.Chart(canvas, {
      data: {
        labels: spec.labels,
        datasets: [
          { type: "bar", label: "Orders", data: spec.orders, yAxisID: "orders",
            backgroundColor: "#8fb0f2", order: 2 },
          { type: "line", label: "Average delivery (min)", data: spec.average_minutes,
            yAxisID: "minutes", borderColor: "#d6452a", backgroundColor: "#d6452a",
            spanGaps: false, tension: 0.25, order: 1 },
        ].concat(spec.target_minutes === null ? [] : [
          // The site's target, flat across the chart: the line above it is the bad news.
          { type: "line", label: "Target (min)", data: spec.labels.map(() => spec.target_minutes),
            yAxisID: "minutes", borderColor: "#17672a", borderDash: [6, 4], borderWidth: 1.5,
            pointRadius: 0, order: 0 },
        ]),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          orders: { type: "linear", position: "left", beginAtZero: true,
                    title: { display: true, text: "orders" }, ticks: { precision: 0 } },
          minutes: { type: "linear", position: "right", beginAtZero: true,
                     title: { display: true, text: "minutes" }, grid: { drawOnChartArea: false } },
        },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }

  charts.forEach(draw);
})();
