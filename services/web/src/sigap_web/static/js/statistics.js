/* The staff statistics page: four uPlot charts (complaints per day; status mix; SLA compliance
   and median days to `selesai` per department) and the map of open complaints. Every chart
   has its numbers as a table in the page, for screen readers and for anyone who wants them. */
"use strict";
(function () {
  const page = Sigap.pageData();
  const strings = page.strings;
  const s = (key) => strings["statistics.js." + key];
  const charts = [];

  function width(element) {
    return Math.max(260, element.clientWidth);
  }

  function empty(element) {
    element.textContent = s("no_data");
    element.classList.add("empty");
    element.setAttribute("data-drawn", "empty");
  }

  function draw(element, options, data) {
    const chart = new uPlot(Object.assign({ width: width(element), height: 220 }, options), data, element);
    charts.push({ chart: chart, element: element });
    element.setAttribute("data-drawn", "true");
  }

  function perDay(element, series) {
    if (!series.days.length) return empty(element);
    const x = series.days.map((day) => Date.parse(day + "T00:00:00Z") / 1000);
    draw(
      element,
      {
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"),
        scales: { y: { range: (u, min, max) => [0, Math.max(1, max)] } },
        series: [
          { label: s("day") },
          { label: s("received"), stroke: "#0b5394", width: 2, fill: "rgba(11,83,148,0.08)" },
          { label: s("finished"), stroke: "#1e6b34", width: 2, dash: [6, 4] },
        ],
        axes: [{}, { size: 44 }],
      },
      [x, series.received, series.finished]
    );
  }

  function bars(element, labels, values, label, colour) {
    if (!labels.length) return empty(element);
    const x = labels.map((_, index) => index);
    draw(
      element,
      {
        legend: { show: false },
        scales: {
          x: { time: false, range: [-0.5, labels.length - 0.5] },
          y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] },
        },
        series: [
          {},
          { label: label, fill: colour, stroke: colour, paths: uPlot.paths.bars({ size: [0.7, 48] }), points: { show: false } },
        ],
        axes: [
          {
            splits: () => x,
            values: (u, splits) => splits.map((index) => labels[index] || ""),
            rotate: labels.length > 5 ? -45 : 0,
            size: labels.length > 5 ? 80 : 40,
          },
          { size: 44 },
        ],
      },
      [x, values]
    );
  }

  perDay(document.getElementById("chart-per-day"), page.per_day);
  bars(document.getElementById("chart-status-mix"), page.status_mix.labels, page.status_mix.values, s("count"), "#3d85c6");
  bars(document.getElementById("chart-sla"), page.sla.labels, page.sla.values, s("sla_percent"), "#1e6b34");
  bars(document.getElementById("chart-median"), page.median.labels, page.median.values, s("median_days"), "#8a4b00");
  SigapAreaMap.create(document.getElementById("area-map"), page.map, { tooltip: s("tooltip") });

  let pending = null;
  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(() => charts.forEach((c) => c.chart.setSize({ width: width(c.element), height: 220 })), 150);
  });
})();
