/*
 * Unit tests for base/log: value quoting (escaping and cutting to fit), the line format that log
 * shippers and the API tests grep for, and the per-thread buffers of the access log (written when
 * full, by the flusher, at thread exit and at stop; never a line lost or torn). log_event writes
 * to fd 2, so the tests point fd 2 at a pipe for the duration of one call and read back exactly
 * what was written; the buffer tests point it at a temporary file for longer.
 */
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/clock.h"
#include "base/log.h"

/* Runs fn with fd 2 redirected into a pipe; returns what was written (static buffer). */
static char captured[16384];

static const char *capture(void (*fn)(void *), void *arg)
{
	int fds[2], saved;
	ssize_t n;
	size_t len = 0;

	assert_int_equal(pipe(fds), 0);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fds[1], STDERR_FILENO) >= 0);
	fn(arg);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	close(fds[1]);
	while ((n = read(fds[0], captured + len, sizeof captured - 1 - len)) > 0)
		len += (size_t)n;
	close(fds[0]);
	captured[len] = '\0';
	return captured;
}

static void assert_matches(const char *text, const char *pattern)
{
	regex_t re;

	assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	if (regexec(&re, text, 0, NULL, 0) != 0)
		print_message("text:    [%s]\npattern: [%s]\n", text, pattern);
	assert_int_equal(regexec(&re, text, 0, NULL, 0), 0);
	regfree(&re);
}

/* ---- log_quote ------------------------------------------------------------------------------ */

static void test_quote_plain_and_escapes(void **state)
{
	char out[128];

	(void)state;
	assert_string_equal(log_quote("plain", out, sizeof out), "plain");
	assert_string_equal(log_quote("/api/v1/x?y=1", out, sizeof out), "/api/v1/x?y=1");
	/* UTF-8 text is passed through as is. */
	assert_string_equal(log_quote("网格员", out, sizeof out), "网格员");
	assert_string_equal(log_quote("", out, sizeof out), "\"\"");
	assert_string_equal(log_quote(NULL, out, sizeof out), "\"\"");
	assert_string_equal(log_quote("a b", out, sizeof out), "\"a b\"");
	assert_string_equal(log_quote("a\"b", out, sizeof out), "\"a\\\"b\"");
	assert_string_equal(log_quote("a\\b", out, sizeof out), "\"a\\\\b\"");
	assert_string_equal(log_quote("line\nnext", out, sizeof out), "\"line\\x0anext\"");
	assert_string_equal(log_quote("tab\there", out, sizeof out), "\"tab\\x09here\"");
	assert_string_equal(log_quote("del\x7f", out, sizeof out), "\"del\\x7f\"");
	assert_string_equal(log_quote("\x01", out, sizeof out), "\"\\x01\"");
	/* A forged field cannot be injected: the space forces quoting. */
	assert_string_equal(log_quote("x level=error", out, sizeof out), "\"x level=error\"");
	/* Bytes outside well-formed UTF-8 are escaped, so log files stay valid UTF-8 text. */
	assert_string_equal(log_quote("\xff\xfe", out, sizeof out), "\"\\xff\\xfe\"");
	assert_string_equal(log_quote("/\xe7\xbd", out, sizeof out), "\"/\\xe7\\xbd\"");
	assert_string_equal(log_quote("\xc0\xaf", out, sizeof out),
	                    "\"\\xc0\\xaf\""); /* overlong */
	assert_string_equal(log_quote("\xed\xa0\x80", out, sizeof out),
	                    "\"\\xed\\xa0\\x80\""); /* surrogate */
	assert_string_equal(log_quote("\xf4\x90\x80\x80", out, sizeof out),
	                    "\"\\xf4\\x90\\x80\\x80\""); /* past U+10FFFF */
	assert_string_equal(log_quote("\x80x", out, sizeof out), "\"\\x80x\"");
	assert_string_equal(log_quote("网 格", out, sizeof out), "\"网 格\"");
	assert_string_equal(log_quote("\xf0\x9f\x98\x80", out, sizeof out), "\xf0\x9f\x98\x80");
	/* Returns out itself. */
	assert_ptr_equal(log_quote("x", out, sizeof out), out);
}

static void test_quote_truncation(void **state)
{
	char out[64];

	(void)state;
	/* n == 0 touches nothing. */
	memset(out, 'Q', sizeof out);
	log_quote("abc", out, 0);
	assert_int_equal(out[0], 'Q');
	/* Plain values are cut to n - 1 bytes. */
	memset(out, 'Q', sizeof out);
	assert_string_equal(log_quote("abcdefghij", out, 5), "abcd");
	assert_int_equal(out[5], 'Q');
	/* Quoted values keep both quotes and never split an escape. */
	memset(out, 'Q', sizeof out);
	assert_string_equal(log_quote("\n\n\n\n\n", out, 12), "\"\\x0a\\x0a\"");
	assert_int_equal(out[12], 'Q');
	log_quote("a b c d e f g h", out, 8);
	assert_true(strlen(out) < 8 && strlen(out) >= 2);
	assert_int_equal(out[0], '"');
	assert_int_equal(out[strlen(out) - 1], '"');
	assert_memory_equal(out + 1, "a b c d", strlen(out) - 2);
	assert_string_equal(log_quote("\"\"\"\"", out, 8), "\"\\\"\"");
	/* A cut never splits a UTF-8 character, plain or quoted. */
	assert_string_equal(log_quote("网格员", out, 5), "网");
	assert_string_equal(log_quote("网格员", out, 7), "网格");
	assert_string_equal(log_quote("网格员", out, 3), "");
	assert_string_equal(log_quote("网 格员", out, 10), "\"网 \"");
}

/* Undoes log_quote's escaping of a quoted value; returns the decoded length or -1. */
static int unquote(const char *q, char *out)
{
	size_t n = strlen(q), o = 0;

	if (n < 2 || q[0] != '"' || q[n - 1] != '"')
		return -1;
	for (size_t i = 1; i + 1 < n; i++) {
		if (q[i] == '\\') {
			if (q[i + 1] == '"' || q[i + 1] == '\\') {
				out[o++] = q[++i];
			} else if (q[i + 1] == 'x') {
				unsigned v;
				if (sscanf(q + i + 2, "%2x", &v) != 1)
					return -1;
				out[o++] = (char)v;
				i += 3;
			} else {
				return -1;
			}
		} else if (q[i] == '"') {
			return -1; /* an unescaped quote inside */
		} else {
			out[o++] = q[i];
		}
	}
	out[o] = '\0';
	return (int)o;
}

/* An independent, table-free UTF-8 check (RFC 3629): decode each sequence and compare its
   code point with the range its length may encode. */
static int valid_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned c = p[i], need, cp;
		unsigned long min;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c >> 5) == 0x6) {
			need = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c >> 4) == 0xe) {
			need = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c >> 3) == 0x1e) {
			need = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if (i + need >= n)
			return 0;
		for (unsigned k = 1; k <= need; k++) {
			if ((p[i + k] >> 6) != 0x2)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

/* Random strings and sizes: the output always fits, is terminated, contains no raw control byte,
   is valid UTF-8, and decodes to a prefix of the input. */
static void test_quote_properties(void **state)
{
	unsigned seed = 12345;
	char in[80], out[200], dec[200];

	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = (seed = seed * 1103515245u + 12345u) >> 16 & 63;
		unsigned n = 1 + ((seed = seed * 1103515245u + 12345u) >> 16) % 120;
		int quoted = 0;

		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 4 == 0 && i + 3 <= len) {
				memcpy(in + i, "\xe7\xbd\x91", 3); /* a valid character: 网 */
				i += 2;
				continue;
			}
			in[i] = (char)(1 + (seed >> 16) % 255);
		}
		in[len] = '\0';
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)in[i] <= ' ' || in[i] == '"' || in[i] == '\\' ||
			    in[i] == 0x7f)
				quoted = 1;
		if (!valid_utf8(in, len))
			quoted = 1;
		if (len == 0)
			quoted = 1;
		memset(out, 'Q', sizeof out);
		log_quote(in, out, n);
		assert_true(strlen(out) < n);
		assert_int_equal(out[n], 'Q'); /* nothing written past out[n - 1] */
		for (const char *p = out; *p; p++)
			assert_false((unsigned char)*p < ' ' || *p == 0x7f);
		assert_true(valid_utf8(out, strlen(out)));
		if (!quoted) {
			assert_memory_equal(out, in, strlen(out));
		} else if (n >= 3) {
			int dl = unquote(out, dec);
			if (dl < 0)
				print_message("bad quoting: [%s] n=%u\n", out, n);
			assert_true(dl >= 0);
			assert_memory_equal(dec, in, (size_t)dl);
			/* With enough room, nothing is lost. */
			if (n >= 4 * len + 3)
				assert_int_equal(dl, len);
		}
	}
}

/* ---- log_event ------------------------------------------------------------------------------ */

static void emit_basic(void *arg)
{
	(void)arg;
	log_info("test.event", "k=%s n=%d", "v", 5);
}

static void emit_no_fields(void *arg)
{
	(void)arg;
	log_warn("test.bare", NULL);
	log_error("test.empty", "%s", "");
}

static void emit_levels(void *arg)
{
	(void)arg;
	log_debug("lvl.debug", "x=1");
	log_info("lvl.info", "x=2");
	log_warn("lvl.warn", "x=3");
	log_error("lvl.error", "x=4");
}

static void emit_long(void *arg)
{
	const char *big = arg;
	log_info("test.long", "big=%s end=1", big);
}

static void test_event_line_format(void **state)
{
	const char *out;

	(void)state;
	log_set_level(LOG_INFO);
	log_set_request_id(NULL);
	out = capture(emit_basic, NULL);
	assert_matches(out, "^ts=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z "
	                    "level=info req=- event=test.event k=v n=5\n$");

	log_set_request_id("6f1c0a9b2d3e4f50");
	assert_string_equal(log_request_id(), "6f1c0a9b2d3e4f50");
	out = capture(emit_basic, NULL);
	assert_matches(out, "^ts=[-0-9T:]+Z level=info req=6f1c0a9b2d3e4f50 event=test.event "
	                    "k=v n=5\n$");

	out = capture(emit_no_fields, NULL);
	assert_matches(out, "^ts=[-0-9T:]+Z level=warn req=6f1c0a9b2d3e4f50 event=test.bare\n"
	                    "ts=[-0-9T:]+Z level=error req=6f1c0a9b2d3e4f50 event=test.empty\n$");

	log_set_request_id(NULL);
	assert_string_equal(log_request_id(), "");
}

static void test_request_id_is_bounded(void **state)
{
	const char *out;

	(void)state;
	log_set_request_id("0123456789abcdef0123456789abcdefEXTRA");
	assert_string_equal(log_request_id(), "0123456789abcdef0123456789abcdef");
	out = capture(emit_basic, NULL);
	assert_matches(out, " req=0123456789abcdef0123456789abcdef event=");
	log_set_request_id(NULL);
}

static void *other_thread(void *arg)
{
	(void)arg;
	return (void *)(strcmp(log_request_id(), "") == 0 ? "clean" : "leaked");
}

static void test_request_id_per_thread(void **state)
{
	pthread_t t;
	void *res = NULL;

	(void)state;
	log_set_request_id("abc");
	assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
	assert_int_equal(pthread_join(t, &res), 0);
	assert_string_equal((const char *)res, "clean");
	assert_string_equal(log_request_id(), "abc");
	log_set_request_id(NULL);
}

static void test_levels(void **state)
{
	const char *out;

	(void)state;
	log_set_level(LOG_WARN);
	out = capture(emit_levels, NULL);
	assert_null(strstr(out, "lvl.debug"));
	assert_null(strstr(out, "lvl.info"));
	assert_matches(out, "^ts=[^ ]+ level=warn req=- event=lvl.warn x=3\n"
	                    "ts=[^ ]+ level=error req=- event=lvl.error x=4\n$");
	log_set_level(LOG_DEBUG);
	out = capture(emit_levels, NULL);
	assert_matches(out, "level=debug req=- event=lvl.debug x=1\n.*level=info .*"
	                    "level=warn .*level=error ");
	log_set_level(LOG_INFO);
	out = capture(emit_levels, NULL);
	assert_null(strstr(out, "lvl.debug"));
	assert_non_null(strstr(out, "lvl.info"));

	assert_int_equal(log_level_from_name("debug", LOG_ERROR), LOG_DEBUG);
	assert_int_equal(log_level_from_name("WARN", LOG_ERROR), LOG_WARN);
	assert_int_equal(log_level_from_name("Error", LOG_DEBUG), LOG_ERROR);
	assert_int_equal(log_level_from_name("info", LOG_ERROR), LOG_INFO);
	assert_int_equal(log_level_from_name("verbose", LOG_WARN), LOG_WARN);
	assert_int_equal(log_level_from_name("", LOG_WARN), LOG_WARN);
	assert_int_equal(log_level_from_name(NULL, LOG_ERROR), LOG_ERROR);
}

/* A field longer than the line buffer is cut, and the line still ends in exactly one newline. */
static void test_long_line(void **state)
{
	char *big = malloc(10000);
	const char *out;
	size_t len;

	(void)state;
	assert_non_null(big);
	memset(big, 'z', 9999);
	big[9999] = '\0';
	log_set_level(LOG_INFO);
	out = capture(emit_long, big);
	len = strlen(out);
	assert_true(len <= 4096);
	assert_true(len > 4000);
	assert_int_equal(out[len - 1], '\n');
	assert_ptr_equal(strchr(out, '\n'), out + len - 1);
	assert_matches(out, "^ts=[^ ]+ level=info req=- event=test.long big=zzzz");
	free(big);
}

/* ---- buffered lines ------------------------------------------------------------------------- */

static char out_path[64];
static int saved_stderr = -1;

/* Points fd 2 at a new temporary file until redirect_end. */
static void redirect_begin(void)
{
	int fd;

	snprintf(out_path, sizeof out_path, "/tmp/wangge-test-log-XXXXXX");
	fd = mkstemp(out_path);
	assert_true(fd >= 0);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(saved_stderr >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	close(fd);
}

static void redirect_end(void)
{
	assert_true(dup2(saved_stderr, STDERR_FILENO) >= 0);
	close(saved_stderr);
	saved_stderr = -1;
	unlink(out_path);
}

/* What was written to the file so far (malloc'ed, NUL-terminated). */
static char *written(void)
{
	FILE *f = fopen(out_path, "rb");
	char *text;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	text = malloc((size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	text[n] = '\0';
	fclose(f);
	return text;
}

static size_t count_lines(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void test_buffered_without_flusher_is_immediate(void **state)
{
	char *text;

	(void)state;
	log_set_level(LOG_INFO);
	redirect_begin();
	log_event_buffered(LOG_INFO, "buf.direct", "n=%d", 1);
	text = written();
	assert_matches(text, "^ts=[^ ]+ level=info req=- event=buf.direct n=1\n$");
	free(text);
	/* Below the level: nothing. */
	log_event_buffered(LOG_DEBUG, "buf.debug", "n=%d", 2);
	text = written();
	assert_null(strstr(text, "buf.debug"));
	free(text);
	redirect_end();
}

static void test_buffered_lines_wait_for_a_flush(void **state)
{
	char *text;

	(void)state;
	redirect_begin();
	/* An hour between flushes: only the calls below write. */
	assert_int_equal(log_buffer_start(3600 * 1000), 0);
	assert_int_equal(log_buffer_start(3600 * 1000), -1); /* one flusher at a time */
	log_set_request_id("feedface");
	log_event_buffered(LOG_INFO, "buf.one", "k=%s", "a");
	log_event_buffered(LOG_INFO, "buf.two", NULL);
	log_set_request_id(NULL);
	log_event(LOG_WARN, "direct.now", "x=1");
	text = written();
	assert_null(strstr(text, "buf.one"));
	assert_matches(text, "^ts=[^ ]+ level=warn req=- event=direct.now x=1\n$");
	free(text);
	log_buffer_flush();
	text = written();
	assert_matches(text, "event=direct.now x=1\n"
	                     "ts=[^ ]+ level=info req=feedface event=buf.one k=a\n"
	                     "ts=[^ ]+ level=info req=feedface event=buf.two\n$");
	free(text);
	/* Stop writes what is left, and buffered calls write at once afterwards. */
	log_event_buffered(LOG_INFO, "buf.three", NULL);
	log_buffer_stop();
	log_event_buffered(LOG_INFO, "buf.four", NULL);
	text = written();
	assert_matches(text, "event=buf.two\n.*event=buf.three\n.*event=buf.four\n$");
	free(text);
	log_buffer_stop(); /* a second stop does nothing */
	redirect_end();
}

static void test_full_buffer_is_written(void **state)
{
	char pad[201], *text;
	int lines = 0;

	(void)state;
	memset(pad, 'p', 200);
	pad[200] = '\0';
	redirect_begin();
	assert_int_equal(log_buffer_start(3600 * 1000), 0);
	/* Lines of about 270 bytes: the buffer fills after about sixty. */
	for (int i = 0; i < 100; i++, lines++)
		log_event_buffered(LOG_INFO, "buf.fill", "i=%03d pad=%s", i, pad);
	text = written();
	/* The first buffer's worth was written when the next line did not fit, whole lines only,
	   and the rest waits. */
	assert_true(strlen(text) > LOG_BUFFER_BYTES / 2);
	assert_true(strlen(text) <= LOG_BUFFER_BYTES);
	assert_int_equal(text[strlen(text) - 1], '\n');
	assert_non_null(strstr(text, "i=000 "));
	assert_null(strstr(text, "i=099 "));
	assert_true(count_lines(text, "event=buf.fill") < (size_t)lines);
	free(text);
	log_buffer_stop();
	text = written();
	assert_int_equal(count_lines(text, "event=buf.fill"), lines);
	assert_matches(text,
	               "i=098 pad=p+\nts=[^ ]+ level=info req=- event=buf.fill i=099 pad=p+\n$");
	free(text);
	redirect_end();
}

static void test_flusher_writes_within_its_interval(void **state)
{
	int64_t deadline;
	char *text = NULL;

	(void)state;
	redirect_begin();
	assert_int_equal(log_buffer_start(20), 0);
	log_event_buffered(LOG_INFO, "buf.timed", "n=%d", 7);
	/* Nobody flushes but the flusher; give it up to five seconds (it needs 20 ms). */
	deadline = clock_mono_ms() + 5000;
	for (;;) {
		free(text);
		text = written();
		if (strstr(text, "event=buf.timed n=7\n") || clock_mono_ms() > deadline)
			break;
		sched_yield();
	}
	assert_non_null(strstr(text, "event=buf.timed n=7\n"));
	free(text);
	log_buffer_stop();
	redirect_end();
}

#define BUF_THREADS 8
#define BUF_LINES 3000

static pthread_barrier_t buf_written, buf_stopped;

/* Writes BUF_LINES numbered lines; even-numbered threads exit at once (their buffer is written at
   thread exit), odd ones wait, alive with lines buffered, until log_buffer_stop has run. */
static void *buf_thread(void *arg)
{
	int t = (int)(intptr_t)arg;

	for (int i = 0; i < BUF_LINES; i++)
		log_event_buffered(LOG_INFO, "buf.thread", "t=%d i=%d", t, i);
	if (t % 2) {
		pthread_barrier_wait(&buf_written);
		pthread_barrier_wait(&buf_stopped);
	}
	return NULL;
}

static void test_threads_lose_no_line(void **state)
{
	pthread_t th[BUF_THREADS];
	int next[BUF_THREADS] = { 0 };
	char *text, *line, *save = NULL;
	size_t total = 0;

	(void)state;
	redirect_begin();
	assert_int_equal(pthread_barrier_init(&buf_written, NULL, BUF_THREADS / 2 + 1), 0);
	assert_int_equal(pthread_barrier_init(&buf_stopped, NULL, BUF_THREADS / 2 + 1), 0);
	assert_int_equal(log_buffer_start(3600 * 1000), 0);
	for (int t = 0; t < BUF_THREADS; t++)
		assert_int_equal(pthread_create(&th[t], NULL, buf_thread, (void *)(intptr_t)t), 0);
	pthread_barrier_wait(&buf_written);
	for (int t = 0; t < BUF_THREADS; t += 2)
		pthread_join(th[t], NULL);
	/* The odd threads are alive and hold lines; stop must write them. */
	log_buffer_stop();
	text = written();
	pthread_barrier_wait(&buf_stopped);
	for (int t = 1; t < BUF_THREADS; t += 2)
		pthread_join(th[t], NULL);
	/* Every line whole, each thread's lines in order, none missing, none twice. */
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *fields = strstr(line, " t=");
		int t = -1, i = -1;

		assert_matches(line,
		               "^ts=[^ ]+ level=info req=- event=buf.thread t=[0-9] i=[0-9]+$");
		assert_non_null(fields);
		assert_int_equal(sscanf(fields, " t=%d i=%d", &t, &i), 2);
		assert_true(t >= 0 && t < BUF_THREADS);
		assert_int_equal(i, next[t]);
		next[t]++;
		total++;
	}
	for (int t = 0; t < BUF_THREADS; t++)
		assert_int_equal(next[t], BUF_LINES);
	assert_int_equal(total, (size_t)BUF_THREADS * BUF_LINES);
	free(text);
	pthread_barrier_destroy(&buf_written);
	pthread_barrier_destroy(&buf_stopped);
	redirect_end();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote_plain_and_escapes),
		cmocka_unit_test(test_quote_truncation),
		cmocka_unit_test(test_quote_properties),
		cmocka_unit_test(test_event_line_format),
		cmocka_unit_test(test_request_id_is_bounded),
		cmocka_unit_test(test_request_id_per_thread),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_buffered_without_flusher_is_immediate),
		cmocka_unit_test(test_buffered_lines_wait_for_a_flush),
		cmocka_unit_test(test_full_buffer_is_written),
		cmocka_unit_test(test_flusher_writes_within_its_interval),
		cmocka_unit_test(test_threads_lose_no_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
