/* Reporting: draws the charts from data the page passes with json_script (CSP forbids
 * inline scripts), auto-submits filter forms, and submits a one-click survey rating. */
(function () {
  "use strict";

  function cssVar(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name);
    return (value && value.trim()) || fallback;
  }

  var PALETTE = ["--accent", "--ok", "--warn", "--danger", "--p-high", "--muted"];

  function colour(i) {
    return cssVar(PALETTE[i % PALETTE.length], "#2457c5");
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || !window.Chart) { return; }
    var spec = JSON.parse(source.textContent);
    var text = cssVar("--text", "#1c2330");
    var grid = cssVar("--border", "#d9dde3");
    var total = 0;
    var datasets = spec.datasets.map(function (ds, i) {
      ds.data.forEach(function (v) { total += (typeof v === "number") ? v : 0; });
      return {
        label: ds.label,
        data: ds.data,
        backgroundColor: colour(i),
        borderColor: colour(i),
        spanGaps: true,
        tension: 0.2
      };
    });
    var existing = window.Chart.getChart(canvas);
    if (existing) { existing.destroy(); }
    new window.Chart(canvas, {
      type: spec.type || "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: datasets.length > 1, labels: { color: text } } },
        scales: {
          x: { stacked: !!spec.stacked, ticks: { color: text }, grid: { color: grid } },
          y: {
            stacked: !!spec.stacked, beginAtZero: true, ticks: { color: text }, grid: { color: grid },
            title: { display: !!spec.unit, text: spec.unit, color: text }
          }
        }
      }
    });
    // Browser tests (CSP forbids their eval) read what was drawn from these attributes.
    canvas.dataset.rendered = "1";
    canvas.dataset.total = String(Math.round(total * 100) / 100);
    canvas.dataset.points = String(spec.labels.length);
  }

  function drawAll(root) {
    (root || document).querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawAll(document);
    document.querySelectorAll("form[data-autosubmit-on-change]").forEach(function (form) {
      form.addEventListener("change", function (event) {
        if (event.target && event.target.name === "start") { return; }
        if (event.target && event.target.name === "days") {
          form.querySelectorAll("input[type=date]").forEach(function (input) { input.value = ""; });
        }
        form.requestSubmit();
      });
    });
    // The rating chosen in the email: submit it at once (GET never records a rating, so
    // mail scanners following links cannot answer for the customer).
    var survey = document.querySelector("form[data-autosubmit]");
    if (survey) { survey.requestSubmit(); }
  });
  document.addEventListener("htmx:afterSwap", function (event) { drawAll(event.target); });
})();
