/* The command center (指挥中心): KPIs, the children on a map coloured by a measure, the heat of reported
 * cases, four charts and the live feed — all from /api/v1/stats/…, for the region and period in the URL
 * (?code=&period=&value=&measure=), which drilling down, the breadcrumb and the period buttons change with
 * history.pushState (so back and forward work). Every number is a link to the worklist of its cases.
 * No inline script or style (the CSP forbids them): styles are set through the DOM, ECharts' tooltips are
 * drawn in its canvas (renderMode "richText"). */
(function () {
  "use strict";

  var root = document.getElementById("cc");
  if (!root) return;
  var D = root.dataset;
  var BIG = D.big === "1";
  var T = JSON.parse(document.getElementById("cc-texts").textContent);
  var FEED_EVERY_MS = 30000;
  var ALL_EVERY_MS = 300000;
  var MAX_LABELS = 40;
  var LABEL_AREA = 12000; // px² of map per permanent label

  var state = { code: D.code, period: D.period, value: D.value, measure: D.measure || "reported" };
  var api = { summary: D.apiSummary, map: D.apiMap, trend: D.apiTrend, mix: D.apiMix, feed: D.apiFeed, warnings: D.apiWarnings };
  var charts = {};
  var map = null;
  var layers = { areas: null, heat: null, outline: null };
  var generation = 0;

  // --- small helpers ----------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") node.textContent = v;
      else if (k === "className") node.className = v;
      else node.setAttribute(k, v === true ? "" : v);
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      node.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    });
    return node;
  }

  function link(href, text, cls) {
    return href ? el("a", { href: href, className: cls || null, text: String(text) }) : el("span", { className: cls || null, text: String(text) });
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function query(extra) {
    var p = new URLSearchParams();
    p.set("kind", "event");
    if (state.code) p.set("code", state.code);
    p.set("period", state.period);
    if (state.value) p.set("value", state.value);
    Object.keys(extra || {}).forEach(function (k) { p.set(k, extra[k]); });
    return p.toString();
  }

  function pageUrl(s) {
    var p = new URLSearchParams();
    p.set("code", s.code);
    p.set("period", s.period);
    if (s.value) p.set("value", s.value);
    if (s.measure && s.measure !== "reported") p.set("measure", s.measure);
    if (BIG && window.location.pathname.indexOf("/big/") < 0) p.set("screen", "big");
    return window.location.pathname + "?" + p.toString();
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (!r.ok) {
          var err = new Error(body.message || String(r.status));
          err.status = r.status;
          throw err;
        }
        return body;
      });
    });
  }

  function status(text) {
    var box = document.getElementById("cc-status");
    box.textContent = text || "";
    box.hidden = !text;
  }

  function go(href) {
    if (href) window.location.href = href;
  }

  // --- colours ----------------------------------------------------------------------------------

  var SEQ = ["#dbe9f6", "#a9cbe8", "#6aa6d6", "#3a7fc0", "#1d5d9b"];
  var BAD = ["#fde3d9", "#f9b39a", "#f1805f", "#d9492f", "#a5201a"];
  var SEQ_DARK = ["#173a5e", "#1f5a8c", "#2a7fc0", "#43a6e6", "#7fd3ff"];
  var BAD_DARK = ["#4a2330", "#7a2f35", "#b0413a", "#e0623f", "#ff9a5c"];
  var GOOD = ["#c62828", "#ef6c00", "#f9a825", "#7cb342", "#2e7d32"];

  function palette(m) {
    if (m && m.unit !== "count") return m.higher_is_better ? GOOD : GOOD.slice().reverse();
    var bad = m && !m.higher_is_better;
    if (BIG) return bad ? BAD_DARK : SEQ_DARK;
    return bad ? BAD : SEQ;
  }

  // counts by quantile class (one busy region would leave all others in the palest class on a linear
  // scale); rates and indices on a linear scale between the lowest and the highest
  function scale(rows, m) {
    var vals = rows.map(function (r) { return r.value; }).filter(function (v) { return v !== null && v !== undefined; });
    vals.sort(function (a, b) { return a - b; });
    var lo = vals.length ? vals[0] : 0;
    var hi = vals.length ? vals[vals.length - 1] : 0;
    var pal = palette(m);
    var quantile = !m || m.unit === "count";
    var distinct = vals.filter(function (v, i) { return i === 0 || v !== vals[i - 1]; });
    return {
      lo: lo, hi: hi, pal: pal,
      color: function (v) {
        if (v === null || v === undefined) return "#9aa5b1";
        var t;
        if (hi <= lo) t = quantile ? 0.5 : 1;
        else if (quantile) t = distinct.indexOf(v) / (distinct.length - 1);
        else t = (v - lo) / (hi - lo);
        t = Math.min(t, 0.999);
        return pal[Math.max(0, Math.min(pal.length - 1, Math.floor(t * pal.length)))];
      },
    };
  }

  function fmt(m, v) {
    if (v === null || v === undefined) return "—";
    if (m && m.unit === "rate") return (v * 100).toFixed(2) + "%";
    if (m && m.unit === "index") return Number(v).toFixed(2);
    return String(v);
  }

  // --- header and KPIs --------------------------------------------------------------------------

  function renderHead(s) {
    var crumbs = document.querySelector(".cc-crumbs");
    clear(crumbs);
    s.path.forEach(function (n, i) {
      if (i) crumbs.appendChild(el("span", { className: "cc-sep", "aria-hidden": "true", text: "›" }));
      if (i === s.path.length - 1) {
        crumbs.appendChild(el("strong", { "aria-current": "page", text: n.name }));
      } else {
        var a = el("a", { href: pageUrl({ code: n.code, period: state.period, value: state.value, measure: state.measure }), text: n.name });
        a.addEventListener("click", function (e) { e.preventDefault(); navigate({ code: n.code }); });
        crumbs.appendChild(a);
      }
    });
    document.getElementById("cc-period-label").textContent = s.period.label;
    document.getElementById("cc-period-kind").value = s.period.kind;
    var prev = document.getElementById("cc-prev");
    var next = document.getElementById("cc-next");
    prev.href = pageUrl({ code: state.code, period: state.period, value: s.period.previous, measure: state.measure });
    prev.dataset.value = s.period.previous;
    next.classList.toggle("cc-disabled", !s.period.next);
    next.href = s.period.next ? pageUrl({ code: state.code, period: state.period, value: s.period.next, measure: state.measure }) : "#";
    next.dataset.value = s.period.next || "";
    var title = s.children_level_name ? T.children_of + s.children_level_name : T.grid;
    document.getElementById("cc-map-title").textContent = title;
    document.getElementById("cc-table-title").textContent = title;
    document.title = T.title + " · " + s.node.name + (BIG ? " · " + T.big : "");
  }

  function renderKpis(s) {
    var box = document.getElementById("cc-kpis");
    clear(box);
    T.count_tiles.forEach(function (t) {
      var key = t[0], fromNow = t[1] === "open_now";
      var value = (fromNow ? s.open_now : s.counts)[key] || 0;
      var href = (fromNow ? s.open_links : s.links)[key];
      box.appendChild(el("a", { className: "cc-kpi cc-count" + (key === "overdue" && value ? " cc-bad" : ""), href: href, "data-key": key }, [
        el("span", { className: "cc-kpi-label" }, [t[2], fromNow ? el("small", { text: T.now }) : null]),
        el("strong", { className: "cc-kpi-value", text: String(value) }),
      ]));
    });
    var byKey = {};
    s.kpis.forEach(function (k) { byKey[k.key] = k; });
    T.rate_tiles.forEach(function (key) {
      var k = byKey[key];
      if (!k) return;
      box.appendChild(el("div", { className: "cc-kpi cc-rate", "data-key": key, title: k.formula }, [
        el("span", { className: "cc-kpi-label", text: k.label }),
        link(k.numerator_link, k.percent, "cc-kpi-value"),
        el("span", { className: "cc-frac" }, [link(k.numerator_link, k.numerator_count), " / ", link(k.denominator_link, k.denominator_count)]),
      ]));
    });
  }

  // --- the map ----------------------------------------------------------------------------------

  function parseCenter(text) {
    var parts = (text || "").split(",").map(parseFloat);
    return parts.length === 2 && isFinite(parts[0]) && isFinite(parts[1]) ? [parts[1], parts[0]] : [36.45, 115.98];
  }

  function initMap() {
    if (!window.L) return null;
    var box = document.getElementById("cc-map");
    var m = L.map(box, { zoomSnap: 0.25, attributionControl: !!D.tileUrl });
    if (D.tileUrl) {
      L.tileLayer(D.tileUrl, { maxZoom: 19, attribution: D.tileAttribution || "" }).addTo(m);
    } else {
      box.classList.add("no-tiles");
    }
    m.setView(parseCenter(D.center), 11);
    return m;
  }

  function renderLegend(sc, m, label, withScale) {
    var box = document.getElementById("cc-legend");
    clear(box);
    if (withScale) {
      box.appendChild(el("span", { className: "cc-legend-label", text: label }));
      box.appendChild(el("span", { text: fmt(m, sc.lo) }));
      sc.pal.forEach(function (c) {
        var sw = el("i", { className: "cc-swatch" });
        sw.style.background = c;
        box.appendChild(sw);
      });
      box.appendChild(el("span", { text: fmt(m, sc.hi) }));
    }
    var heat = el("i", { className: "cc-swatch cc-heat-swatch" });
    box.appendChild(heat);
    box.appendChild(el("span", { text: T.heat }));
  }

  // tiles for the children the map cannot place (no grid with a boundary under them)
  function renderBoard(rows, sc) {
    var board = document.getElementById("cc-board");
    clear(board);
    board.hidden = !rows.length;
    rows.forEach(function (r) {
      var tile = el("a", { className: "cc-board-tile", href: pageUrl({ code: r.code, period: state.period, value: state.value, measure: state.measure }), "data-code": r.code }, [
        el("span", { text: r.name }), el("strong", { text: r.display }),
      ]);
      tile.style.background = sc.color(r.value);
      tile.addEventListener("click", function (e) { e.preventDefault(); navigate({ code: r.code }); });
      board.appendChild(tile);
    });
  }

  function renderMap(data) {
    var m = data.measures.filter(function (x) { return x.key === data.measure; })[0];
    var sc = scale(data.rows, m);
    renderLegend(sc, m, m ? m.label : "", data.rows.length > 0);
    var drawable = data.rows.some(function (r) { return r.outline || r.center; }) || data.outline;
    var mapBox = document.getElementById("cc-map");
    var onMap = drawable && window.L;
    mapBox.hidden = !onMap;
    renderBoard(data.rows.filter(function (r) { return !onMap || !(r.outline || r.center); }), sc);
    if (!onMap) {
      status(data.rows.length ? T.no_outline : "");
      return;
    }
    if (!map) map = initMap();
    map.invalidateSize();
    ["areas", "heat", "outline"].forEach(function (k) { if (layers[k]) { map.removeLayer(layers[k]); layers[k] = null; } });
    if (layers.control) { map.removeControl(layers.control); layers.control = null; }
    var bounds = L.latLngBounds([]);
    if (data.outline) {
      layers.outline = L.geoJSON(data.outline, { interactive: false, style: { className: "cc-node-outline", color: BIG ? "#7fd3ff" : "#1d5d9b", weight: 2, dashArray: "6 4", fill: data.rows.length === 0, fillColor: BIG ? "#2a7fc0" : "#6aa6d6", fillOpacity: 0.25 } }).addTo(map);
      bounds.extend(layers.outline.getBounds());
    }
    var areas = L.featureGroup();
    // permanent labels only while they can be read (none on a phone-sized map with many children)
    var labelled = data.rows.length <= Math.min(MAX_LABELS, Math.floor(mapBox.clientWidth * mapBox.clientHeight / LABEL_AREA));
    data.rows.forEach(function (r) {
      var color = sc.color(r.value);
      var shape = null;
      if (r.outline) {
        shape = L.geoJSON(r.outline, { style: { color: BIG ? "#0b1a2e" : "#ffffff", weight: 1.5, fillColor: color, fillOpacity: BIG ? 0.75 : 0.7 } });
      } else if (r.center) {
        shape = L.circleMarker([r.center[1], r.center[0]], { radius: 14, color: "#ffffff", weight: 1.5, fillColor: color, fillOpacity: 0.85 });
      }
      if (!shape) return;
      // a DOM node, never a string: Leaflet puts a string in as HTML, and names come from the database
      shape.bindTooltip(el("span", { text: r.name + "　" + (m ? m.label : "") + " " + r.display + "　（" + T.drill + "）" }), { sticky: true });
      shape.on("click", function () { navigate({ code: r.code }); });
      areas.addLayer(shape);
      if (labelled && r.center) {
        areas.addLayer(L.marker([r.center[1], r.center[0]], {
          interactive: false, keyboard: false,
          icon: L.divIcon({ className: "cc-area-label", html: "", iconSize: null }),
        }).on("add", function (e) {
          var node = e.target.getElement();
          if (node) {
            clear(node);
            node.appendChild(el("div", { className: "cc-area-tag" }, [el("span", { text: r.name }), el("b", { text: r.display })]));
          }
        }));
      }
    });
    layers.areas = areas.addTo(map);
    if (areas.getLayers().length) bounds.extend(areas.getBounds());
    var heat = L.featureGroup();
    var top = Math.max.apply(null, [1].concat(data.heat.map(function (h) { return h.count; })));
    data.heat.forEach(function (h) {
      var radius = 5 + 17 * Math.sqrt(h.count / top);
      var dot = L.circleMarker([h.lat, h.lng], { radius: radius, className: "cc-heat", color: "#e64a19", weight: 1, fillColor: "#ff5722", fillOpacity: 0.45 });
      dot.bindTooltip(el("span", { text: h.count + " " + T.cases + "（" + T.open_list + "）" }));
      dot.on("click", function () { go(h.link); });
      heat.addLayer(dot);
    });
    layers.heat = heat.addTo(map);
    if (heat.getLayers().length) bounds.extend(heat.getBounds());
    var overlays = {};
    overlays[T.areas] = layers.areas;
    overlays[T.heat] = layers.heat;
    layers.control = L.control.layers(null, overlays, { collapsed: !BIG }).addTo(map);
    layers.bounds = bounds.isValid() ? bounds : null;
    fit();
    setTimeout(fit, 60); // once the page's layout has settled
    status("");
  }

  function fit() {
    if (!map) return;
    map.invalidateSize();
    if (layers.bounds) map.fitBounds(layers.bounds, { padding: [16, 16], maxZoom: 16 });
  }

  // --- the table of children --------------------------------------------------------------------

  function renderTable(data) {
    var table = document.getElementById("cc-table");
    clear(table);
    document.getElementById("cc-table-panel").hidden = !data.rows.length; // a grid has no children
    var m = data.measures.filter(function (x) { return x.key === data.measure; })[0];
    var cols = [["reported", T.reported], ["closed", T.closed], ["closed_on_time", T.closed_on_time], ["due", T.due]];
    var head = el("tr", {}, [el("th", { scope: "col", text: T.name })].concat(
      cols.map(function (c) { return el("th", { scope: "col", text: c[1] }); }),
      [el("th", { scope: "col", text: T.on_time_close_rate }), el("th", { scope: "col", text: T.open }),
       el("th", { scope: "col", text: T.overdue })],
      m && ["reported", "open", "overdue", "on_time_close_rate"].indexOf(m.key) < 0 ? [el("th", { scope: "col", text: m.label })] : []));
    table.appendChild(el("thead", {}, [head]));
    var body = el("tbody");
    data.rows.forEach(function (r) {
      var name = el("a", { href: pageUrl({ code: r.code, period: state.period, value: state.value, measure: state.measure }), className: "cc-drill", "data-code": r.code, text: r.name });
      name.addEventListener("click", function (e) { e.preventDefault(); navigate({ code: r.code }); });
      var rate = r.kpis.on_time_close_rate;
      var cells = [el("th", { scope: "row" }, [name])].concat(
        cols.map(function (c) { return el("td", { "data-measure": c[0] }, [link(r.links[c[0]], r.counts[c[0]] || 0)]); }),
        [el("td", {}, [link(r.links.closed_on_time, fmt({ unit: "rate" }, rate))]),
         el("td", { "data-measure": "open_now" }, [link(r.open_links.open, r.open_now.open || 0)]),
         el("td", { "data-measure": "overdue" }, [link(r.open_links.overdue, r.open_now.overdue || 0, r.open_now.overdue ? "cc-bad-text" : null)])],
        m && ["reported", "open", "overdue", "on_time_close_rate"].indexOf(m.key) < 0 ? [el("td", {}, [link(r.link, r.display)])] : []);
      body.appendChild(el("tr", { "data-code": r.code }, cells));
    });
    table.appendChild(body);
  }

  // --- charts -----------------------------------------------------------------------------------

  function chart(id) {
    if (!window.echarts) return null;
    if (!charts[id]) {
      charts[id] = echarts.init(document.getElementById(id), BIG ? "dark" : null, { renderer: "canvas" });
      charts[id].on("click", function (p) { if (p.data && p.data.link) go(p.data.link); });
    }
    return charts[id];
  }

  var BASE = function () {
    return {
      backgroundColor: "transparent",
      animationDuration: 300,
      textStyle: { fontFamily: "system-ui, 'WenQuanYi Micro Hei', 'Noto Sans CJK SC', sans-serif" },
      tooltip: { renderMode: "richText", confine: true },
    };
  };

  function withBase(opt) {
    var base = BASE();
    Object.keys(opt).forEach(function (k) { base[k] = opt[k]; });
    return base;
  }

  function renderTrend(data) {
    var c = chart("cc-trend");
    if (!c) return;
    var series = [["reported", T.reported, "#3a7fc0"], ["closed", T.closed, "#2e7d32"], ["closed_on_time", T.closed_on_time, "#f9a825"]];
    var short = function (at) { return at.length === 10 ? at.slice(5) : at.slice(0, 7); };
    c.setOption(withBase({
      tooltip: { trigger: "axis", renderMode: "richText", confine: true },
      legend: { top: 0, data: series.map(function (s) { return s[1]; }) },
      grid: { left: 36, right: 12, top: 30, bottom: 24 },
      xAxis: { type: "category", data: data.points.map(function (p) { return short(p.at); }) },
      yAxis: { type: "value", minInterval: 1 },
      series: series.map(function (s) {
        return { name: s[1], type: "line", smooth: true, symbolSize: 6, itemStyle: { color: s[2] },
          data: data.points.map(function (p) { return { value: p[s[0]], link: p.links[s[0]] }; }) };
      }),
    }), true);
  }

  function renderCats(data) {
    var c = chart("cc-cats");
    if (!c) return;
    var rows = data.rows.slice().reverse();
    c.setOption(withBase({
      grid: { left: 8, right: 36, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: rows.map(function (r) { return r.name; }), axisLabel: { width: 110, overflow: "truncate" } },
      series: [{ type: "bar", barMaxWidth: 18, itemStyle: { color: "#3a7fc0" }, label: { show: true, position: "right" },
        data: rows.map(function (r) { return { value: r.reported, link: r.link }; }) }],
      graphic: rows.length ? [] : [{ type: "text", left: "center", top: "middle", style: { text: T.no_data, fill: "#8a96a3" } }],
    }), true);
  }

  function renderSources(data) {
    var c = chart("cc-sources");
    if (!c) return;
    c.setOption(withBase({
      legend: { bottom: 0, type: "scroll" },
      series: [{ type: "pie", radius: ["38%", "66%"], center: ["50%", "44%"], label: { formatter: "{b}\n{c}" },
        data: data.rows.map(function (r) { return { name: r.name, value: r.reported, link: r.link }; }) }],
      graphic: data.rows.length ? [] : [{ type: "text", left: "center", top: "middle", style: { text: T.no_data, fill: "#8a96a3" } }],
    }), true);
  }

  function renderSla(s) {
    var c = chart("cc-sla");
    if (!c) return;
    var o = s.open_now;
    var normal = Math.max(0, (o.open || 0) - (o.overdue || 0) - (o.near_due || 0));
    var bars = [
      [T.closed_on_time, s.counts.closed_on_time, s.links.closed_on_time, "#2e7d32"],
      [T.closed_late, s.counts.closed_late, s.links.closed_late, "#8d6e63"],
      [T.normal, normal, s.open_links.normal, "#3a7fc0"],
      [T.near_due, o.near_due || 0, s.open_links.near_due, "#f9a825"],
      [T.overdue, o.overdue || 0, s.open_links.overdue, "#c62828"],
    ];
    c.setOption(withBase({
      grid: { left: 8, right: 8, top: 16, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: bars.map(function (b) { return b[0]; }), axisLabel: { interval: 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", barMaxWidth: 36, label: { show: true, position: "top" },
        data: bars.map(function (b) { return { value: b[1], link: b[2], itemStyle: { color: b[3] } }; }) }],
    }), true);
  }

  // --- the live feed ----------------------------------------------------------------------------

  // "MM-DD HH:MM" on the city's clock (the page's data-tz, as the server renders its pages), not the browser's
  var clock = new Intl.DateTimeFormat("en-CA", { timeZone: document.documentElement.dataset.tz || undefined,
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  function time(iso) {
    var parts = {};
    clock.formatToParts(new Date(iso)).forEach(function (p) { parts[p.type] = p.value; });
    return parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute;
  }

  // the open warnings of the region (gridgov/warnings), highest level first, above the cases
  function warningItems(w) {
    return ((w && w.results) || []).map(function (x) {
      return el("li", { className: "cc-feed-item cc-warning cc-warning-" + x.level }, [
        el("a", { href: "/warnings/" + encodeURIComponent(x.number) + "/" }, [
          el("span", { className: "cc-badge cc-badge-warning-" + x.level, text: x.level_label + T.warning }),
          el("b", { className: "cc-feed-number", text: x.number }),
          el("span", { className: "cc-feed-title", text: x.title }),
          el("span", { className: "cc-feed-meta", text: x.region_name + " · " + time(x.last_seen) }),
        ]),
      ]);
    });
  }

  function renderFeed(f, w) {
    var counts = document.getElementById("cc-feed-counts");
    clear(counts);
    [["open", T.open], ["overdue", T.overdue], ["near_due", T.near_due]].forEach(function (k) {
      counts.appendChild(el("a", { className: "cc-feed-count cc-" + k[0], href: f.open_links[k[0]] }, [
        el("span", { text: k[1] }), el("strong", { text: String(f.open_now[k[0]] || 0) })]));
    });
    var list = document.getElementById("cc-feed");
    clear(list);
    warningItems(w).forEach(function (li) { list.appendChild(li); });
    var seen = {};
    var items = [].concat(f.overdue, f.near_due, f.new).filter(function (x) {
      if (seen[x.number]) return false;
      seen[x.number] = true;
      return true;
    });
    items.forEach(function (x) {
      list.appendChild(el("li", { className: "cc-feed-item cc-" + x.state }, [
        el("a", { href: x.link }, [
          el("span", { className: "cc-badge cc-badge-" + x.state, text: x.state_label }),
          el("b", { className: "cc-feed-number", text: x.number }),
          el("span", { className: "cc-feed-title", text: x.title }),
          el("span", { className: "cc-feed-meta", text: x.place + " · " + time(x.reported_at) }),
        ]),
      ]));
    });
    if (!items.length) list.appendChild(el("li", { className: "cc-empty", text: T.feed_empty }));
    document.getElementById("cc-feed-updated").textContent = T.updated + " " + time(f.generated_at).slice(6);
  }

  function loadFeed() {
    if (document.hidden) return;
    var p = new URLSearchParams({ kind: "event", code: state.code, limit: BIG ? "12" : "8" });
    var wq = new URLSearchParams({ region: state.code, status: "open", limit: "5" });
    var warnings = api.warnings ? getJSON(api.warnings + "?" + wq.toString()).catch(function () { return null; }) : null;
    Promise.all([getJSON(api.feed + "?" + p.toString()), warnings])
      .then(function (r) { renderFeed(r[0], r[1]); }).catch(function (e) { status(T.failed + e.message); });
  }

  // --- loading and navigation -------------------------------------------------------------------

  function load() {
    var mine = ++generation;
    root.classList.add("cc-loading");
    var q = query();
    return Promise.all([
      getJSON(api.summary + "?" + q),
      getJSON(api.map + "?" + query({ measure: state.measure })),
      getJSON(api.trend + "?" + q),
      getJSON(api.mix + "?" + query({ by: "category" })),
      getJSON(api.mix + "?" + query({ by: "source" })),
    ]).then(function (r) {
      if (mine !== generation) return;
      state.code = r[0].node.code;
      state.value = r[0].period.value;
      root.dataset.code = state.code;
      root.dataset.level = String(r[0].node.level);
      renderHead(r[0]);
      renderKpis(r[0]);
      renderMap(r[1]);
      renderTable(r[1]);
      renderTrend(r[2]);
      renderCats(r[3]);
      renderSources(r[4]);
      renderSla(r[0]);
      root.classList.remove("cc-loading");
      root.dataset.ready = "1";
    }).catch(function (e) {
      if (mine !== generation) return;
      root.classList.remove("cc-loading");
      status(T.failed + e.message);
    });
  }

  function navigate(change) {
    Object.keys(change).forEach(function (k) { state[k] = change[k]; });
    history.pushState({ cc: true }, "", pageUrl(state));
    root.dataset.ready = "";
    load();
    loadFeed();
  }

  function fromUrl() {
    var p = new URLSearchParams(window.location.search);
    state.code = p.get("code") || D.code;
    state.period = p.get("period") || "month";
    state.value = p.get("value") || "";
    state.measure = p.get("measure") || "reported";
    document.getElementById("cc-measure").value = state.measure;
  }

  window.addEventListener("popstate", function () {
    fromUrl();
    root.dataset.ready = "";
    load();
    loadFeed();
  });

  document.getElementById("cc-period-kind").addEventListener("change", function (e) {
    navigate({ period: e.target.value, value: "" });
  });
  document.getElementById("cc-measure").addEventListener("change", function (e) {
    navigate({ measure: e.target.value });
  });
  ["cc-prev", "cc-next"].forEach(function (id) {
    document.getElementById(id).addEventListener("click", function (e) {
      var v = e.currentTarget.dataset.value;
      if (e.currentTarget.classList.contains("cc-disabled")) { e.preventDefault(); return; }
      if (!v) return; // before the first load: the server's link
      e.preventDefault();
      navigate({ value: v });
    });
  });
  document.querySelectorAll(".cc-crumbs a").forEach(function (a) {
    a.addEventListener("click", function (e) {
      e.preventDefault();
      var code = new URLSearchParams(a.search).get("code");
      if (code) navigate({ code: code });
    });
  });

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      Object.keys(charts).forEach(function (k) { charts[k].resize(); });
      fit();
    }, 150);
  });

  history.replaceState({ cc: true }, "", pageUrl(state));
  load();
  loadFeed();
  setInterval(loadFeed, FEED_EVERY_MS);
  setInterval(function () { if (!document.hidden) load(); }, ALL_EVERY_MS);
})();
