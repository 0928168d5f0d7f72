import { describe, expect, it } from 'vitest';
import { frameRecord, maskedCrc32c, scanRecords } from './record-frame.js';

// Test vectors of the event-file format reference (TensorBoard loads each).
const A = {
  payload: '0900000040fc54d9411a0d627261696e2e4576656e743a32',
  record: '1800000000000000a37f4b220900000040fc54d9411a0d627261696e2e4576656e743a32eced8f9d',
};
const B = {
  payload: '0900006040fc54d94110072a0d0a0b0a046c6f7373150000803e',
  record: '1a00000000000000129bd82d0900006040fc54d94110072a0d0a0b0a046c6f7373150000803ebf9017bf',
};
const hex = (h: string): Buffer => Buffer.from(h, 'hex');

/** A scan with the payloads it visited, in order. */
function scan(buf: Buffer, final: boolean) {
  const payloads: Buffer[] = [];
  return { ...scanRecords(buf, final, (p) => payloads.push(Buffer.from(p))), payloads };
}

describe('record framing', () => {
  it('masks CRC32C as TensorBoard does', () => {
    expect(maskedCrc32c(Buffer.alloc(0))).toBe(0xa282ead8);
    expect(maskedCrc32c(hex('1800000000000000'))).toBe(0x224b7fa3);
  });

  it('frames payloads byte for byte as the reference vectors', () => {
    expect(frameRecord(hex(A.payload)).toString('hex')).toBe(A.record);
    expect(frameRecord(hex(B.payload)).toString('hex')).toBe(B.record);
  });

  it('reads whole records and leaves a growing one for later', () => {
    const file = Buffer.concat([hex(A.record), hex(B.record)]);
    const whole = scan(file, false);
    expect(whole.payloads.map((p) => p.toString('hex'))).toEqual([A.payload, B.payload]);
    expect(whole.consumed).toBe(file.length);
    for (const partOfB of [3, 12, 20]) {
      const part = scan(file.subarray(0, hex(A.record).length + partOfB), false);
      expect(part.payloads.length).toBe(1);
      expect(part.consumed).toBe(hex(A.record).length);
      expect(part.damaged).toEqual([]);
      expect(part.needed).toBe(partOfB < 12 ? 12 : hex(B.record).length);
    }
  });

  it('reports a torn last record once the file is complete, keeping what came before', () => {
    const file = Buffer.concat([hex(A.record), hex(B.record).subarray(0, 20)]);
    const got = scan(file, true);
    expect(got.payloads.length).toBe(1);
    expect(got.consumed).toBe(file.length);
    expect(got.damaged).toEqual([{ offset: hex(A.record).length, bytes: 20, problem: expect.stringMatching(/torn/) }]);
  });

  it('skips and counts a record whose payload has a flipped byte', () => {
    const file = Buffer.concat([hex(A.record), hex(B.record), hex(A.record)]);
    file[hex(A.record).length + 20]! ^= 0x01;
    const got = scan(file, false);
    expect(got.payloads.map((p) => p.toString('hex'))).toEqual([A.payload, A.payload]);
    expect(got.damaged).toEqual([{ offset: hex(A.record).length, bytes: hex(B.record).length, problem: expect.stringMatching(/payload/) }]);
    expect(got.consumed).toBe(file.length);
  });

  it('finds the next record after a damaged length', () => {
    const file = Buffer.concat([hex(A.record), hex(B.record), hex(A.record)]);
    file[hex(A.record).length + 1]! ^= 0x40;
    const live = scan(file, false);
    expect(live.payloads.map((p) => p.toString('hex'))).toEqual([A.payload, A.payload]);
    expect(live.damaged).toEqual([{ offset: hex(A.record).length, bytes: hex(B.record).length, problem: expect.stringMatching(/length/) }]);
    // With nothing intact after it, a growing file waits; a complete one gives the rest up.
    const tail = Buffer.concat([hex(A.record), hex(B.record)]);
    tail[hex(A.record).length + 1]! ^= 0x40;
    expect(scan(tail, false)).toMatchObject({ consumed: hex(A.record).length, damaged: [] });
    expect(scan(tail, true)).toMatchObject({ consumed: tail.length, damaged: [{ bytes: hex(B.record).length }] });
  });
});
