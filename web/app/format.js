// Formatting for display, in Chinese and in China's time zone. Pure functions with no imports,
// so tests can import this file directly to compute the text they expect on screen.

// 7380 → "2 小时 3 分"; 90061 → "1 天 1 小时 1 分"; under a minute → "45 秒".
export function formatDuration(seconds) {
  const s = Math.max(0, Math.floor(Number(seconds) || 0));
  if (s < 60) return `${s} 秒`;
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  const parts = [];
  if (d) parts.push(`${d} 天`);
  if (h) parts.push(`${h} 小时`);
  if (m || !parts.length) parts.push(`${m} 分`);
  return parts.join(' ');
}

// Any date the Date constructor takes (ISO text, ms, Date) → "2026-11-28 23:01:02" in
// Asia/Shanghai, whatever the browser's own zone. Unparseable input is returned unchanged.
export function formatDateTime(value) {
  const t = value instanceof Date ? value : new Date(value);
  if (value === null || value === undefined || value === '' || Number.isNaN(t.getTime())) return value ?? '';
  // China has no daylight saving time: a fixed +8 h shift is exact.
  const z = new Date(t.getTime() + 8 * 3600 * 1000).toISOString();
  return `${z.slice(0, 10)} ${z.slice(11, 19)}`;
}
