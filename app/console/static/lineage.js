// The lineage graph: the page's walk (JSON in #graph-data) drawn with cytoscape and dagre.
// Click a node: the graph recentres on it; double-click: its page. Pan and zoom as usual.
// A large graph comes drawn by the server (#graph-drawn, SVG): here it only gets pan and zoom.
(function () {
  "use strict";
  function shown(holder, count) {
    performance.mark("lineage:drawn");
    holder.setAttribute("data-drawn-ms", String(Math.round(performance.now())));
    holder.setAttribute("data-drawn", String(count));
  }
  // drag to pan, wheel to zoom around the pointer: the SVG's viewBox moves, nothing is redrawn
  function panAndZoom(svg) {
    var box = svg.viewBox.baseVal;
    var dragged = null;
    var moved = false;
    function at(event) {
      var point = svg.createSVGPoint();
      point.x = event.clientX;
      point.y = event.clientY;
      return point.matrixTransform(svg.getScreenCTM().inverse());
    }
    svg.addEventListener("wheel", function (event) {
      event.preventDefault();
      var p = at(event);
      var f = event.deltaY > 0 ? 1.25 : 0.8;
      box.x = p.x - (p.x - box.x) * f;
      box.y = p.y - (p.y - box.y) * f;
      box.width *= f;
      box.height *= f;
    }, { passive: false });
    svg.addEventListener("pointerdown", function (event) { dragged = at(event); moved = false; });
    svg.addEventListener("pointermove", function (event) {
      if (!dragged) { return; }
      var p = at(event);
      if (Math.abs(p.x - dragged.x) + Math.abs(p.y - dragged.y) > 2) { moved = true; }
      box.x -= p.x - dragged.x;
      box.y -= p.y - dragged.y;
    });
    svg.addEventListener("pointerup", function () { dragged = null; });
    svg.addEventListener("pointerleave", function () { dragged = null; });
    // a click on a node opens its page (the list below has the same links for the keyboard);
    // a drag that ends on a node does not
    svg.addEventListener("click", function (event) {
      var url = event.target.getAttribute("data-url");
      if (url && !moved) { window.location.href = url; }
    });
  }
  function draw() {
    var holder = document.getElementById("graph");
    var data = document.getElementById("graph-data");
    var svg = document.getElementById("graph-drawn");
    if (holder && svg) {
      performance.mark("lineage:start");
      panAndZoom(svg);
      performance.mark("lineage:created");
      // the second frame's callback comes after the first frame with the graph was painted
      requestAnimationFrame(function () {
        requestAnimationFrame(function () { shown(holder, svg.querySelectorAll("circle").length); });
      });
      return;
    }
    if (!holder || !data || typeof cytoscape !== "function") { return; }
    // the page's own marks (bench/console.py prints them): where the time to a drawn graph goes
    performance.mark("lineage:start");
    var graph = JSON.parse(data.textContent);
    performance.mark("lineage:parsed");
    if (typeof cytoscapeDagre === "function") { cytoscape.use(cytoscapeDagre); }
    var large = graph.nodes.length > 200;
    var rows = {};
    var elements = graph.nodes.map(function (n) {
      var row = rows[n.hop] = (rows[n.hop] || 0) + 1;
      return {
        data: { id: n.id, label: n.name, kind: n.kind, url: n.url, start: n.id === graph.start },
        position: { x: n.hop * 260, y: row * 34 }
      };
    }).concat(graph.edges.map(function (e, i) {
      return { data: { id: "e" + i, source: e.source, target: e.target, relation: e.relation } };
    }));
    var colours = { datastore: "#1f5fbf", dataset: "#6f8fd0", workspace: "#2e9e4f", transformer: "#e07a1f" };
    var cy = cytoscape({
      container: holder,
      elements: elements,
      wheelSensitivity: 0.3,
      minZoom: 0.05,
      maxZoom: 1.6,
      style: [
        { selector: "node", style: {
          // a large graph drawn whole is too small to read its labels: they wait for the zoom
          "label": "data(label)", "font-size": 11, "min-zoomed-font-size": large ? 8 : 0, "text-valign": "bottom", "text-margin-y": 4,
          "width": 18, "height": 18, "background-color": function (n) { return colours[n.data("kind")] || "#888"; },
          "shape": function (n) { return n.data("kind") === "transformer" ? "diamond" : n.data("kind") === "workspace" ? "round-rectangle" : "ellipse"; }
        } },
        { selector: "node[?start]", style: { "border-width": 4, "border-color": "#f2b705", "width": 26, "height": 26 } },
        { selector: "edge", style: {
          "width": 1.5, "line-color": "#9aa3b2", "target-arrow-color": "#9aa3b2",
          "target-arrow-shape": "triangle", "curve-style": large ? "straight" : "bezier"
        } }
      ],
      // dagre reads best but costs seconds past a few hundred nodes: then one column per hop
      // from the start, as the server counted them (no layout to compute)
      textureOnViewport: large,
      hideEdgesOnViewport: large,
      layout: !large && typeof cytoscapeDagre === "function"
        ? { name: "dagre", rankDir: "LR", nodeSep: 12, rankSep: 80 }
        : { name: "preset", fit: true, padding: 20 }
    });
    performance.mark("lineage:created");
    cy.on("tap", "node", function (event) {
      var node = event.target;
      cy.animate({ center: { eles: node }, zoom: Math.max(cy.zoom(), 1) }, { duration: 250 });
    });
    cy.on("dbltap", "node", function (event) { window.location.href = event.target.data("url"); });
    cy.one("render", function () { shown(holder, cy.nodes().length); });
    window.ecoplaneGraph = cy;
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
}());
