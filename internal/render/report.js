(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";
  var panel = document.getElementById("details");
  var pre = panel.querySelector("pre");
  // The details panel opens in the page's flow, right under the ladder
  // clicked, so that it never covers a lane, at any width.
  function show(g) {
    openPanel(g.closest(".ladder-box"), g.getAttribute("data-detail"));
    g.classList.add("selected");
    var row = document.getElementById(g.getAttribute("data-row"));
    if (row) { row.classList.add("selected"); }
    if (panel.scrollIntoView) { panel.scrollIntoView({block: "nearest"}); }
  }
  // openPanel shows text in the details panel, placed right after el.
  function openPanel(el, text) {
    document.querySelectorAll(".selected").forEach(function (e) { e.classList.remove("selected"); });
    pre.textContent = text;
    if (el && panel.previousElementSibling !== el) { el.after(panel); }
    panel.hidden = false;
  }
  document.querySelectorAll("svg.ladder g.arrow").forEach(function (g) {
    g.addEventListener("click", function () { show(g); });
    g.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); show(g); }
    });
  });
  panel.querySelector("button").addEventListener("click", function () { panel.hidden = true; });

  // standalone returns the ladder svg as a file of its own: a copy with
  // the page's rules for ladders inside, nothing selected.
  function standalone(svg) {
    var copy = svg.cloneNode(true);
    copy.querySelectorAll(".selected").forEach(function (e) { e.classList.remove("selected"); });
    copy.removeAttribute("tabindex");
    copy.querySelectorAll("[tabindex]").forEach(function (e) { e.removeAttribute("tabindex"); });
    var rules = [];
    Array.prototype.forEach.call(document.styleSheets, function (sheet) {
      Array.prototype.forEach.call(sheet.cssRules, function (r) {
        if (r.selectorText && (r.selectorText.indexOf(":root") === 0 || /(^|,\s*)svg/.test(r.selectorText))) {
          rules.push(r.cssText);
        }
      });
    });
    var style = document.createElementNS(SVGNS, "style");
    style.textContent = rules.join("\n");
    copy.insertBefore(style, copy.firstChild);
    var bg = document.createElementNS(SVGNS, "rect");
    bg.setAttribute("width", "100%");
    bg.setAttribute("height", "100%");
    bg.setAttribute("fill", "#fff");
    copy.insertBefore(bg, style.nextSibling);
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(copy) + "\n";
  }
  window.tcplabStandaloneSVG = standalone;
  document.querySelectorAll("button.save-svg").forEach(function (b) {
    b.addEventListener("click", function () {
      var sec = document.getElementById(b.getAttribute("data-conv"));
      var svg = sec && sec.querySelector("svg.ladder");
      if (!svg) { return; }
      var url = URL.createObjectURL(new Blob([standalone(svg)], {type: "image/svg+xml"}));
      var a = document.createElement("a");
      a.href = url;
      a.download = "tcplab-" + sec.id + ".svg";
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    });
  });

  // For print, a ladder taller than a page is also drawn in page-sized
  // slices (overlapping a little, each headed by the lane labels): a
  // browser cannot split one svg across pages and would cut it off. The
  // slices are copies of the ladder, as many elements again as it has
  // for each page: they are made when the page is about to be printed
  // (the browser's beforeprint, or print media coming into effect), not
  // when it opens.
  var SLICE = 1100, OVERLAP = 40, sliced = false;
  function slice() {
    if (sliced) { return; }
    sliced = true;
    document.querySelectorAll(".ladder-box > svg.ladder").forEach(sliceLadder);
  }
  window.addEventListener("beforeprint", slice);
  var printMedia = window.matchMedia && window.matchMedia("print");
  if (printMedia && printMedia.addEventListener) {
    printMedia.addEventListener("change", function (e) { if (e.matches) { slice(); } });
  }
  function within(e, y, h) {
    try {
      var b = e.getBBox();
      return b.y < y + h && b.y + b.height > y;
    } catch (err) {
      return true;
    }
  }
  function sliceLadder(svg) {
    var vb = svg.viewBox.baseVal;
    if (!vb || vb.height <= SLICE) { return; }
    var labels = svg.querySelectorAll(".lane-label");
    for (var y = 0; y < vb.height - OVERLAP; y += SLICE - OVERLAP) {
      var h = Math.min(SLICE, vb.height - y);
      // The slice holds what it shows: every element but the arrows,
      // and the arrows that reach into it.
      var s = svg.cloneNode(false);
      Array.prototype.forEach.call(svg.children, function (e) {
        if (e.classList.contains("arrow") && !within(e, y, h)) { return; }
        s.appendChild(e.cloneNode(true));
      });
      s.setAttribute("class", "ladder-slice");
      s.removeAttribute("aria-label");
      s.setAttribute("aria-hidden", "true");
      s.setAttribute("viewBox", vb.x + " " + y + " " + vb.width + " " + h);
      s.setAttribute("width", vb.width);
      s.setAttribute("height", h);
      if (y > 0) {
        var bg = document.createElementNS(SVGNS, "rect");
        bg.setAttribute("x", 0); bg.setAttribute("y", y);
        bg.setAttribute("width", vb.width); bg.setAttribute("height", 24);
        bg.setAttribute("fill", "#fff");
        s.appendChild(bg);
        labels.forEach(function (l) {
          var c = l.cloneNode(true);
          c.setAttribute("y", y + 18);
          s.appendChild(c);
        });
      }
      svg.parentNode.appendChild(s);
    }
    svg.parentNode.classList.add("sliced");
  }

  // The stream graphs: the wheel or the buttons zoom, a drag pans, a
  // double click resets; the point nearest the pointer names its packet,
  // and a click opens the packet (its arrow and row when the ladder's
  // window holds it). The drawing is graphplot's: data-plot, data-x,
  // data-y (and data-y2) give its geometry and ranges, each series path
  // its points (data-f, data-t, data-v, data-v2).
  function nums(s) { return s ? s.split(" ").map(Number) : []; }
  function trimZeros(s) { return s.indexOf(".") < 0 ? s : s.replace(/\.?0+$/, ""); }
  function si(v, unit) {
    if (!v || !isFinite(v)) { return "0 " + unit; }
    var ps = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"], [1, ""], [1e-3, "m"], [1e-6, "µ"], [1e-9, "n"]];
    for (var i = 0; i < ps.length; i++) {
      if (Math.abs(v) >= ps[i][0] * 0.9995 || i === ps.length - 1) {
        var x = v / ps[i][0], d = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(x))));
        var s = trimZeros(x.toFixed(d));
        return (s === "-0" ? "0" : s) + " " + ps[i][1] + unit;
      }
    }
    return "0 " + unit;
  }
  function ticks(lo, hi, n) {
    if (!(hi > lo)) { return [lo]; }
    var mag = Math.pow(10, Math.floor(Math.log10((hi - lo) / n))), step = mag, best = Infinity;
    [1, 2, 5, 10].forEach(function (m) {
      var d = Math.abs((hi - lo) / (m * mag) - n);
      if (d < best) { best = d; step = m * mag; }
    });
    var out = [], first = Math.ceil(lo / step);
    for (var i = 0; i <= 4 * n + 2; i++) {
      var v = (first + i) * step;
      if (v > hi + step * 1e-9) { break; }
      out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    }
    return out;
  }
  function svgEl(name, attrs, text) {
    var e = document.createElementNS(SVGNS, name);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  var tip = document.createElement("div");
  tip.id = "graph-tip";
  tip.setAttribute("role", "tooltip");
  tip.hidden = true;
  document.body.appendChild(tip);

  function graph(svg) {
    var p = nums(svg.getAttribute("data-plot")), L = p[0], T = p[1], W = p[2], H = p[3];
    var X = nums(svg.getAttribute("data-x")), Y = nums(svg.getAttribute("data-y"));
    var Y2 = svg.hasAttribute("data-y2") ? nums(svg.getAttribute("data-y2")) : null;
    var units = [svg.getAttribute("data-unit"), svg.getAttribute("data-unit2")];
    var origin = Number(svg.getAttribute("data-origin"));
    var box = svg.closest(".graphs"), sec = svg.closest("section.conv");
    var data = svg.querySelector("g.data"), view = [X[0], X[1], Y[0], Y[1]];
    var series = null, hover = null, drag = null;
    var mark = svgEl("circle", {r: 4, "class": "hover-mark", visibility: "hidden"});
    svg.appendChild(mark);
    function right(v) { // the right axis' range for left-axis range v
      return [Y2[0] + (v[0] - Y[0]) / (Y[1] - Y[0]) * (Y2[1] - Y2[0]), Y2[0] + (v[1] - Y[0]) / (Y[1] - Y[0]) * (Y2[1] - Y2[0])];
    }
    function toPx(x, y, axis) {
      var r = axis === 1 && Y2 ? right([view[2], view[3]]) : [view[2], view[3]];
      return [L + (x - view[0]) / (view[1] - view[0]) * W, T + H - (y - r[0]) / (r[1] - r[0]) * H];
    }
    function redrawTicks() {
      var grid = svg.querySelector("g.grid"), labels = svg.querySelector("g.ticks");
      grid.textContent = "";
      labels.textContent = "";
      ticks(view[0], view[1], Math.max(2, Math.floor(W / 60))).forEach(function (v) {
        var x = L + (v - view[0]) / (view[1] - view[0]) * W;
        grid.appendChild(svgEl("path", {d: "M" + x.toFixed(1) + " " + T + "v" + H}));
        labels.appendChild(svgEl("text", {x: x.toFixed(1), y: T + H + 13, "text-anchor": "middle"}, si(v, "s")));
      });
      var axes = [[view[2], view[3]]];
      if (Y2) { axes.push(right(axes[0])); }
      axes.forEach(function (r, a) {
        ticks(r[0], r[1], Math.max(2, Math.floor(H / 40))).forEach(function (v) {
          var y = T + H - (v - r[0]) / (r[1] - r[0]) * H;
          if (a === 0) { grid.appendChild(svgEl("path", {d: "M" + L + " " + y.toFixed(1) + "h" + W})); }
          labels.appendChild(svgEl("text", {x: a === 0 ? L - 4 : L + W + 4, y: (y + 3.5).toFixed(1), "text-anchor": a === 0 ? "end" : "start"}, si(v, units[a])));
        });
      });
    }
    function apply() {
      var ax = (X[1] - X[0]) / (view[1] - view[0]), ay = (Y[1] - Y[0]) / (view[3] - view[2]);
      var bx = L + (X[0] - view[0]) * W / (view[1] - view[0]) - ax * L;
      var by = T + H - (Y[0] - view[2]) * H / (view[3] - view[2]) - ay * (T + H);
      data.setAttribute("transform", "matrix(" + [ax, 0, 0, ay, bx, by].join(" ") + ")");
      svg.setAttribute("data-view", view.join(" "));
      redrawTicks();
      hideHover();
    }
    function zoom(f, cx, cy) {
      var fx = (cx - L) / W, fy = (T + H - cy) / H;
      var x = view[0] + fx * (view[1] - view[0]), y = view[2] + fy * (view[3] - view[2]);
      var sx = (view[1] - view[0]) * f, sy = (view[3] - view[2]) * f;
      if (sx < 1e-9 * (X[1] - X[0]) && f < 1) { return; }
      view = [x - fx * sx, x + (1 - fx) * sx, y - fy * sy, y + (1 - fy) * sy];
      apply();
    }
    function reset() { view = [X[0], X[1], Y[0], Y[1]]; apply(); }
    function at(e) { // the event's position in the drawing's units
      var m = svg.getScreenCTM();
      if (!m) { return null; }
      var pt = svg.createSVGPoint();
      pt.x = e.clientX;
      pt.y = e.clientY;
      return pt.matrixTransform(m.inverse());
    }
    var bands = [];
    function load() {
      svg.querySelectorAll("g.data path[data-from]").forEach(function (path) {
        bands.push({label: path.getAttribute("data-label"), from: nums(path.getAttribute("data-from")), to: nums(path.getAttribute("data-to"))});
      });
      series = [];
      svg.querySelectorAll("g.data path[data-f]").forEach(function (path) {
        var axis = Number(path.getAttribute("data-axis"));
        series.push({label: path.getAttribute("data-label"), axis: axis, unit: units[axis] || units[0],
          f: nums(path.getAttribute("data-f")), t: nums(path.getAttribute("data-t")),
          v: nums(path.getAttribute("data-v")), v2: nums(path.getAttribute("data-v2"))});
      });
    }
    function nearest(q) {
      if (!series) { load(); }
      var best = null, bd = 144; // within 12 units
      series.forEach(function (s) {
        var scale = s.unit === "s" ? 1e-9 : 1;
        for (var i = 0; i < s.f.length; i++) {
          var v = s.v2.length ? (s.v[i] + s.v2[i]) / 2 : s.v[i];
          var xy = toPx(s.t[i] / 1e6, v * scale, s.axis), dx = xy[0] - q.x, dy = xy[1] - q.y, d = dx * dx + dy * dy;
          if (d < bd) { bd = d; best = {s: s, i: i, x: xy[0], y: xy[1]}; }
        }
      });
      return best;
    }
    function describe(h) {
      var s = h.s, i = h.i, v;
      if (s.unit === "s") { v = (s.v[i] / 1e6).toFixed(3) + " ms"; } else if (s.unit === "bit/s") { v = si(s.v[i], "bit/s"); } else { v = s.v2.length ? s.v[i] + "–" + s.v2[i] : String(s.v[i]); }
      var text = box.getAttribute("data-tip").replace("{frame}", s.f[i]).replace("{time}", ((origin + s.t[i] * 1000) / 1e9).toFixed(6))
        .replace("{series}", s.label).replace("{value}", v);
      bands.forEach(function (b) { // the phase the point falls in
        for (var k = 0; k < b.from.length; k++) {
          if (b.from[k] <= s.t[i] && s.t[i] <= b.to[k]) { text += " · " + b.label; return; }
        }
      });
      return text;
    }
    function hideHover() { hover = null; tip.hidden = true; mark.setAttribute("visibility", "hidden"); }
    function onMove(e) {
      var q = at(e);
      if (!q) { return; }
      if (drag) {
        var dx = q.x - drag.x, dy = q.y - drag.y;
        if (!drag.moved && dx * dx + dy * dy < 9) { return; }
        drag.moved = true;
        var v = drag.view;
        view = [v[0] - dx / W * (v[1] - v[0]), v[1] - dx / W * (v[1] - v[0]), v[2] + dy / H * (v[3] - v[2]), v[3] + dy / H * (v[3] - v[2])];
        apply();
        return;
      }
      hover = q.x >= L && q.x <= L + W && q.y >= T && q.y <= T + H ? nearest(q) : null;
      if (!hover) { hideHover(); return; }
      mark.setAttribute("cx", hover.x.toFixed(1));
      mark.setAttribute("cy", hover.y.toFixed(1));
      mark.setAttribute("visibility", "visible");
      tip.textContent = describe(hover);
      tip.hidden = false;
      tip.style.left = Math.min(e.pageX + 12, document.documentElement.scrollWidth - tip.offsetWidth - 4) + "px";
      tip.style.top = (e.pageY + 14) + "px";
    }
    svg.addEventListener("pointermove", onMove);
    svg.addEventListener("pointerleave", function () { if (!drag) { hideHover(); } });
    svg.addEventListener("pointerdown", function (e) {
      var q = at(e);
      if (q && e.button === 0) { drag = {x: q.x, y: q.y, view: view.slice(), moved: false}; }
    });
    svg.addEventListener("pointerup", function () {
      var moved = drag && drag.moved;
      drag = null;
      if (!moved && hover) { openFrame(hover.s.f[hover.i], describe(hover)); }
    });
    svg.addEventListener("wheel", function (e) {
      var q = at(e);
      if (!q || q.x < L || q.x > L + W || q.y < T || q.y > T + H) { return; }
      e.preventDefault();
      zoom(e.deltaY < 0 ? 0.8 : 1.25, q.x, q.y);
    }, {passive: false});
    svg.addEventListener("dblclick", reset);
    function openFrame(frame, text) {
      var g = sec && sec.querySelector('svg.ladder g.arrow[data-frame="' + frame + '"]');
      if (g) {
        show(g);
        var lb = g.closest(".ladder-box");
        if (lb) { lb.scrollTop = Math.max(0, g.getBBox().y - lb.clientHeight / 2); }
        return;
      }
      openPanel(box, text + "\n" + (sec ? sec.getAttribute("data-outside").replace("{frame}", frame) : ""));
      if (panel.scrollIntoView) { panel.scrollIntoView({block: "nearest"}); }
    }
    var tools = document.createElement("div");
    tools.className = "gtools";
    [["+", "data-zoomin", function () { zoom(0.5, L + W / 2, T + H / 2); }],
      ["−", "data-zoomout", function () { zoom(2, L + W / 2, T + H / 2); }],
      ["⟲", "data-reset", reset]].forEach(function (b) {
      var btn = document.createElement("button");
      btn.type = "button";
      btn.textContent = b[0];
      btn.title = box.getAttribute(b[1]);
      btn.setAttribute("aria-label", btn.title);
      btn.addEventListener("click", b[2]);
      tools.appendChild(btn);
    });
    svg.parentNode.appendChild(tools);
  }
  document.querySelectorAll(".graphs figure.graph > svg").forEach(graph);
  document.querySelectorAll("button.graph-dir").forEach(function (b) {
    b.addEventListener("click", function () {
      var sec = b.closest("section.conv"), dir = b.getAttribute("data-dir");
      sec.querySelectorAll(".graphs").forEach(function (g) { g.hidden = g.getAttribute("data-dir") !== dir; });
      sec.querySelectorAll("button.graph-dir").forEach(function (o) { o.setAttribute("aria-pressed", String(o === b)); });
    });
  });
})();
