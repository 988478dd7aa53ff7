// The seat map's arithmetic (node --test): bits, seat ids and positions
// agree with SPEC §13's layout formula.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeFree, SeatMap } from "../../web/seatmap.js";

const canvas = () => ({ style: {}, dataset: {}, getContext: () => null });
const layout = {
  scheduleId: 9,
  sections: [
    { name: "VIP", rows: 2, seatsPerRow: 3, price: 100, firstSeatId: 195 },
    { name: "R", rows: 1, seatsPerRow: 4, price: 50, firstSeatId: 201 },
  ],
};
// Seats 195..=204: 196 and 201 taken.
const body = { firstSeatId: 195, seats: 10, free: Buffer.from([0b10111101, 0b11000000]).toString("base64") };

test("bits decode most significant first", () => {
  assert.deepEqual([...decodeFree(body.free)], [0b10111101, 0b11000000]);
});

test("free seats and the count follow the bits", () => {
  const map = new SeatMap(canvas(), layout, 300);
  map.setAvailability(body);
  assert.equal(map.free, 8);
  assert.equal(map.isFree(195), true);
  assert.equal(map.isFree(196), false);
  assert.equal(map.isFree(201), false);
  assert.equal(map.isFree(204), true);
  assert.equal(map.isFree(205), false, "beyond the schedule");
  map.mark(196, true);
  map.mark(204, false);
  assert.equal(map.isFree(196), true);
  assert.equal(map.isFree(204), false);
});

test("seat numbers follow the layout formula name-row-seat", () => {
  const map = new SeatMap(canvas(), layout, 300);
  assert.deepEqual(map.seatNamed("VIP-2-1"), { seatId: 198, number: "VIP-2-1", price: 100, section: "VIP" });
  assert.equal(map.seatNamed("R-1-4").seatId, 204);
  assert.equal(map.seatNamed("R-2-1"), null);
  assert.equal(map.seatNamed("X-1-1"), null);
});

test("the seat under a seat's centre is that seat", () => {
  const map = new SeatMap(canvas(), layout, 300);
  for (let id = 195; id <= 204; id++) {
    const { x, y } = map.centerOf(id);
    assert.equal(map.seatAt(x, y).seatId, id);
  }
  assert.equal(map.centerOf(205), null);
  assert.equal(map.seatAt(-5, -5), null);
});
