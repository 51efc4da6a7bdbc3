/*
 * Field classification and masking. Masking counts characters, not bytes, so a Chinese value is
 * masked character by character and never cut inside a UTF-8 sequence.
 */
#include <stdio.h>
#include <string.h>

#include "domain/sensitive.h"

const struct field_class_def sensitive_fields[] = {
	{ "user", "username", FIELD_INTERNAL, MASK_NONE },
	{ "user", "display_name", FIELD_PERSONAL, MASK_NONE },
	{ "user", "phone", FIELD_PERSONAL, MASK_PHONE },
	{ "user", "id_number", FIELD_SENSITIVE, MASK_ID_NUMBER },
	{ "user", "org", FIELD_INTERNAL, MASK_NONE },
	{ "organisation", "name", FIELD_PUBLIC, MASK_NONE },
	{ "worker", "name", FIELD_PERSONAL, MASK_NONE },
	{ "worker", "phone", FIELD_PERSONAL, MASK_PHONE },
	{ "worker", "id_number", FIELD_SENSITIVE, MASK_ID_NUMBER },
	{ "worker", "birth_date", FIELD_PERSONAL, MASK_ALL },
	{ "worker", "work_phone", FIELD_PUBLIC, MASK_NONE }, /* published by Art. 15 */
	/* The people registry (issue 12): key-people categories are read only with person.key_read
	   and a reason, every read audited (domain/person.c). */
	{ "person", "name", FIELD_PERSONAL, MASK_NONE },
	{ "person", "id_number", FIELD_SENSITIVE, MASK_ID_NUMBER },
	{ "person", "phone", FIELD_PERSONAL, MASK_PHONE },
	{ "person", "birth_date", FIELD_PERSONAL, MASK_ALL },
	{ "key_person", "categories", FIELD_SENSITIVE, MASK_ALL },
	{ "audit", "source", FIELD_INTERNAL, MASK_NONE },
	{ "matter", "reporter_contact", FIELD_PERSONAL, MASK_PHONE }, /* a resident's, sealed */
};

const size_t sensitive_field_count = sizeof sensitive_fields / sizeof sensitive_fields[0];

const struct field_class_def *sensitive_field(const char *entity, const char *field)
{
	for (size_t i = 0; i < sensitive_field_count; i++)
		if (strcmp(sensitive_fields[i].entity, entity) == 0 &&
		    strcmp(sensitive_fields[i].field, field) == 0)
			return &sensitive_fields[i];
	return NULL;
}

const char *sensitive_class_name(enum field_class c)
{
	switch (c) {
	case FIELD_PUBLIC: return "public";
	case FIELD_INTERNAL: return "internal";
	case FIELD_PERSONAL: return "personal";
	case FIELD_SENSITIVE: return "sensitive";
	}
	return "internal";
}

/* Byte length of the UTF-8 character starting at s (1 for invalid bytes). */
static size_t u8len(const unsigned char *s)
{
	if (*s < 0x80)
		return 1;
	if ((*s & 0xe0) == 0xc0 && (s[1] & 0xc0) == 0x80)
		return 2;
	if ((*s & 0xf0) == 0xe0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80)
		return 3;
	if ((*s & 0xf8) == 0xf0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80 &&
	    (s[3] & 0xc0) == 0x80)
		return 4;
	return 1;
}

static size_t u8count(const char *s)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p += u8len(p))
		n++;
	return n;
}

/* Keeps the first `head` and the last `tail` characters, stars in between (at most max_stars;
   0 = one per hidden character). */
static const char *keep_ends(const char *v, size_t head, size_t tail, size_t max_stars, char *out,
                             size_t n)
{
	size_t chars = u8count(v), o = 0, i = 0;
	const unsigned char *p = (const unsigned char *)v;

	if (n == 0)
		return out;
	if (head + tail >= chars) {
		/* Too short to show anything safely: hide it all. */
		head = 0;
		tail = chars > 4 ? 1 : 0;
	}
	for (; *p; p += u8len(p), i++) {
		size_t l = u8len(p);
		int show = i < head || i >= chars - tail;

		if (show) {
			if (o + l >= n)
				break;
			memcpy(out + o, p, l);
			o += l;
		} else if (!max_stars || i - head < max_stars) {
			if (o + 1 >= n)
				break;
			out[o++] = '*';
		}
	}
	out[o] = '\0';
	return out;
}

const char *sensitive_mask(enum mask_rule rule, const char *value, char *out, size_t n)
{
	if (n == 0)
		return out;
	out[0] = '\0';
	if (!value)
		return out;
	switch (rule) {
	case MASK_NONE: snprintf(out, n, "%s", value); break;
	case MASK_ID_NUMBER: keep_ends(value, 1, 1, 0, out, n); break;
	case MASK_PHONE:
		if (u8count(value) >= 11)
			keep_ends(value, 3, 4, 4, out, n);
		else
			keep_ends(value, 0, u8count(value) > 4 ? 2 : 0, 0, out, n);
		break;
	case MASK_ALL: {
		size_t c = u8count(value), k = c > 8 ? 8 : c, o = 0;
		for (; o < k && o + 1 < n; o++)
			out[o] = '*';
		out[o] = '\0';
		break;
	}
	}
	return out;
}

const char *sensitive_show(const char *entity, const char *field, const char *value, int unmask,
                           char *out, size_t n)
{
	const struct field_class_def *d = sensitive_field(entity, field);

	if (!value || unmask || !d || d->mask == MASK_NONE)
		return value;
	return sensitive_mask(d->mask, value, out, n);
}

int sensitive_reason_ok(const char *reason)
{
	size_t chars;

	if (!reason)
		return 0;
	while (*reason == ' ' || *reason == '\t')
		reason++;
	chars = u8count(reason);
	return chars >= 2 && chars <= 200;
}
