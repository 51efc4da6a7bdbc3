/*
 * Time. The database stores UTC seconds (int64); people see Asia/Shanghai, which has been UTC+8
 * without daylight saving since 1991, so display is a fixed offset and needs no tz database.
 * Calendar arithmetic is done on "days since 1970-01-01" with the civil-from-days algorithm, which
 * is exact for the proleptic Gregorian calendar and free of locale and TZ environment state.
 */
#ifndef WANGGE_BASE_CLOCK_H
#define WANGGE_BASE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define CLOCK_SHANGHAI_OFFSET (8 * 3600)

/* Seconds since the epoch, UTC, plus the offset set by clock_set_offset. This is the injectable
   clock: the domain takes "now" from its context (domain/dom.h), which commands and requests fill
   from here; tests move time with clock_set_offset (or, against a server started with
   --enable-internal, POST /internal/clock) instead of sleeping. */
int64_t clock_now(void);
/* Moves clock_now by seconds from the real time (0 restores it). Thread-safe. */
void clock_set_offset(int64_t seconds);
int64_t clock_get_offset(void);
/* Monotonic milliseconds, for durations only. */
int64_t clock_mono_ms(void);
/* Monotonic microseconds, for durations only. */
int64_t clock_mono_us(void);

/* Days since 1970-01-01 of a civil date, and back. */
int64_t clock_days_from_civil(int year, int month, int day);
void clock_civil_from_days(int64_t days, int *year, int *month, int *day);
/* 1 when year-month-day is a real Gregorian date. */
int clock_valid_date(int year, int month, int day);
/* Day of week of a day number: 0 Sunday … 6 Saturday. */
int clock_weekday(int64_t days);

/* RFC 3339 in UTC: 2026-11-28T15:00:00Z. Returns out; out needs 21 bytes. */
const char *clock_format_utc(int64_t t, char *out, size_t n);
/* RFC 3339 in Asia/Shanghai: 2026-11-28T23:00:00+08:00. out needs 26 bytes. */
const char *clock_format_local(int64_t t, char *out, size_t n);
/* Parses RFC 3339 (date-time with Z or ±hh:mm; fraction of a second ignored) or a bare date
   YYYY-MM-DD (taken as midnight Asia/Shanghai). Returns 0 and *t, or -1 for anything else. */
int clock_parse(const char *s, int64_t *t);

#include "base/banned.h"
#endif
