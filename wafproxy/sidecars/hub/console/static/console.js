// wafproxy console: live traffic. Polls /console/api/traffic once a second (never faster) and redraws
// the inline SVG and the top tables with textContent only (no HTML from data).
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) { return; }
  var W = 600, H = 180, PAD = 4, busy = false, stopped = false;

  function points(values, top) {
    var n = Math.max(values.length - 1, 1), scale = (H - 2 * PAD) / Math.max(top, 1), out = [];
    for (var i = 0; i < values.length; i++) {
      out.push((PAD + i * (W - 2 * PAD) / n).toFixed(1) + "," + (H - PAD - values[i] * scale).toFixed(1));
    }
    return out.join(" ");
  }

  function fillTable(id, rows, param) {
    var table = document.getElementById(id);
    if (!table) { return; }
    var body = table.tBodies[0];
    while (body.firstChild) { body.removeChild(body.firstChild); }
    if (!rows.length) {
      var tr0 = body.insertRow(), td0 = tr0.insertCell();
      td0.colSpan = 2; td0.className = "empty"; td0.textContent = "None yet.";
      return;
    }
    rows.forEach(function (row) {
      var tr = body.insertRow(), name = tr.insertCell(), count = tr.insertCell();
      if (param) {
        var a = document.createElement("a");
        a.href = "/console/samples?" + param + "=" + encodeURIComponent(row[0]);
        a.textContent = row[0];
        name.appendChild(a);
      } else {
        name.textContent = row[0];
      }
      count.textContent = String(row[1]);
    });
  }

  function draw(data) {
    var top = 1;
    Object.keys(data.counts).forEach(function (a) {
      data.counts[a].forEach(function (v) { if (v > top) { top = v; } });
    });
    Object.keys(data.counts).forEach(function (a) {
      var line = live.querySelector('polyline[data-action="' + a + '"]');
      var total = live.querySelector('[data-total="' + a + '"]');
      var values = data.counts[a];
      if (line) { line.setAttribute("points", points(values, top)); }
      if (total) { total.textContent = String(values.reduce(function (s, v) { return s + v; }, 0)); }
    });
    var peak = document.getElementById("traffic-peak");
    if (peak) { peak.textContent = String(top); }
    fillTable("top-rules", data.top.rules, "rule");
    fillTable("top-ips", data.top.ips, "ip");
    fillTable("top-countries", data.top.countries, null);
  }

  function poll() {
    if (busy || stopped || document.hidden) { return; }
    busy = true;
    fetch(live.getAttribute("data-src"), { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (r.status === 401) { stopped = true; return null; }
        return r.ok ? r.json() : null;
      })
      .then(function (data) { if (data) { draw(data); } })
      .catch(function () { /* the next tick retries */ })
      .then(function () { busy = false; });
  }

  window.setInterval(poll, 1000);
})();
