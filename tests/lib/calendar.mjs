// Tests that count deadlines need the working-day calendar of the years they pass through. The
// project ships the years of data/calendar/holidays-cn.csv; once the real date moves past them,
// the server rightly refuses to count (409 calendar_missing) until an administrator loads the next
// year. So that tests do not start failing on a date, ensureCalendar loads any missing year among
// the server's current and next years with a stand-in calendar (weekends, and New Year's Day as
// the only holiday), through the same API an administrator uses.
import { loginAs } from './auth.mjs';

export async function ensureCalendar(server) {
  const admin = await loginAs(server, 'sysadmin');
  const years = await admin.get('/api/v1/calendar/years');
  if (years.status !== 200) throw new Error(`GET /api/v1/calendar/years: ${years.status} ${years.text}`);
  for (const year of years.body.missing || []) {
    const r = await admin.put(`/api/v1/calendar/${year}`, {
      csv: `date,kind,name\n${year}-01-01,holiday,元旦\n`, source: '测试用：仅周末与元旦',
    });
    if (r.status !== 200) throw new Error(`PUT /api/v1/calendar/${year}: ${r.status} ${r.text}`);
  }
}
