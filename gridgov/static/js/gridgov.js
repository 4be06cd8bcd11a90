/* gridgov pages: Leaflet maps (picker and viewer) and small form helpers.
 * No tiles unless GRIDGOV_TILE_URL is configured: then the map is a plain background with
 * grid boundaries, which is enough to click a point on an intranet. */
(function () {
  "use strict";

  function parseCenter(text) {
    var parts = (text || "").split(",").map(parseFloat);
    if (parts.length === 2 && isFinite(parts[0]) && isFinite(parts[1])) {
      return [parts[1], parts[0]]; // Leaflet wants [lat, lng]
    }
    return [36.45, 115.98];
  }

  function baseMap(el, opts) {
    var tileUrl = el.dataset.tileUrl || "";
    var map = L.map(el, Object.assign({ attributionControl: !!tileUrl, zoomSnap: 0.5 }, opts || {}));
    if (tileUrl) {
      L.tileLayer(tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
    } else {
      el.classList.add("no-tiles");
    }
    map.setView(parseCenter(el.dataset.center), 14);
    return map;
  }

  var GRID_STYLE = { color: "#2f6f4f", weight: 1.5, fillColor: "#3c8d63", fillOpacity: 0.06 };

  // permanent labels only while they can be read: with many grids they cover the map
  var MAX_LABELLED_GRIDS = 6;

  function drawGrids(map, geojson, labels) {
    if (!geojson || !geojson.features || !geojson.features.length) return null;
    labels = labels && geojson.features.length <= MAX_LABELLED_GRIDS;
    var layer = L.geoJSON(geojson, {
      style: GRID_STYLE,
      interactive: false,
      onEachFeature: function (feature, lyr) {
        var name = feature.properties && (feature.properties.name || feature.properties.code);
        if (name && labels) {
          lyr.bindTooltip(name, { permanent: true, direction: "center", className: "grid-label" });
        }
      },
    }).addTo(map);
    return layer;
  }

  function setStatus(id, text) {
    var el = id && document.getElementById(id);
    if (el) el.textContent = text;
  }

  function initPicker(el) {
    // data-geo-only: no map on the page (e.g. citizens without tiles), only "use my location"
    var map = el.hasAttribute("data-map-picker") && window.L ? baseMap(el) : null;
    var lngInput = document.getElementById(el.dataset.lngInput);
    var latInput = document.getElementById(el.dataset.latInput);
    var marker = null;

    function place(lat, lng, pan) {
      if (!map) return;
      if (!marker) {
        marker = L.marker([lat, lng]).addTo(map);
      } else {
        marker.setLatLng([lat, lng]);
      }
      if (pan) map.setView([lat, lng], Math.max(map.getZoom(), 16));
    }

    // tell the reporter which grid the point falls in (the server decides; this only shows it)
    function showGrid(lat, lng) {
      var url = el.dataset.lookupUrl;
      if (!url || !window.fetch) return;
      fetch(url + "?lng=" + lng.toFixed(6) + "&lat=" + lat.toFixed(6), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) return;
          setStatus(el.dataset.status, data.grid
            ? (el.dataset.inGrid || "%s").replace("%s", data.grid.name)
            : (el.dataset.noGrid || ""));
        })
        .catch(function () { /* the lookup is a convenience */ });
    }

    function setInputs(lat, lng) {
      lngInput.value = lng.toFixed(6);
      latInput.value = lat.toFixed(6);
      document.body.dispatchEvent(new CustomEvent("located"));
      showGrid(lat, lng);
    }

    if (map) {
      map.on("click", function (e) {
        place(e.latlng.lat, e.latlng.lng, false);
        setInputs(e.latlng.lat, e.latlng.lng);
      });
    }

    function fromInputs(pan) {
      var lng = parseFloat(lngInput.value), lat = parseFloat(latInput.value);
      if (isFinite(lng) && isFinite(lat) && Math.abs(lng) <= 180 && Math.abs(lat) <= 90) {
        place(lat, lng, pan);
        return true;
      }
      return false;
    }
    lngInput.addEventListener("change", function () { fromInputs(true); });
    latInput.addEventListener("change", function () { fromInputs(true); });
    var hasPoint = fromInputs(true);

    var gridsUrl = el.dataset.gridsUrl;
    var gridLayer = null;
    if (map && gridsUrl && window.fetch) {
      fetch(gridsUrl, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          var few = data && data.features && data.features.length <= 60;
          gridLayer = drawGrids(map, data, few);
          if (gridLayer && !hasPoint) map.fitBounds(gridLayer.getBounds(), { padding: [10, 10] });
        })
        .catch(function () { /* no grid layer: the map still takes clicks */ });
    }

    // a picker inside a closed <details> (an action form) has no size until it is opened
    var box = map && el.closest("details");
    if (box) {
      box.addEventListener("toggle", function () {
        if (!box.open) return;
        map.invalidateSize();
        if (!fromInputs(true) && gridLayer) map.fitBounds(gridLayer.getBounds(), { padding: [10, 10] });
      });
    }

    var button = document.querySelector('[data-geolocate="' + el.id + '"]');
    if (button) {
      if (!navigator.geolocation) {
        button.disabled = true;
      }
      button.addEventListener("click", function () {
        var statusId = el.dataset.status;
        setStatus(statusId, button.dataset.locating || "");
        navigator.geolocation.getCurrentPosition(
          function (pos) {
            var lat = pos.coords.latitude, lng = pos.coords.longitude;
            place(lat, lng, true);
            setInputs(lat, lng);
            setStatus(statusId, (button.dataset.located || "").replace("%s", Math.round(pos.coords.accuracy)));
          },
          function () {
            setStatus(statusId, button.dataset.failed || "");
          },
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
        );
      });
    }
  }

  function initViewer(el) {
    var map = baseMap(el, { scrollWheelZoom: false });
    var lng = parseFloat(el.dataset.lng), lat = parseFloat(el.dataset.lat);
    var layer = null;
    var script = el.dataset.boundary && document.getElementById(el.dataset.boundary);
    if (script) {
      try {
        var geometry = JSON.parse(script.textContent);
        if (geometry) layer = drawGrids(map, { type: "FeatureCollection", features: [{ type: "Feature", geometry: geometry, properties: {} }] });
      } catch (e) { /* bad boundary: show the point only */ }
    }
    if (isFinite(lng) && isFinite(lat)) {
      L.marker([lat, lng]).addTo(map);
      if (layer) {
        map.fitBounds(layer.getBounds().extend([lat, lng]), { padding: [12, 12] });
      } else {
        map.setView([lat, lng], 16);
      }
    } else if (layer) {
      map.fitBounds(layer.getBounds(), { padding: [12, 12] });
    }
  }

  function initReveal(box) {
    var target = document.querySelector(box.dataset.reveals);
    if (!target) return;
    // a checkbox reveals its target when checked; a select when its value is data-reveals-value
    var sync = box.tagName === "SELECT"
      ? function () { target.hidden = box.value !== box.dataset.revealsValue; }
      : function () { target.hidden = !box.checked; };
    box.addEventListener("change", sync);
    sync();
  }

  function init() {
    document.querySelectorAll("[data-map-picker], [data-geo-only]").forEach(initPicker);
    if (window.L) {
      document.querySelectorAll("[data-map-view]").forEach(initViewer);
    }
    document.querySelectorAll("[data-reveals]").forEach(initReveal);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
