// A minimal ZIP reader and writer for tests that open an .xlsx the server wrote, change its XML
// and send it back (node:zlib's raw deflate and crc32; no ZIP64, no encryption: test files only).
import zlib from 'node:zlib';

/** The members of the ZIP archive buf as a Map of name -> Buffer (inflated). */
export function unzip(buf) {
  let e = buf.length - 22;
  while (e >= 0 && buf.readUInt32LE(e) !== 0x06054b50) e--;
  if (e < 0) throw new Error('not a zip archive');
  const n = buf.readUInt16LE(e + 10);
  let p = buf.readUInt32LE(e + 16);
  const out = new Map();
  for (let i = 0; i < n; i++) {
    const method = buf.readUInt16LE(p + 10), csize = buf.readUInt32LE(p + 20);
    const nl = buf.readUInt16LE(p + 28), xl = buf.readUInt16LE(p + 30), cl = buf.readUInt16LE(p + 32);
    const off = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nl).toString();
    const start = off + 30 + buf.readUInt16LE(off + 26) + buf.readUInt16LE(off + 28);
    const data = buf.subarray(start, start + csize);
    out.set(name, method === 8 ? zlib.inflateRawSync(data) : Buffer.from(data));
    p += 46 + nl + xl + cl;
  }
  return out;
}

/** A ZIP archive of members (a Map or [[name, Buffer|string]]), deflated. */
export function zip(members) {
  const locals = [], centrals = [];
  let offset = 0;
  for (const [name, content] of members) {
    const raw = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const packed = zlib.deflateRawSync(raw, { level: 9 });
    const nameBuf = Buffer.from(name);
    const crc = zlib.crc32(raw) >>> 0;
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0); head.writeUInt16LE(20, 4); head.writeUInt16LE(8, 8);
    head.writeUInt32LE(crc, 14); head.writeUInt32LE(packed.length, 18); head.writeUInt32LE(raw.length, 22);
    head.writeUInt16LE(nameBuf.length, 26);
    const cen = Buffer.alloc(46);
    cen.writeUInt32LE(0x02014b50, 0); cen.writeUInt16LE(20, 4); cen.writeUInt16LE(20, 6); cen.writeUInt16LE(8, 10);
    cen.writeUInt32LE(crc, 16); cen.writeUInt32LE(packed.length, 20); cen.writeUInt32LE(raw.length, 24);
    cen.writeUInt16LE(nameBuf.length, 28); cen.writeUInt32LE(offset, 42);
    locals.push(head, nameBuf, packed);
    centrals.push(cen, nameBuf);
    offset += 30 + nameBuf.length + packed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  const count = [...members].length;
  end.writeUInt16LE(count, 8); end.writeUInt16LE(count, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** The first worksheet's member name of an unzipped workbook (as the exports write it). */
export const SHEET = 'xl/worksheets/sheet1.xml';

const xmlText = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The sheet XML with cell ref (e.g. "C2") replaced by an inline string (value a string) or a
 * number (value a number), or removed (value null). Throws when the cell is not there.
 */
export function setCell(sheetXml, ref, value) {
  const re = new RegExp(`<c r="${ref}"(?:[^>]*/>|[^>]*>.*?</c>)`);
  if (!re.test(sheetXml)) throw new Error(`no cell ${ref}`);
  let cell = '';
  if (typeof value === 'number') cell = `<c r="${ref}"><v>${value}</v></c>`;
  else if (value !== null) cell = `<c r="${ref}" t="inlineStr"><is><t>${xmlText(value)}</t></is></c>`;
  return sheetXml.replace(re, cell);
}

/** The row numbers of the sheet that have a cell in column col (e.g. "C"), after the header. */
export function dataRows(sheetXml, col) {
  return [...sheetXml.matchAll(new RegExp(`<c r="${col}(\\d+)"`, 'g'))].map((m) => Number(m[1])).filter((n) => n > 1);
}
