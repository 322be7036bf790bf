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

  // Plot is one graph: its geometry (the plot's left, top, width and
  // height in the drawing's units), its full ranges (X, Y, Y2) and the
  // range shown (view: seconds, then the left axis).
  function Plot(svg) {
    var p = nums(svg.getAttribute("data-plot"));
    this.svg = svg;
    this.L = p[0]; this.T = p[1]; this.W = p[2]; this.H = p[3];
    this.X = nums(svg.getAttribute("data-x"));
    this.Y = nums(svg.getAttribute("data-y"));
    this.Y2 = svg.hasAttribute("data-y2") ? nums(svg.getAttribute("data-y2")) : null;
    this.units = [svg.getAttribute("data-unit"), svg.getAttribute("data-unit2")];
    this.origin = Number(svg.getAttribute("data-origin"));
    this.box = svg.closest(".graphs");
    this.sec = svg.closest("section.conv");
    this.data = svg.querySelector("g.data");
    this.view = [this.X[0], this.X[1], this.Y[0], this.Y[1]];
    this.series = null;
    this.bands = [];
    this.mark = svgEl("circle", {r: 4, "class": "hover-mark", visibility: "hidden"});
    svg.appendChild(this.mark);
  }
  // right returns the right axis' range for the left axis' range r.
  Plot.prototype.right = function (r) {
    var Y = this.Y, Y2 = this.Y2;
    return [Y2[0] + (r[0] - Y[0]) / (Y[1] - Y[0]) * (Y2[1] - Y2[0]), Y2[0] + (r[1] - Y[0]) / (Y[1] - Y[0]) * (Y2[1] - Y2[0])];
  };
  // toPx returns where value y of an axis at time x is drawn in the view.
  Plot.prototype.toPx = function (x, y, axis) {
    var v = this.view, r = axis === 1 && this.Y2 ? this.right([v[2], v[3]]) : [v[2], v[3]];
    return [this.L + (x - v[0]) / (v[1] - v[0]) * this.W, this.T + this.H - (y - r[0]) / (r[1] - r[0]) * this.H];
  };
  Plot.prototype.redrawTicks = function () {
    var self = this, v = this.view, L = this.L, T = this.T, W = this.W, H = this.H;
    var grid = this.svg.querySelector("g.grid"), labels = this.svg.querySelector("g.ticks");
    grid.textContent = "";
    labels.textContent = "";
    ticks(v[0], v[1], Math.max(2, Math.floor(W / 60))).forEach(function (t) {
      var x = L + (t - v[0]) / (v[1] - v[0]) * W;
      grid.appendChild(svgEl("path", {d: "M" + x.toFixed(1) + " " + T + "v" + H}));
      labels.appendChild(svgEl("text", {x: x.toFixed(1), y: T + H + 13, "text-anchor": "middle"}, si(t, "s")));
    });
    var axes = [[v[2], v[3]]];
    if (this.Y2) { axes.push(this.right(axes[0])); }
    axes.forEach(function (r, a) {
      ticks(r[0], r[1], Math.max(2, Math.floor(H / 40))).forEach(function (t) {
        var y = T + H - (t - r[0]) / (r[1] - r[0]) * H;
        if (a === 0) { grid.appendChild(svgEl("path", {d: "M" + L + " " + y.toFixed(1) + "h" + W})); }
        labels.appendChild(svgEl("text", {x: a === 0 ? L - 4 : L + W + 4, y: (y + 3.5).toFixed(1), "text-anchor": a === 0 ? "end" : "start"}, si(t, self.units[a])));
      });
    });
  };
  // apply draws the view: the data group transformed, the ticks redrawn.
  Plot.prototype.apply = function () {
    var v = this.view, X = this.X, Y = this.Y, L = this.L, T = this.T, W = this.W, H = this.H;
    var ax = (X[1] - X[0]) / (v[1] - v[0]), ay = (Y[1] - Y[0]) / (v[3] - v[2]);
    var bx = L + (X[0] - v[0]) * W / (v[1] - v[0]) - ax * L;
    var by = T + H - (Y[0] - v[2]) * H / (v[3] - v[2]) - ay * (T + H);
    this.data.setAttribute("transform", "matrix(" + [ax, 0, 0, ay, bx, by].join(" ") + ")");
    this.svg.setAttribute("data-view", v.join(" "));
    this.redrawTicks();
    this.hideHover();
  };
  // zoom scales the view by f about the point (cx, cy) of the drawing.
  Plot.prototype.zoom = function (f, cx, cy) {
    var v = this.view, fx = (cx - this.L) / this.W, fy = (this.T + this.H - cy) / this.H;
    var x = v[0] + fx * (v[1] - v[0]), y = v[2] + fy * (v[3] - v[2]);
    var sx = (v[1] - v[0]) * f, sy = (v[3] - v[2]) * f;
    if (sx < 1e-9 * (this.X[1] - this.X[0]) && f < 1) { return; }
    this.view = [x - fx * sx, x + (1 - fx) * sx, y - fy * sy, y + (1 - fy) * sy];
    this.apply();
  };
  Plot.prototype.reset = function () { this.view = [this.X[0], this.X[1], this.Y[0], this.Y[1]]; this.apply(); };
  Plot.prototype.inside = function (q) { return q.x >= this.L && q.x <= this.L + this.W && q.y >= this.T && q.y <= this.T + this.H; };
  // at returns the position of a pointer event in the drawing's units.
  Plot.prototype.at = function (e) {
    var m = this.svg.getScreenCTM();
    if (!m) { return null; }
    var pt = this.svg.createSVGPoint();
    pt.x = e.clientX;
    pt.y = e.clientY;
    return pt.matrixTransform(m.inverse());
  };
  // load reads the points and bands from the drawing, at the first hover.
  Plot.prototype.load = function () {
    var self = this;
    this.svg.querySelectorAll("g.data path[data-from]").forEach(function (path) {
      self.bands.push({label: path.getAttribute("data-label"), from: nums(path.getAttribute("data-from")), to: nums(path.getAttribute("data-to"))});
    });
    this.series = [];
    this.svg.querySelectorAll("g.data path[data-f]").forEach(function (path) {
      var axis = Number(path.getAttribute("data-axis"));
      self.series.push({label: path.getAttribute("data-label"), axis: axis, unit: self.units[axis] || self.units[0],
        f: nums(path.getAttribute("data-f")), t: nums(path.getAttribute("data-t")),
        v: nums(path.getAttribute("data-v")), v2: nums(path.getAttribute("data-v2"))});
    });
  };
  // nearest returns the point drawn nearest q, within 12 units, or null.
  Plot.prototype.nearest = function (q) {
    if (!this.series) { this.load(); }
    var self = this, best = null, bd = 144;
    this.series.forEach(function (s) {
      var scale = s.unit === "s" ? 1e-9 : 1;
      for (var i = 0; i < s.f.length; i++) {
        var v = s.v2.length ? (s.v[i] + s.v2[i]) / 2 : s.v[i];
        var xy = self.toPx(s.t[i] / 1e6, v * scale, s.axis), dx = xy[0] - q.x, dy = xy[1] - q.y, d = dx * dx + dy * dy;
        if (d < bd) { bd = d; best = {s: s, i: i, x: xy[0], y: xy[1]}; }
      }
    });
    return best;
  };
  // describe names point h: its frame, time, series, value and phase.
  Plot.prototype.describe = function (h) {
    var s = h.s, i = h.i, v;
    if (s.unit === "s") { v = (s.v[i] / 1e6).toFixed(3) + " ms"; } else if (s.unit === "bit/s") { v = si(s.v[i], "bit/s"); } else { v = s.v2.length ? s.v[i] + "–" + s.v2[i] : String(s.v[i]); }
    var text = this.box.getAttribute("data-tip").replace("{frame}", s.f[i]).replace("{time}", ((this.origin + s.t[i] * 1000) / 1e9).toFixed(6))
      .replace("{series}", s.label).replace("{value}", v);
    // The phase the point falls in: phases tile the transfer, end to
    // start, so at a boundary the one that starts there.
    var phase = null, from = -Infinity;
    this.bands.forEach(function (b) {
      for (var k = 0; k < b.from.length; k++) {
        if (b.from[k] <= s.t[i] && s.t[i] <= b.to[k] && b.from[k] > from) { phase = b.label; from = b.from[k]; }
      }
    });
    return phase ? text + " · " + phase : text;
  };
  Plot.prototype.hideHover = function () { this.hover = null; tip.hidden = true; this.mark.setAttribute("visibility", "hidden"); };
  Plot.prototype.showHover = function (e, h) {
    this.hover = h;
    this.mark.setAttribute("cx", h.x.toFixed(1));
    this.mark.setAttribute("cy", h.y.toFixed(1));
    this.mark.setAttribute("visibility", "visible");
    tip.textContent = this.describe(h);
    tip.hidden = false;
    tip.style.left = Math.min(e.pageX + 12, document.documentElement.scrollWidth - tip.offsetWidth - 4) + "px";
    tip.style.top = (e.pageY + 14) + "px";
  };
  // open shows the packet of frame: its arrow and row in the ladder, or,
  // outside the ladder's window, text and a note that says so.
  Plot.prototype.open = function (frame, text) {
    var g = this.sec && this.sec.querySelector('svg.ladder g.arrow[data-frame="' + frame + '"]');
    if (g) {
      show(g);
      var lb = g.closest(".ladder-box");
      if (lb) { lb.scrollTop = Math.max(0, g.getBBox().y - lb.clientHeight / 2); }
      return;
    }
    openPanel(this.box, text + "\n" + (this.sec ? this.sec.getAttribute("data-outside").replace("{frame}", frame) : ""));
    if (panel.scrollIntoView) { panel.scrollIntoView({block: "nearest"}); }
  };

  // listen wires a plot's pointer, wheel and double-click events.
  function listen(pl) {
    var svg = pl.svg, drag = null;
    svg.addEventListener("pointermove", function (e) {
      var q = pl.at(e);
      if (!q) { return; }
      if (drag) {
        var dx = q.x - drag.x, dy = q.y - drag.y, v = drag.view;
        if (!drag.moved && dx * dx + dy * dy < 9) { return; }
        drag.moved = true;
        pl.view = [v[0] - dx / pl.W * (v[1] - v[0]), v[1] - dx / pl.W * (v[1] - v[0]), v[2] + dy / pl.H * (v[3] - v[2]), v[3] + dy / pl.H * (v[3] - v[2])];
        pl.apply();
        return;
      }
      var h = pl.inside(q) ? pl.nearest(q) : null;
      if (h) { pl.showHover(e, h); } else { pl.hideHover(); }
    });
    svg.addEventListener("pointerleave", function () { if (!drag) { pl.hideHover(); } });
    svg.addEventListener("pointerdown", function (e) {
      var q = pl.at(e);
      if (q && e.button === 0) { drag = {x: q.x, y: q.y, view: pl.view.slice(), moved: false}; }
    });
    svg.addEventListener("pointerup", function () {
      var moved = drag && drag.moved, h = pl.hover;
      drag = null;
      if (!moved && h) { pl.open(h.s.f[h.i], pl.describe(h)); }
    });
    svg.addEventListener("wheel", function (e) {
      var q = pl.at(e);
      if (!q || !pl.inside(q)) { return; }
      e.preventDefault();
      pl.zoom(e.deltaY < 0 ? 0.8 : 1.25, q.x, q.y);
    }, {passive: false});
    svg.addEventListener("dblclick", function () { pl.reset(); });
    // From the keyboard: + and − zoom, the arrows pan, 0 restores.
    svg.setAttribute("tabindex", "0");
    svg.addEventListener("keydown", function (e) {
      var v = pl.view, sx = (v[1] - v[0]) / 10, sy = (v[3] - v[2]) / 10;
      var pan = {ArrowLeft: [-sx, 0], ArrowRight: [sx, 0], ArrowUp: [0, sy], ArrowDown: [0, -sy]}[e.key];
      if (e.key === "+" || e.key === "=") { pl.zoom(0.5, pl.L + pl.W / 2, pl.T + pl.H / 2); } else if (e.key === "-") { pl.zoom(2, pl.L + pl.W / 2, pl.T + pl.H / 2); } else if (e.key === "0") { pl.reset(); } else if (pan) {
        pl.view = [v[0] + pan[0], v[1] + pan[0], v[2] + pan[1], v[3] + pan[1]];
        pl.apply();
      } else { return; }
      e.preventDefault();
    });
  }

  // tools adds a plot's zoom buttons, named in the page's language.
  function tools(pl) {
    var div = document.createElement("div"), cx = pl.L + pl.W / 2, cy = pl.T + pl.H / 2;
    div.className = "gtools";
    [["+", "data-zoomin", function () { pl.zoom(0.5, cx, cy); }],
      ["−", "data-zoomout", function () { pl.zoom(2, cx, cy); }],
      ["⟲", "data-reset", function () { pl.reset(); }]].forEach(function (b) {
      var btn = document.createElement("button");
      btn.type = "button";
      btn.textContent = b[0];
      btn.title = pl.box.getAttribute(b[1]);
      btn.setAttribute("aria-label", btn.title);
      btn.addEventListener("click", b[2]);
      div.appendChild(btn);
    });
    pl.svg.parentNode.appendChild(div);
  }
  function graph(svg) {
    var pl = new Plot(svg);
    listen(pl);
    tools(pl);
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
