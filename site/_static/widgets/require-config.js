// Where require.js finds the widget modules on the course website: in this folder, never on a CDN.
(function () {
  var here = document.currentScript.src.replace(/[^/]*$/, "");
  require.config({
    paths: {
      "anywidget": here + "anywidget/index",
      // html-manager looks its icon fonts up under this name
      "@jupyter-widgets/html-manager/dist": here + "html-manager",
    },
  });
})();

// ipywidgets typesets its labels with MathJax 2's `MathJax.Hub.Queue`; the site runs MathJax 3, which has no
// Hub, so every slider label threw. Give the loaded MathJax 3 a Hub whose Queue typesets with MathJax 3.
(function () {
  function withHub(mathjax) {
    if (mathjax && mathjax.startup && !mathjax.Hub) {
      mathjax.Hub = { Queue: function (job) { if (mathjax.typesetPromise) mathjax.typesetPromise([job[2]]).catch(function () {}); } };
    }
    return mathjax;
  }
  var current = window.MathJax;
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    get: function () { return withHub(current); },
    set: function (value) { current = value; },
  });
})();
