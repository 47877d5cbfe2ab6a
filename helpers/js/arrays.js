// Shared by the explorers (concatenated in front of each one's module by helpers/live_widgets.py).
// The arrays come from PyTorch as little-endian float16 in base64; the browser only looks them up.

function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1, exponent = (h >> 10) & 0x1f, fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);  // subnormal
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function decodeBase64(text) {
  const binary = atob(text), bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function decodeHalves(text) {
  const bytes = decodeBase64(text), out = new Float32Array(bytes.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = halfToFloat(bytes[2 * i] | (bytes[2 * i + 1] << 8));
  return out;
}

// row `row` (flat index over all leading axes) of the array `name` described in spec.arrays
function rowOf(values, spec, name, row = 0) {
  const [offset, shape] = spec.arrays[name], n = shape[shape.length - 1];
  return values.subarray(offset + row * n, offset + (row + 1) * n);
}

function nearestIndex(value, grid) {
  const i = Math.round((value - grid.min) / grid.step);
  return Math.min(Math.max(i, 0), Math.round((grid.max - grid.min) / grid.step));
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// after each redraw: how long it took and when the next frame came (read by the benchmark and the tests)
function noteRedraw(el, start, state) {
  const end = performance.now();
  el.dataset.state = state;
  el.dataset.redraws = String(Number(el.dataset.redraws || 0) + 1);
  el.dataset.redrawMs = (end - start).toFixed(3);
  requestAnimationFrame(() => { el.dataset.frameAt = performance.now().toFixed(3); });
}
