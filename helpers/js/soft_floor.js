// Lesson 08's explorer: floor vs a soft floor (top) and the three derivatives by autograd (bottom), drawn
// with uPlot from one period of PyTorch's arrays, shifted by whole numbers to fill the x range.

function tile(t, period, xMin, xMax, shiftValues) {
  const xs = [], ys = [];
  for (let j = Math.floor(xMin) - 1; j <= Math.ceil(xMax) + 1; j++) {
    for (let i = 0; i < t.length; i++) {
      const x = j + t[i];
      if (x >= xMin - 1e-9 && x <= xMax + 1e-9) { xs.push(x); ys.push(period[i] + (shiftValues ? j : 0)); }
    }
  }
  return [xs, ys];
}

function series(style, label) {
  return { label, stroke: style.colour, width: style.width, dash: style.dash, points: { show: false },
           border: style.dash ? (style.dash[0] > 4 ? "dashed" : "dotted") : "solid" };
}

// legend markers drawn with each line's dash too, so the legend reads without colour
const legend = { live: false, markers: { width: 3, dash: (u, i) => u.series[i].border || "solid" } };

export default {
  render({ model, el }) {
    const spec = model.get("spec"), values = decodeHalves(model.get("data")), styles = spec.styles;
    const view = { xMin: -2, xMax: 2, peak: 1.2 };
    el.classList.add("course-explorer", "soft-floor-explorer");
    const caption = element("div", "course-explorer-caption");
    const topBox = element("div"), bottomBox = element("div");
    el.append(caption, topBox, bottomBox);
    const xScale = { time: false, range: () => [view.xMin, view.xMax] };
    const axes = (label) => [{ label: "x" }, { label, size: 60 }];
    const cursor = { sync: { key: "soft-floor-" + Math.random() }, drag: { x: false, y: false } };
    const top = new uPlot({
      width: spec.width, height: spec.top_height, cursor, legend,
      scales: { x: xScale }, axes: axes("value"),
      series: [{}, series(styles.floor, "floor(x)"), series(styles.soft, "soft floor")],
    }, [[], [], []], topBox);
    const bottom = new uPlot({
      width: spec.width, height: spec.bottom_height, cursor, legend,
      scales: { x: xScale, y: { range: () => [-0.15 * view.peak, 1.1 * view.peak] } }, axes: axes("d/dx"),
      series: [{}, series(styles.floor, "floor (autograd: 0)"), series(styles.ste, "straight-through floor (1)"),
               series(styles.soft, "soft floor")],
    }, [[], [], [], []], bottomBox);

    function draw() {
      const start = performance.now();
      const k = nearestIndex(model.get("sharpness"), spec.sharpness);
      const name = spec.approximations[model.get("approximation_index")] || spec.approximations[0];
      [view.xMin, view.xMax] = model.get("x_range");
      const t = rowOf(values, spec, "t");
      const [x, floor] = tile(t, rowOf(values, spec, "floor"), view.xMin, view.xMax, true);
      const [, soft] = tile(t, rowOf(values, spec, name + "_value", k), view.xMin, view.xMax, true);
      const [, softGrad] = tile(t, rowOf(values, spec, name + "_grad", k), view.xMin, view.xMax, false);
      const [, floorGrad] = tile(t, rowOf(values, spec, "floor_grad"), view.xMin, view.xMax, false);
      const [, steGrad] = tile(t, rowOf(values, spec, "ste_grad"), view.xMin, view.xMax, false);
      view.peak = Math.max(1.2, ...softGrad);
      const sharpness = spec.sharpness.min + k * spec.sharpness.step;
      caption.textContent = `soft floor: ${name}, sharpness ${+sharpness.toFixed(2)}; ` +
        "values on top, derivatives by autograd below";
      top.setData([x, floor, soft]);
      bottom.setData([x, floorGrad, steGrad, softGrad]);
      noteRedraw(el, start, `${name} ${+sharpness.toFixed(2)} ${view.xMin} ${view.xMax} peak ${view.peak.toFixed(3)}`);
    }

    for (const name of ["sharpness", "approximation_index", "x_range"]) model.on("change:" + name, draw);
    draw();
    return () => { top.destroy(); bottom.destroy(); };
  },
};
