// Writes build/icon.png: FieldKey's placeholder icon (a white key on a rounded teal square),
// 1024x1024 RGBA, drawn with plain Node so no image tool is needed. electron-builder converts it
// to .icns and .ico at packaging time. Run `node build/generate-icon.mjs` after changing the drawing.
import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import { URL, fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const SIZE = 1024;
const SAMPLES = 4; // per axis: 16 samples per pixel for smooth edges

/** Rounded square with a vertical teal gradient; the key is white. Returns [r, g, b, a] or null. */
function colourAt(x, y) {
  if (insideKey(x, y)) return [255, 255, 255];
  if (insideRoundedSquare(x, y, 48, 200)) {
    const t = y / SIZE;
    return [Math.round(14 + 10 * t), Math.round(124 - 40 * t), Math.round(134 - 20 * t)];
  }
  return null;
}

function insideRoundedSquare(x, y, margin, radius) {
  const lo = margin + radius;
  const hi = SIZE - margin - radius;
  const cx = Math.min(Math.max(x, lo), hi);
  const cy = Math.min(Math.max(y, lo), hi);
  return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2;
}

function insideKey(x, y) {
  const ring = Math.hypot(x - 350, y - 512);
  if (ring <= 165 && ring >= 85) return true; // bow
  if (x >= 500 && x <= 830 && y >= 480 && y <= 544) return true; // shaft
  if (x >= 690 && x <= 735 && y >= 544 && y <= 640) return true; // first bit
  if (x >= 775 && x <= 830 && y >= 544 && y <= 680) return true; // second bit
  return false;
}

function render() {
  const raw = Buffer.alloc((SIZE * 4 + 1) * SIZE);
  for (let y = 0; y < SIZE; y++) {
    const row = y * (SIZE * 4 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < SIZE; x++) {
      let r = 0,
        g = 0,
        b = 0,
        covered = 0;
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const c = colourAt(x + (sx + 0.5) / SAMPLES, y + (sy + 0.5) / SAMPLES);
          if (c === null) continue;
          r += c[0];
          g += c[1];
          b += c[2];
          covered++;
        }
      }
      const at = row + 1 + x * 4;
      if (covered > 0) {
        raw[at] = Math.round(r / covered);
        raw[at + 1] = Math.round(g / covered);
        raw[at + 2] = Math.round(b / covered);
      }
      raw[at + 3] = Math.round((255 * covered) / SAMPLES ** 2);
    }
  }
  return raw;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

function png(raw) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(SIZE, 0);
  ihdr.writeUInt32BE(SIZE, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type: RGBA
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

writeFileSync(fileURLToPath(new URL('./icon.png', import.meta.url)), png(render()));
