// Charts of the statistics pages, drawn by Chart.js (vendor/chart.umd.min.js) from the
// JSON data block that each chart's <canvas data-chart="ID"> names. The table next to each
// chart holds the same figures: without JavaScript the page shows the tables only.
(function () {
  "use strict";

  var COLOURS = ["#1f5fa8", "#d9822b", "#1e7b45", "#b3261e", "#6b4fa0", "#0f8b8d",
                 "#8a6d3b", "#c2185b", "#5b6576", "#7cb342"];
  var LABEL_SHARE = 0.4;  // of the chart's width at most for the labels of horizontal bars

  function wrap(text, width) {
    var words = String(text).split(" "), lines = [], line = "";
    words.forEach(function (word) {
      if (line && (line + " " + word).length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? line + " " + word : word;
      }
    });
    if (line) lines.push(line);
    return lines.length > 1 ? lines : text;
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || canvas.getAttribute("data-drawn")) return;
    var data = JSON.parse(source.textContent);
    var horizontal = data.horizontal;
    var many = data.series.length > 1;
    var box = canvas.parentNode;
    var small = box.clientWidth < 500;
    var fontSize = small ? 11 : 12;
    // characters per line of a wrapped label (a character is about 0.6 of the font size)
    var lineWidth = Math.max(12, Math.floor(box.clientWidth * LABEL_SHARE / (fontSize * 0.6)));
    var labels = data.labels;
    if (horizontal) {
      labels = labels.map(function (label) { return wrap(label, lineWidth); });
      var lines = Math.max.apply(null, labels.map(function (l) {
        return Array.isArray(l) ? l.length : 1;
      }));
      var row = Math.max(many ? 34 : 26, lines * (fontSize + 2) + 10);
      box.classList.add("horizontal");
      box.style.height = Math.max(220, labels.length * row + 70) + "px";
    }
    var datasets = data.series.map(function (series, i) {
      var colour = COLOURS[i % COLOURS.length];
      return {
        label: series.label, data: series.data, backgroundColor: colour,
        borderColor: colour, borderWidth: data.type === "line" ? 2 : 0,
        pointRadius: data.type === "line" ? 2 : 0, tension: 0, spanGaps: false,
        maxBarThickness: 28
      };
    });
    var font = { size: fontSize };
    var value = { beginAtZero: true, ticks: { precision: 0, font: font } };
    var label = { ticks: { autoSkip: !horizontal, maxRotation: 0, font: font },
                  grid: { display: false } };
    new window.Chart(canvas, {
      type: data.type,
      data: { labels: labels, datasets: datasets },
      options: {
        locale: document.documentElement.lang || "ru",
        indexAxis: horizontal ? "y" : "x",
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { display: many, position: "bottom", labels: { font: font } } },
        scales: horizontal ? { x: value, y: label } : { x: label, y: value }
      }
    });
    canvas.setAttribute("data-drawn", "1");
  }

  function drawAll() {
    if (!window.Chart) return;
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    window.Chart.defaults.color = "#1d2430";
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
