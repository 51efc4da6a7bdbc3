/*
 * Clock and calendar helpers. days_from_civil and civil_from_days follow Howard Hinnant's public
 * domain algorithms (era-based, no tables), written out here from their description.
 */
#include <stdio.h>
#include <string.h>
#include <stdatomic.h>
#include <time.h>

#include "base/clock.h"

/* Seconds added to the real time: tests move the clock forward instead of sleeping. */
static _Atomic int64_t clock_offset;

int64_t clock_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec + atomic_load_explicit(&clock_offset, memory_order_relaxed);
}

void clock_set_offset(int64_t seconds)
{
	atomic_store(&clock_offset, seconds);
}

int64_t clock_get_offset(void)
{
	return atomic_load(&clock_offset);
}

int64_t clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t clock_days_from_civil(int year, int month, int day)
{
	int64_t y = (int64_t)year - (month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t mp = (month + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5 + day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void clock_civil_from_days(int64_t days, int *year, int *month, int *day)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;

	*year = (int)(yoe + era * 400 + (m <= 2));
	*month = (int)m;
	*day = (int)d;
}

int clock_valid_date(int year, int month, int day)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap, max;

	if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1)
		return 0;
	leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	max = mdays[month - 1] + (month == 2 && leap);
	return day <= max;
}

int clock_weekday(int64_t days)
{
	/* 1970-01-01 was a Thursday (4). */
	int64_t w = (days + 4) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

static const char *clock_format_offset(int64_t t, int offset, char *out, size_t n)
{
	int64_t local = t + offset;
	int64_t days = local / 86400, secs = local % 86400;
	int y, m, d;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	clock_civil_from_days(days, &y, &m, &d);
	if (offset == 0)
		snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(secs / 3600),
		         (int)(secs / 60 % 60), (int)(secs % 60));
	else
		snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y, m, d,
		         (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60),
		         offset < 0 ? '-' : '+', (offset < 0 ? -offset : offset) / 3600,
		         (offset < 0 ? -offset : offset) / 60 % 60);
	return out;
}

const char *clock_format_utc(int64_t t, char *out, size_t n)
{
	return clock_format_offset(t, 0, out, n);
}

const char *clock_format_local(int64_t t, char *out, size_t n)
{
	return clock_format_offset(t, CLOCK_SHANGHAI_OFFSET, out, n);
}

/* Reads exactly width digits. */
static int read_digits(const char **p, int width, int *out)
{
	int v = 0;

	for (int i = 0; i < width; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += width;
	*out = v;
	return 0;
}

int clock_parse(const char *s, int64_t *t)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, se = 0, oh = 0, om = 0, sign = 1;
	int offset = CLOCK_SHANGHAI_OFFSET;

	if (!s || read_digits(&p, 4, &y) || *p++ != '-' || read_digits(&p, 2, &mo) || *p++ != '-' ||
	    read_digits(&p, 2, &d) || !clock_valid_date(y, mo, d))
		return -1;
	if (*p == '\0')
		goto done;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -1;
	p++;
	if (read_digits(&p, 2, &h) || *p++ != ':' || read_digits(&p, 2, &mi) || *p++ != ':' ||
	    read_digits(&p, 2, &se) || h > 23 || mi > 59 || se > 60)
		return -1;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		offset = 0;
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (read_digits(&p, 2, &oh) || *p++ != ':' || read_digits(&p, 2, &om) || oh > 23 ||
		    om > 59)
			return -1;
		offset = sign * (oh * 3600 + om * 60);
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
done:
	*t = clock_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + (se > 59 ? 59 : se) -
	     offset;
	return 0;
}
