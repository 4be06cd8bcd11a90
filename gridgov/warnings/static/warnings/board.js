/* The warning board's map: one marker per warning with a place, coloured by level, linking to its page.
 * Points come from a json_script block (no inline script, for the CSP); no tiles unless configured. */
(function () {
  "use strict";
  var COLORS = { blue: "#1f6fd1", yellow: "#d4a106", orange: "#e0701b", red: "#c8202f" };

  function center(text) {
    var p = (text || "").split(",").map(parseFloat);
    return p.length === 2 && isFinite(p[0]) && isFinite(p[1]) ? [p[1], p[0]] : [36.45, 115.98];
  }

  function init(el) {
    if (!window.L) return;
    var script = document.getElementById(el.dataset.points);
    var points = [];
    try { points = JSON.parse(script ? script.textContent : "[]") || []; } catch (e) { points = []; }
    var tileUrl = el.dataset.tileUrl || "";
    var map = L.map(el, { attributionControl: !!tileUrl, zoomSnap: 0.5, scrollWheelZoom: false, preferCanvas: true });
    if (tileUrl) {
      L.tileLayer(tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
    } else {
      el.classList.add("no-tiles");
    }
    var shown = points.filter(function (p) { return isFinite(p.x) && isFinite(p.y); });
    var bounds = shown.map(function (p) { return [p.y, p.x]; });
    // the final view first, without animation (a zoom animation scales what is drawn until it ends)
    if (bounds.length === 1) map.setView(bounds[0], 15, { animate: false });
    else if (bounds.length > 1) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 16, animate: false });
    else map.setView(center(el.dataset.center), 12, { animate: false });
    shown.forEach(function (p) {
      var color = COLORS[p.l] || "#555";
      var m = L.circleMarker([p.y, p.x], { radius: 9, color: color, weight: 2, fillColor: color, fillOpacity: 0.6 });
      var a = document.createElement("a"); // titles are data: never HTML
      a.href = p.u;
      a.textContent = p.n + " " + p.t;
      m.bindPopup(a);
      m.addTo(map);
    });
  }

  document.querySelectorAll("[data-warning-map]").forEach(init);
})();
