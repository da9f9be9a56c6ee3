// Renders every chart of the Gradscope report with vega-embed (vendored and inlined above).
// Results are exposed for tests and for the curious reader's console:
//   window.gradscopeCharts[elementId] = { ok: true, view } | { ok: false, error }
//   window.gradscopeChartsReady       = a promise resolved once every chart has settled.
(function () {
  "use strict";
  var charts = JSON.parse(document.getElementById("gradscope-charts").textContent);
  var results = {};
  window.gradscopeCharts = results;
  var options = {
    mode: "vega-lite",
    renderer: "svg",
    // everything works offline: export to SVG/PNG and view the spec; no link to the online editor
    actions: { export: true, source: true, compiled: false, editor: false }
  };
  var jobs = charts.map(function (c) {
    var el = document.getElementById(c.element);
    var opts = Object.assign({}, options, { downloadFileName: c.element });
    return vegaEmbed(el, c.spec, opts).then(function (r) {
      results[c.element] = { ok: true, view: r.view };
    }).catch(function (e) {
      results[c.element] = { ok: false, error: String(e) };
      el.classList.add("chart-error");
      el.textContent = "This chart could not be drawn: " + e;
      console.error("Gradscope chart " + c.element + ": " + e);
    });
  });
  window.gradscopeChartsReady = Promise.all(jobs).then(function () { return results; });
})();
