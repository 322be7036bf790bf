(function () {
  "use strict";
  var panel = document.getElementById("details");
  var pre = panel.querySelector("pre");
  function show(g) {
    document.querySelectorAll(".selected").forEach(function (e) { e.classList.remove("selected"); });
    g.classList.add("selected");
    pre.textContent = g.getAttribute("data-detail");
    panel.hidden = false;
    var row = document.getElementById(g.getAttribute("data-row"));
    if (row) { row.classList.add("selected"); }
  }
  document.querySelectorAll("svg.ladder g.arrow").forEach(function (g) {
    g.addEventListener("click", function () { show(g); });
    g.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); show(g); }
    });
  });
  panel.querySelector("button").addEventListener("click", function () { panel.hidden = true; });
})();
