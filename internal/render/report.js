(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";
  var panel = document.getElementById("details");
  var pre = panel.querySelector("pre");
  // The details panel opens in the page's flow, right under the ladder
  // clicked, so that it never covers a lane, at any width.
  function show(g) {
    document.querySelectorAll(".selected").forEach(function (e) { e.classList.remove("selected"); });
    g.classList.add("selected");
    pre.textContent = g.getAttribute("data-detail");
    var box = g.closest(".ladder-box");
    if (box && panel.previousElementSibling !== box) { box.after(panel); }
    panel.hidden = false;
    var row = document.getElementById(g.getAttribute("data-row"));
    if (row) { row.classList.add("selected"); }
    if (panel.scrollIntoView) { panel.scrollIntoView({block: "nearest"}); }
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
  // browser cannot split one svg across pages and would cut it off.
  var SLICE = 1100, OVERLAP = 40;
  document.querySelectorAll(".ladder-box > svg.ladder").forEach(function (svg) {
    var vb = svg.viewBox.baseVal;
    if (!vb || vb.height <= SLICE) { return; }
    var labels = svg.querySelectorAll(".lane-label");
    for (var y = 0; y < vb.height - OVERLAP; y += SLICE - OVERLAP) {
      var h = Math.min(SLICE, vb.height - y);
      var s = svg.cloneNode(true);
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
  });
})();
