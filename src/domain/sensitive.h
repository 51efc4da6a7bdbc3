/*
 * Sensitivity of every field the API shows (R4, PIPL Art. 28, 密评): public, internal, personal,
 * sensitive personal. Masked fields (sensitive personal ones, and personal ones with a masking
 * rule such as phone numbers) leave the server masked unless the caller holds "sensitive.unmask"
 * AND states a reason; the API layer records every unmasking in the audit trail.
 *
 * The classification is a table (sensitive_fields[]) that docs/security.md and the tests read;
 * modules that add personal data add their fields here.
 */
#ifndef WANGGE_DOMAIN_SENSITIVE_H
#define WANGGE_DOMAIN_SENSITIVE_H

#include <stddef.h>

enum field_class {
	FIELD_PUBLIC = 0, /* published: grid notice, matter list */
	FIELD_INTERNAL,   /* for staff: matters, organisation structure */
	FIELD_PERSONAL,   /* names, phones, addresses */
	FIELD_SENSITIVE,  /* ID numbers, key-people records: masked, every unmasking logged */
};

enum mask_rule {
	MASK_NONE = 0,
	MASK_ID_NUMBER, /* first and last character kept: 1****************X */
	MASK_PHONE,     /* 3 + 4 stars + 4: 138****5678; short numbers keep only the last 2 */
	MASK_ALL,       /* every character replaced by one '*' per character, capped at 8 */
};

struct field_class_def {
	const char *entity; /* "user", later "person", "key_person"... */
	const char *field;
	enum field_class cls;
	enum mask_rule mask;
};

extern const struct field_class_def sensitive_fields[];
extern const size_t sensitive_field_count;

/* The entry for entity.field, or NULL (unknown fields count as internal, unmasked). */
const struct field_class_def *sensitive_field(const char *entity, const char *field);
/* "public", "internal", "personal", "sensitive". */
const char *sensitive_class_name(enum field_class c);

/* Writes value masked by rule into out (n bytes; UTF-8 aware: one '*' per character). Returns
   out. NULL value gives "". */
const char *sensitive_mask(enum mask_rule rule, const char *value, char *out, size_t n);

/* Masks value of entity.field unless unmask is set. Returns value itself when shown as is. */
const char *sensitive_show(const char *entity, const char *field, const char *value, int unmask,
                           char *out, size_t n);

/* 1 when a reason given for unmasking is acceptable: 2..200 characters after trimming. */
int sensitive_reason_ok(const char *reason);

#include "base/banned.h"
#endif
