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

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); });
  }

  function textNode(text, cls) {
    var span = document.createElement("span"); // names are data: never HTML
    span.textContent = text;
    if (cls) span.className = cls;
    return span;
  }

  // --- the places layer: community outlines and names, grid outlines and names (no tiles needed) ------------
  var COMMUNITY_STYLE = { color: "#1f4e79", weight: 2, dashArray: "6 4", fill: false };
  var MAX_SPAN = 1.0;           // the API's largest view, degrees (signed in; the page says a visitor's)
  var GRID_SPAN = 0.25;         // grids in views up to this (signed in; the page says a visitor's)
  var GRID_LABEL_MAX = 14;      // grid names while this few are in view…
  var GRID_LABEL_ZOOM = 15;     // …or from this zoom on (names that would cover another are left out)
  var LABEL_CANDIDATES = 300;   // names tried per kind and redraw

  function placesLayer(map, url, maxSpan, gridSpan) {
    var viewMax = maxSpan, gridMax = gridSpan;  // this map's limits (a visitor's are smaller)
    var shapes = L.layerGroup().addTo(map);
    var labels = L.layerGroup().addTo(map);
    var known = {};   // code → { kind, layer, label, at }
    var boxes = [];   // views already loaded: { box: LatLngBounds, grids: bool }
    var timer = null;

    function add(feature) {
      var p = feature.properties || {};
      if (!p.code || known[p.code]) return known[p.code];
      var layer = L.geoJSON(feature, {
        style: p.kind === "grid" ? GRID_STYLE : COMMUNITY_STYLE, interactive: false,
      }).addTo(shapes);
      var at = p.label ? L.latLng(p.label[1], p.label[0]) : layer.getBounds().getCenter();
      var label = L.tooltip({ permanent: true, direction: "center", interactive: false,
                              className: p.kind === "grid" ? "grid-label" : "community-label" })
        .setLatLng(at).setContent(textNode(p.short || p.name || p.code));
      known[p.code] = { kind: p.kind, layer: layer, label: label, at: at, code: p.code, name: p.short || p.name || p.code };
      return known[p.code];
    }

    // a label's box on the screen, from its text (placing it in the page to measure would cost a layout each)
    function rect(k, dy) {
      var p = map.latLngToContainerPoint(k.at);
      var w = (k.name.length * (k.kind === "grid" ? 11 : 12) + 12) / 2, h = 10;
      return { x0: p.x - w, x1: p.x + w, y0: p.y + dy - h, y1: p.y + dy + h };
    }

    function relabel() {
      var view = map.getBounds(), zoom = map.getZoom();
      var grids = [], communities = [];
      Object.keys(known).forEach(function (code) {
        var k = known[code];
        if (!view.contains(k.at)) return;
        (k.kind === "grid" ? grids : communities).push(k);
      });
      var showGrids = grids.length && (grids.length <= GRID_LABEL_MAX || zoom >= GRID_LABEL_ZOOM);
      // grids' names first when they are shown, then the communities' where there is room: no name covers another
      var candidates = (showGrids ? grids.slice(0, LABEL_CANDIDATES) : []).concat(communities.slice(0, LABEL_CANDIDATES));
      var placed = [];
      labels.clearLayers();
      candidates.forEach(function (k) {
        // a grid's name sits on its centre; a community's may move up or down a line to find room
        var shifts = k.kind === "grid" ? [0] : [0, -26, 26, -52, 52];
        for (var i = 0; i < shifts.length; i++) {
          var r = rect(k, shifts[i]);
          var free = placed.every(function (q) { return r.x1 < q.x0 || r.x0 > q.x1 || r.y1 < q.y0 || r.y0 > q.y1; });
          if (!free) continue;
          placed.push(r);
          k.label.options.offset = L.point(0, shifts[i]);
          labels.addLayer(k.label);
          return;
        }
      });
    }

    function loaded(view, wantGrids) {
      return boxes.some(function (b) { return b.box.contains(view) && (b.grids || !wantGrids); });
    }

    function fetchView() {
      var view = map.getBounds();
      var w = view.getWest(), s = view.getSouth(), e = view.getEast(), n = view.getNorth();
      if (e - w > viewMax || n - s > viewMax) return relabel();
      var wantGrids = Math.max(e - w, n - s) <= gridMax;
      if (loaded(view, wantGrids)) return relabel();
      // a margin around the view, within the API's limit, so a small pan needs nothing new
      var room = viewMax - 0.0005;  // the box is rounded to 4 decimals: stay inside the limit
      var padX = Math.max(0, Math.min((e - w) * 0.3, (room - (e - w)) / 2)), padY = Math.max(0, Math.min((n - s) * 0.3, (room - (n - s)) / 2));
      var box = [w - padX, s - padY, e + padX, n + padY].map(function (x) { return x.toFixed(4); });
      box = [Math.max(-180, box[0]), Math.max(-90, box[1]), Math.min(180, box[2]), Math.min(90, box[3])];
      var first = !boxes.length;
      getJSON(url + "?bbox=" + box.join(","))
        .then(function (data) {
          (data.features || []).forEach(add);
          boxes.push({ box: L.latLngBounds([box[1], box[0]], [box[3], box[2]]), grids: !!data.grids && !data.truncated });
          var inView = (data.features || []).some(function (f) {
            var k = known[f.properties && f.properties.code];
            return k && view.intersects(k.layer.getBounds());
          });
          if (first && !inView) {
            // the map's start (GRIDGOV_MAP_CENTER) shows nothing: go to the nearest community loaded
            var centre = view.getCenter(), best = null;
            Object.keys(known).forEach(function (code) {
              var k = known[code];
              if (k.kind === "community" && (!best || centre.distanceTo(k.at) < centre.distanceTo(best.at))) best = k;
            });
            if (best) return map.fitBounds(best.layer.getBounds(), { padding: [10, 10], maxZoom: 16 });
          }
          relabel();
        })
        .catch(function () { /* the map still takes clicks */ });
    }

    map.on("moveend zoomend", function () {
      clearTimeout(timer);
      timer = setTimeout(fetchView, 200);
    });

    return {
      // the features of a township (one request), then the bounds of ``code``'s (or of them all)
      township: function (code) {
        return getJSON(url + "?township=" + encodeURIComponent(code.slice(0, 9))).then(function (data) {
          var bounds = null;
          (data.features || []).forEach(function (f) {
            var k = add(f);
            if (!k) return;
            if (code.length <= 9 || f.properties.code === code) {
              bounds = bounds ? bounds.extend(k.layer.getBounds()) : L.latLngBounds(k.layer.getBounds().getSouthWest(), k.layer.getBounds().getNorthEast());
            }
          });
          return bounds;
        });
      },
      refresh: fetchView,
    };
  }

  function initPicker(el) {
    // data-geo-only: no map on the page, only "use my location"
    var map = el.hasAttribute("data-map-picker") && window.L ? baseMap(el) : null;
    var lngInput = document.getElementById(el.dataset.lngInput);
    var latInput = document.getElementById(el.dataset.latInput);
    var marker = null;
    var places = map && el.dataset.outlinesUrl && window.fetch
      ? placesLayer(map, el.dataset.outlinesUrl, parseFloat(el.dataset.outlinesSpan) || MAX_SPAN,
                    parseFloat(el.dataset.outlinesGridSpan) || GRID_SPAN)
      : null;

    function place(lat, lng, pan) {
      if (!map) return;
      if (!marker) {
        marker = L.marker([lat, lng], { keyboard: false }).addTo(map);
      } else {
        marker.setLatLng([lat, lng]);
      }
      if (pan) map.setView([lat, lng], Math.max(map.getZoom(), 16));
    }

    // tell the reporter which grid the point falls in (the server decides; this only shows it)
    function showGrid(lat, lng) {
      var url = el.dataset.lookupUrl;
      if (!url || !window.fetch) return;
      getJSON(url + "?lng=" + lng.toFixed(6) + "&lat=" + lat.toFixed(6))
        .then(function (data) {
          if (!data.grid) return setStatus(el.dataset.status, el.dataset.noGrid || "");
          var text = data.grid.name + "（" + data.grid.code + "）" + (data.region ? " · " + data.region.name : "");
          setStatus(el.dataset.status, (el.dataset.inGrid || "%s").replace("%s", text));
          if (data.region) document.dispatchEvent(new CustomEvent("point-located", { detail: { code: data.region.code } }));
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
    // typed coordinates: the map follows and names the grid there, as for a tap
    function typed() {
      if (fromInputs(true)) showGrid(parseFloat(latInput.value), parseFloat(lngInput.value));
    }
    lngInput.addEventListener("change", typed);
    latInput.addEventListener("change", typed);
    var hasPoint = fromInputs(true);
    if (hasPoint) showGrid(parseFloat(latInput.value), parseFloat(lngInput.value));

    function goTo(code) {
      if (!places || !code || code.length < 9) return;
      places.township(code).then(function (bounds) {
        if (bounds) map.fitBounds(bounds, { padding: [10, 10], maxZoom: 17 });
      }).catch(function () { /* stay where the map is */ });
    }

    if (places) {
      var fit = el.dataset.fitRegion || "";
      if (!hasPoint && fit.length >= 9) {
        goTo(fit);
      } else {
        places.refresh();
      }
      // the region chosen in the form's cascade: show it
      document.addEventListener("region-chosen", function (e) { goTo(e.detail.code); });
    }
    if (map) initPlaceSearch(el, map, function (lat, lng) { place(lat, lng, false); setInputs(lat, lng); });

    // a picker given only the scoped grid layer (data-grids-url, no outlines): draw it and fit it, as before
    var gridsUrl = el.dataset.gridsUrl, gridLayer = null;
    if (map && !places && gridsUrl && window.fetch) {
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
    var details = map && el.closest("details");
    if (details) {
      details.addEventListener("toggle", function () {
        if (!details.open) return;
        map.invalidateSize();
        if (fromInputs(true)) return;
        if (gridLayer) map.fitBounds(gridLayer.getBounds(), { padding: [10, 10] });
        else if (places && (el.dataset.fitRegion || "").length >= 9) goTo(el.dataset.fitRegion);
        else if (places) places.refresh();
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

  // --- "type an address, the map goes there" ----------------------------------------------------------------
  function initPlaceSearch(el, map, pick) {
    var box = document.querySelector('[data-place-search="' + el.id + '"]');
    var url = el.dataset.searchUrl;
    if (!box || !url || !window.fetch) return;
    var input = box.querySelector("input"), list = box.querySelector("ul");
    var timer = null, results = [], asked = "";

    function hide() { list.hidden = true; list.textContent = ""; }

    function choose(p) {
      hide();
      input.value = p.name;
      if (p.bbox && p.kind !== "address") {
        map.fitBounds([[p.bbox[1], p.bbox[0]], [p.bbox[3], p.bbox[2]]], { padding: [10, 10], maxZoom: 17 });
      } else if (p.center) {
        map.setView([p.center[1], p.center[0]], 17);
      }
      // a door-plate address is a point: take it (the reporter can still tap a better one)
      if (p.kind === "address" && p.center) pick(p.center[1], p.center[0]);
      var address = document.getElementById("id_address");
      if (p.kind === "address" && address && !address.value) address.value = p.name;
      document.dispatchEvent(new CustomEvent("place-chosen", { detail: p }));
    }

    function render(rows) {
      results = rows;
      list.textContent = "";
      if (!rows.length) {
        list.appendChild(document.createElement("li")).appendChild(textNode(el.dataset.searchEmpty || "", "muted small"));
      }
      rows.forEach(function (p) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = "place-result";
        b.appendChild(textNode(p.name));
        if (p.detail) b.appendChild(textNode(p.detail, "muted small"));
        b.addEventListener("click", function () { choose(p); });
        list.appendChild(document.createElement("li")).appendChild(b);
      });
      list.hidden = false;
    }

    function ask() {
      var q = input.value.trim();
      if (q.length < 2) return hide();
      if (q === asked) return;
      asked = q;
      getJSON(url + "?q=" + encodeURIComponent(q))
        .then(function (rows) { if (input.value.trim() === q) render(rows); })
        .catch(function () {
          list.textContent = "";
          list.appendChild(document.createElement("li")).appendChild(textNode(el.dataset.searchFailed || "", "muted small"));
          list.hidden = false;
          asked = "";
        });
    }

    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(ask, 300); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter") {
        e.preventDefault(); // never submits the form around it
        clearTimeout(timer);
        if (results.length && !list.hidden) choose(results[0]); else ask();
      } else if (e.key === "Escape") {
        hide();
      }
    });
  }

  // --- the region cascade (web/_region_cascade.html): 县(区) → 乡镇(街道) → 村(社区) ---------------------------
  var CODE_LENGTH = { 3: 6, 4: 9, 5: 12 };

  function initCascade(box) {
    var url = box.dataset.regionsUrl;
    var selects = Array.prototype.slice.call(box.querySelectorAll("select"));

    function fill(select, rows) {
      while (select.options.length > 1) select.remove(1);
      rows.forEach(function (r) { select.add(new Option(r.name, r.code)); });
      select.value = "";
    }

    function load(i, parent) {
      if (i >= selects.length) return Promise.resolve();
      for (var j = i; j < selects.length; j++) fill(selects[j], []);
      if (!parent) return Promise.resolve();
      return getJSON(url + "?parent=" + encodeURIComponent(parent)).then(function (rows) { fill(selects[i], rows); });
    }

    selects.forEach(function (select, i) {
      select.addEventListener("change", function () {
        load(i + 1, select.value).catch(function () { /* the server still takes the level chosen */ });
        var chosen = select.value || (i > 0 ? selects[i - 1].value : "");
        if (chosen) document.dispatchEvent(new CustomEvent("region-chosen", { detail: { code: chosen } }));
      });
    });

    // choose ``code`` level by level (a place found, a point located); says nothing back to the map
    function selectCode(code) {
      var step = Promise.resolve();
      selects.forEach(function (select, i) {
        var n = CODE_LENGTH[select.dataset.level];
        if (!n || code.length < n) return;
        var part = code.slice(0, n);
        step = step.then(function () {
          if (select.value === part) return;
          var has = Array.prototype.some.call(select.options, function (o) { return o.value === part; });
          if (!has && i === 0) return; // the first level is the server's: a code outside it changes nothing
          var ready = has ? Promise.resolve() : load(i, selects[i - 1].value);
          return ready.then(function () {
            select.value = part;
            return load(i + 1, select.value);
          });
        });
      });
      step.catch(function () { /* leave the cascade as it is */ });
    }

    document.addEventListener("place-chosen", function (e) {
      var p = e.detail;
      var code = p.region ? p.region.code : (p.kind === "township" ? p.code : "");
      if (code) selectCode(code);
    });
    document.addEventListener("point-located", function (e) { selectCode(e.detail.code); });
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

  // a field's error stays until the person changes that field (then it no longer describes what is there)
  function clearOnEdit(e) {
    var field = e.target.closest && e.target.closest("div.field.has-error");
    if (!field) return;
    field.classList.remove("has-error");
    field.querySelectorAll(".error").forEach(function (p) { p.remove(); });
    field.querySelectorAll("[aria-invalid]").forEach(function (c) { c.removeAttribute("aria-invalid"); });
  }

  // a point taken on the map answers the location's own error (not the address field's inside it)
  function clearLocation() {
    var box = document.querySelector("fieldset.location.has-error");
    if (!box) return;
    box.classList.remove("has-error");
    box.querySelectorAll(":scope > .error").forEach(function (p) { p.remove(); });
  }

  function init() {
    document.addEventListener("change", clearOnEdit);
    document.body.addEventListener("located", clearLocation);
    document.querySelectorAll("[data-map-picker], [data-geo-only]").forEach(initPicker);
    if (window.L) {
      document.querySelectorAll("[data-map-view]").forEach(initViewer);
    }
    document.querySelectorAll("[data-reveals]").forEach(initReveal);
    document.querySelectorAll("[data-region-cascade]").forEach(initCascade);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
