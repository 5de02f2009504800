// Polygon drawing over the camera frame: click adds a point (on an edge: inserts it there), drag moves one,
// right-click deletes one. Points are normalised to 0..1 of the frame, as the zone configuration wants them.
const HIT_PX = 10;

function clamp01(v) {
  return Math.min(1, Math.max(0, v));
}

function segmentDistance(p, a, b) {
  const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  const len2 = dx * dx + dy * dy || 1;
  const u = Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2));
  return Math.hypot(p[0] - (a[0] + u * dx), p[1] - (a[1] + u * dy));
}

export class PolygonCanvas {
  constructor(canvas, onChange) {
    this.canvas = canvas;
    this.onChange = onChange;
    this.points = [];
    this.others = [];
    this.editable = true;
    this.dragging = null;
    canvas.addEventListener("pointerdown", (e) => this.down(e));
    canvas.addEventListener("pointermove", (e) => this.move(e));
    canvas.addEventListener("pointerup", () => this.up());
    canvas.addEventListener("contextmenu", (e) => this.remove(e));
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  set(points, others = []) {
    this.points = points.map((p) => [...p]);
    this.others = others;
    this.draw();
  }

  px(point) {
    return [point[0] * this.canvas.clientWidth, point[1] * this.canvas.clientHeight];
  }

  at(e) {
    const box = this.canvas.getBoundingClientRect();
    return [e.clientX - box.left, e.clientY - box.top];
  }

  hit(pos) {
    return this.points.findIndex((p) => Math.hypot(...this.px(p).map((v, i) => v - pos[i])) <= HIT_PX);
  }

  edge(pos) {
    for (let i = 0; this.points.length >= 3 && i < this.points.length; i += 1) {
      const [a, b] = [this.px(this.points[i]), this.px(this.points[(i + 1) % this.points.length])];
      if (segmentDistance(pos, a, b) <= HIT_PX / 2) return i + 1;
    }
    return -1;
  }

  normalised(pos) {
    const round = (v) => Math.round(clamp01(v) * 10000) / 10000;
    return [round(pos[0] / this.canvas.clientWidth), round(pos[1] / this.canvas.clientHeight)];
  }

  down(e) {
    if (!this.editable || e.button !== 0) return;
    const pos = this.at(e);
    let index = this.hit(pos);
    if (index < 0) {
      const insert = this.edge(pos);
      index = insert > 0 ? insert : this.points.length;
      this.points.splice(index, 0, this.normalised(pos));
      this.changed();
    }
    this.dragging = index;
    this.canvas.setPointerCapture(e.pointerId);
  }

  move(e) {
    if (this.dragging === null) return;
    this.points[this.dragging] = this.normalised(this.at(e));
    this.draw();
  }

  up() {
    if (this.dragging !== null) this.changed();
    this.dragging = null;
  }

  remove(e) {
    e.preventDefault();
    const index = this.editable ? this.hit(this.at(e)) : -1;
    if (index >= 0) {
      this.points.splice(index, 1);
      this.changed();
    }
  }

  changed() {
    this.draw();
    this.onChange(this.points);
  }

  path(ctx, points) {
    ctx.beginPath();
    points.forEach((p, i) => (i ? ctx.lineTo(...this.px(p)) : ctx.moveTo(...this.px(p))));
    ctx.closePath();
  }

  draw() {
    const { canvas } = this;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(canvas.clientWidth * ratio);
    canvas.height = Math.round(canvas.clientHeight * ratio);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.font = "13px system-ui, sans-serif";
    for (const zone of this.others) {
      this.path(ctx, zone.polygon);
      ctx.setLineDash([6, 4]);
      ctx.strokeStyle = "rgba(200, 210, 220, 0.8)";
      ctx.lineWidth = 1.5;
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = "rgba(200, 210, 220, 0.9)";
      ctx.fillText(zone.id, ...this.px(zone.polygon[0]).map((v) => v + 4));
    }
    if (!this.points.length) return;
    this.path(ctx, this.points);
    ctx.fillStyle = "rgba(56, 189, 248, 0.22)";
    if (this.points.length >= 3) ctx.fill();
    ctx.strokeStyle = "#38bdf8";
    ctx.lineWidth = 2;
    ctx.stroke();
    this.points.forEach((p) => {
      ctx.beginPath();
      ctx.arc(...this.px(p), 5, 0, Math.PI * 2);
      ctx.fillStyle = "#0b1220";
      ctx.fill();
      ctx.stroke();
    });
  }
}
