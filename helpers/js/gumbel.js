// Lesson 09's explorer: seeded F.gumbel_softmax samples and their gradients wrt the logits, as two tables of
// coloured cells (the matplotlib figure's colours), looked up per temperature and hard=True.

function label(v) {  // as the matplotlib figure writes them: exact zeros stand out
  return v === 0 ? "0" : Math.abs(v) >= 0.005 ? String(+v.toPrecision(2)) : "≈0";
}

function table(title, rows, columns) {
  const box = element("div", "course-explorer-table"), grid = element("table");
  box.append(element("div", "course-explorer-caption", title), grid);
  const head = grid.insertRow();
  head.append(element("th"));
  for (const c of columns) head.append(element("th", "", c));
  const cells = rows.map((r) => {
    const row = grid.insertRow();
    row.append(element("th", "", r));
    return columns.map(() => row.insertCell());
  });
  return { box, title: box.firstChild, cells };
}

export default {
  render({ model, el }) {
    const spec = model.get("spec"), values = decodeHalves(model.get("data"));
    const colours = decodeBase64(model.get("colours"));
    el.classList.add("course-explorer", "gumbel-explorer");
    el.style.width = spec.width + "px";
    const samples = table("", spec.labels.rows, spec.labels.columns);
    const grads = table(`gradient of (sample · [${spec.labels.values.join(", ")}]) wrt the logits`,
                        spec.labels.rows, spec.labels.columns.map((c) => c.split(":")[0]));
    el.append(samples.box, grads.box);
    const [, shape] = spec.arrays.samples, perCase = shape[2] * shape[3];

    function fill(cells, name, palette, index) {
      const [offset] = spec.arrays[name];
      cells.forEach((row, i) => row.forEach((cell, j) => {
        const at = index * perCase + i * shape[3] + j;
        const [background, dark] = spec[palette][colours[offset + at]];
        cell.textContent = label(values[offset + at]);
        cell.style.background = background;
        cell.style.color = dark ? "white" : "black";
      }));
    }

    function draw() {
      const start = performance.now();
      const i = nearestIndex(Math.log10(model.get("temperature")), spec.exponent), hard = model.get("hard") ? 1 : 0;
      const tau = +(10 ** (spec.exponent.min + i * spec.exponent.step)).toPrecision(3);
      samples.title.textContent = `${shape[2]} samples of F.gumbel_softmax(logits, tau=${tau}${hard ? ", hard=True" : ""})`;
      fill(samples.cells, "samples", "blues", hard * shape[1] + i);
      fill(grads.cells, "grads", "rdbu", hard * shape[1] + i);
      noteRedraw(el, start, `tau ${tau} hard ${hard}`);
    }

    model.on("change:temperature", draw);
    model.on("change:hard", draw);
    draw();
  },
};
