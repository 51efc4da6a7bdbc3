/*
 * Unit tests for domain/totp: the RFC 6238 Appendix B test vectors (SHA-1, 8 digits), the RFC 4226
 * Appendix D HOTP values, base32 round trips, the ±1 step window, replay refusal and the otpauth
 * URI.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "domain/totp.h"

static const unsigned char rfc_key[] = "12345678901234567890";

static void test_rfc6238_vectors(void **state)
{
	static const struct {
		int64_t t;
		const char *code;
	} v[] = {
		{ 59, "94287082" },         { 1111111109, "07081804" }, { 1111111111, "14050471" },
		{ 1234567890, "89005924" }, { 2000000000, "69279037" }, { 20000000000, "65353130" },
	};
	char out[9];

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		totp_code_at(rfc_key, 20, v[i].t, 8, out);
		assert_string_equal(out, v[i].code);
	}
}

static void test_rfc4226_hotp(void **state)
{
	static const uint32_t want[] = { 755224, 287082, 359152, 969429, 338314,
		                         254676, 287922, 162583, 399871, 520489 };

	(void)state;
	for (uint64_t c = 0; c < 10; c++)
		assert_int_equal(totp_hotp(rfc_key, 20, c, 6), want[c]);
}

static void test_base32(void **state)
{
	unsigned char back[32];
	char enc[64];

	(void)state;
	/* RFC 4648 section 10 vectors (without padding). */
	assert_int_equal(totp_base32_encode((const unsigned char *)"foobar", 6, enc, sizeof enc),
	                 10);
	assert_string_equal(enc, "MZXW6YTBOI");
	assert_int_equal(totp_base32_encode((const unsigned char *)"f", 1, enc, sizeof enc), 2);
	assert_string_equal(enc, "MY");
	assert_int_equal(totp_base32_decode("mzxw6ytboi======", back, sizeof back), 6);
	assert_memory_equal(back, "foobar", 6);
	assert_int_equal(totp_base32_decode("MZ1W", back, sizeof back), -1);
	assert_int_equal(totp_base32_encode(rfc_key, 20, enc, sizeof enc), 32);
	assert_string_equal(enc, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	assert_int_equal(totp_base32_encode(rfc_key, 20, enc, 10), -1);
}

static void test_verify_window_and_replay(void **state)
{
	const char *secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
	int64_t now = 1111111111, step = now / 30;
	char code[9];

	(void)state;
	totp_code_at(rfc_key, 20, now, 6, code);
	assert_string_equal(code, "050471");
	assert_int_equal(totp_verify(secret, code, now, 0), step);
	/* The same code again is a replay once its step was used. */
	assert_int_equal(totp_verify(secret, code, now, step), -1);
	/* One step either side is accepted, two are not. */
	totp_code_at(rfc_key, 20, now - 30, 6, code);
	assert_int_equal(totp_verify(secret, code, now, 0), step - 1);
	totp_code_at(rfc_key, 20, now + 30, 6, code);
	assert_int_equal(totp_verify(secret, code, now, 0), step + 1);
	totp_code_at(rfc_key, 20, now + 60, 6, code);
	assert_int_equal(totp_verify(secret, code, now, 0), -1);
	totp_code_at(rfc_key, 20, now - 60, 6, code);
	assert_int_equal(totp_verify(secret, code, now, 0), -1);
	/* Malformed codes. */
	assert_int_equal(totp_verify(secret, "12345", now, 0), -1);
	assert_int_equal(totp_verify(secret, "12a456", now, 0), -1);
	assert_int_equal(totp_verify(secret, NULL, now, 0), -1);
	assert_int_equal(totp_verify("!!", "123456", now, 0), -1);
}

static void test_secret_and_uri(void **state)
{
	char s1[TOTP_SECRET_B32], s2[TOTP_SECRET_B32], uri[256];

	(void)state;
	totp_new_secret(s1);
	totp_new_secret(s2);
	assert_int_equal(strlen(s1), 32);
	assert_string_not_equal(s1, s2);
	assert_int_equal(totp_uri("网格 系统", "a.b", "ABC", uri, sizeof uri), 0);
	assert_string_equal(uri, "otpauth://totp/%E7%BD%91%E6%A0%BC%20%E7%B3%BB%E7%BB%9F:a.b"
	                         "?secret=ABC&issuer=%E7%BD%91%E6%A0%BC%20%E7%B3%BB%E7%BB%9F"
	                         "&algorithm=SHA1&digits=6&period=30");
	assert_int_equal(totp_uri("x", "y", "ABC", uri, 10), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6238_vectors),
		cmocka_unit_test(test_rfc4226_hotp),
		cmocka_unit_test(test_base32),
		cmocka_unit_test(test_verify_window_and_replay),
		cmocka_unit_test(test_secret_and_uri),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
