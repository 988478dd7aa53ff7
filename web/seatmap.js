// A schedule's seat map on one canvas: sections stacked top to bottom, each
// row by row from its first seat id (SPEC §13), free seats in their
// section's colour, taken ones grey, the fan's own holds outlined.

const PALETTE = ["#4b5bdc", "#0f9d8a", "#8b5cf6", "#b83280", "#2b6cb0", "#6b8e23", "#0e7490", "#7c3aed"];
const TAKEN = "#c9cdd8";
const MINE = "#f59e0b";
const LABEL = 22;
const GAP = 10;

/** Seat ids whose bit is 1 in base64 `free` (most significant bit first). */
export function decodeFree(free) {
  const raw = atob(free);
  const bits = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bits[i] = raw.charCodeAt(i);
  return bits;
}

export class SeatMap {
  constructor(canvas, layout, width) {
    this.canvas = canvas;
    this.layout = layout;
    this.bits = null;
    this.first = 0;
    this.mine = new Set();
    const widest = Math.max(...layout.sections.map((s) => s.seatsPerRow));
    this.cell = Math.max(4, Math.min(24, Math.floor((width - 8) / widest)));
    let y = 0;
    this.places = layout.sections.map((s, i) => {
      const top = y + LABEL;
      y = top + s.rows * this.cell + GAP;
      return { ...s, top, color: PALETTE[i % PALETTE.length] };
    });
    const ratio = globalThis.devicePixelRatio || 1;
    canvas.width = Math.ceil((widest * this.cell + 8) * ratio);
    canvas.height = Math.ceil(y * ratio);
    canvas.style.width = `${widest * this.cell + 8}px`;
    canvas.style.height = `${y}px`;
    this.ratio = ratio;
    canvas.seatMap = this;
  }

  /** The seat under a point of the canvas (CSS pixels), or null. */
  seatAt(x, y) {
    for (const s of this.places) {
      const row = Math.floor((y - s.top) / this.cell);
      const n = Math.floor((x - 4) / this.cell);
      if (row >= 0 && row < s.rows && n >= 0 && n < s.seatsPerRow) {
        return this.seatOf(s, row, n);
      }
    }
    return null;
  }

  seatOf(s, row, n) {
    const seatId = s.firstSeatId + row * s.seatsPerRow + n;
    return { seatId, number: `${s.name}-${row + 1}-${n + 1}`, price: s.price, section: s.name };
  }

  /** A seat by its number (`VIP-1-3`), or null. */
  seatNamed(number) {
    const m = /^(.+)-(\d+)-(\d+)$/.exec(number.trim());
    const s = m && this.places.find((p) => p.name === m[1]);
    const row = m && Number(m[2]) - 1;
    const n = m && Number(m[3]) - 1;
    if (!s || row < 0 || row >= s.rows || n < 0 || n >= s.seatsPerRow) return null;
    return this.seatOf(s, row, n);
  }

  /** Where a seat's centre is on the canvas (CSS pixels). */
  centerOf(seatId) {
    const s = this.places.find((p) => seatId >= p.firstSeatId && seatId < p.firstSeatId + p.rows * p.seatsPerRow);
    if (!s) return null;
    const i = seatId - s.firstSeatId;
    return {
      x: 4 + (i % s.seatsPerRow) * this.cell + this.cell / 2,
      y: s.top + Math.floor(i / s.seatsPerRow) * this.cell + this.cell / 2,
    };
  }

  isFree(seatId) {
    if (!this.bits) return false;
    const i = seatId - this.first;
    return i >= 0 && (this.bits[i >> 3] & (0x80 >> (i & 7))) !== 0;
  }

  /** Marks one seat free or taken until the next availability arrives. */
  mark(seatId, free) {
    const i = seatId - this.first;
    if (!this.bits || i < 0 || (i >> 3) >= this.bits.length) return;
    if (free) this.bits[i >> 3] |= 0x80 >> (i & 7);
    else this.bits[i >> 3] &= ~(0x80 >> (i & 7));
  }

  setAvailability(body) {
    this.bits = decodeFree(body.free);
    this.first = body.firstSeatId;
    let free = 0;
    for (let i = 0; i < body.seats; i++) if (this.bits[i >> 3] & (0x80 >> (i & 7))) free++;
    this.free = free;
    this.canvas.dataset.free = String(free);
  }

  draw() {
    const g = this.canvas.getContext("2d");
    g.setTransform(this.ratio, 0, 0, this.ratio, 0, 0);
    g.clearRect(0, 0, this.canvas.width, this.canvas.height);
    const pad = this.cell >= 8 ? 1.5 : this.cell >= 4 ? 0.5 : 0;
    for (const s of this.places) {
      g.fillStyle = "#1d2330";
      g.font = "13px system-ui, sans-serif";
      g.fillText(`${s.name} · ${s.price.toLocaleString("ko-KR")}P`, 4, s.top - 7);
      for (let row = 0; row < s.rows; row++) {
        for (let n = 0; n < s.seatsPerRow; n++) {
          const id = s.firstSeatId + row * s.seatsPerRow + n;
          g.fillStyle = this.mine.has(id) ? MINE : this.isFree(id) ? s.color : TAKEN;
          g.fillRect(4 + n * this.cell + pad, s.top + row * this.cell + pad, this.cell - 2 * pad, this.cell - 2 * pad);
        }
      }
    }
    this.canvas.dataset.drawn = String(Date.now());
  }
}
