/**
 * @module core/tfevents/record-frame
 * TFRecord framing, the container of TensorBoard event files: per record an 8-byte
 * little-endian length, its masked CRC32C, the payload, and the payload's masked CRC32C.
 * Scanning never throws: a damaged record is skipped and described, a record still being
 * written is left for the next read, and a torn last record is reported once the file is
 * known to be complete.
 */
import CRC32C from 'crc-32/crc32c.js';

const MASK_DELTA = 0xa282ead8;
/** Larger than any record a writer makes; a length beyond it means a damaged header. */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;
const HEADER = 12;
const FOOTER = 4;

/** TensorBoard's masked CRC32C: the checksum rotated right by 15 bits, plus a constant. */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = CRC32C.buf(data, 0) >>> 0;
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

/** One record around `payload`. */
export function frameRecord(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER + payload.length + FOOTER);
  out.writeBigUInt64LE(BigInt(payload.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(payload, HEADER);
  out.writeUInt32LE(maskedCrc32c(payload), HEADER + payload.length);
  return out;
}

export interface RecordDamage {
  /** Offset of the damaged bytes, from the start of what was scanned. */
  readonly offset: number;
  readonly bytes: number;
  readonly problem: string;
}

export interface RecordScan {
  /** Bytes fully dealt with: the next scan starts here. */
  readonly consumed: number;
  readonly damaged: RecordDamage[];
  /** Bytes the next record needs in all, when the buffer ends inside it (else 0). */
  readonly needed: number;
}

/** The 8 length bytes being checked: copied here, a view per record would cost more than its checksum. */
const lengthBytes = new Uint8Array(8);

/** The length field at `pos`, or -1 when its checksum fails or it is implausible. */
function lengthAt(buf: Buffer, pos: number): number {
  for (let i = 0; i < 8; i++) lengthBytes[i] = buf[pos + i]!;
  if (buf.readUInt32LE(pos + 8) !== maskedCrc32c(lengthBytes)) return -1;
  const hi = buf.readUInt32LE(pos + 4);
  const lo = buf.readUInt32LE(pos);
  return hi !== 0 || lo > MAX_RECORD_BYTES ? -1 : lo;
}

/**
 * Reads the records in `buf`, handing each whole, intact payload to `visit` in order (a
 * view into `buf`, to be used at once: holding a million views would cost more than
 * reading them). With `final` (the writer is done), bytes after the last whole record are
 * reported as a torn record and consumed; otherwise they wait for more. After a damaged
 * length no record boundary is known, so the scan looks for the next header whose
 * checksum holds and resumes there.
 */
export function scanRecords(buf: Buffer, final: boolean, visit: (payload: Uint8Array) => void): RecordScan {
  const damaged: RecordDamage[] = [];
  let pos = 0;
  let needed = 0;
  while (pos < buf.length) {
    if (buf.length - pos < HEADER) {
      needed = HEADER;
      break;
    }
    const len = lengthAt(buf, pos);
    if (len < 0) {
      let next = pos + 1;
      while (next + HEADER <= buf.length && lengthAt(buf, next) < 0) next++;
      if (next + HEADER > buf.length) {
        // No header follows yet: while the file grows, one may still come.
        if (!final) break;
        next = buf.length;
      }
      damaged.push({ offset: pos, bytes: next - pos, problem: 'record length fails its checksum' });
      pos = next;
      continue;
    }
    const size = HEADER + len + FOOTER;
    if (buf.length - pos < size) {
      needed = size;
      break;
    }
    // A plain view: a Buffer's subarray costs twice as much, a million times over.
    const payload = new Uint8Array(buf.buffer, buf.byteOffset + pos + HEADER, len);
    if (buf.readUInt32LE(pos + HEADER + len) === maskedCrc32c(payload)) visit(payload);
    else damaged.push({ offset: pos, bytes: size, problem: 'record payload fails its checksum' });
    pos += size;
  }
  if (final && pos < buf.length) {
    damaged.push({ offset: pos, bytes: buf.length - pos, problem: 'the file ends inside a record (torn last record)' });
    return { consumed: buf.length, damaged, needed: 0 };
  }
  return { consumed: pos, damaged, needed: pos < buf.length ? needed : 0 };
}
