/*
 * Request parameters and error answers shared by the API handlers: integers from the query
 * string and the path, paging, members of a JSON body, and the translation of a domain error into
 * an HTTP answer. Functions named *_or_respond answer the client themselves when the input is
 * refused (with the code and Chinese message given below) and return -1; the handler then just
 * returns. They return 0 when the input is acceptable. Strings handed out are borrowed from the
 * request or from its body JSON and live as long as the request; nothing here allocates.
 */
#ifndef WANGGE_API_PARAMS_H
#define WANGGE_API_PARAMS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct req;
struct dom_err;
struct principal;

/* ---- domain errors ---- */

/* Answers e with its status, code and message; an unset status, code or message becomes 500,
   "internal" or "内部错误". When the domain recorded the failure in the audit trail (e->audited)
   the request is marked audited, so the HTTP layer does not record it twice. */
void respond_dom_err(struct req *r, const struct dom_err *e);
/* After a successful domain write (dom_write recorded it): marks the request audited. */
void api_written(struct req *r);
/* The media type of an .xlsx workbook. */
#define XLSX_MIME "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
/* Answers 200 with the workbook data[0..len) (malloc'd; freed here) as an attachment named
   name-<the Asia/Shanghai date of now>.xlsx. */
void api_respond_xlsx(struct req *r, int64_t now, const char *name, char *data, size_t len);
/* ?limit= (1..DOM_PAGE_MAX) and ?cursor= of a keyset list into pg. -1 after answering 400. */
struct dom_page;
int api_page_or_respond(struct req *r, struct dom_page *pg);

/* ---- query string and path ---- */

/* The query parameter name as an integer in [min, max] into *out, def when absent. -1 after
   answering 400 bad_param "参数 <name> 应为 <min> 到 <max> 之间的整数". */
int query_int_or_respond(struct req *r, const char *name, int64_t def, int64_t min, int64_t max,
                         int64_t *out);

/* The path parameter name as a positive decimal id. -1 after answering 404 not_found (a malformed
   id names nothing). */
int api_id_param(struct req *r, const char *name, int64_t *out);

/* ---- JSON body members ---- */

/* Refuses any member of the object obj whose name is not in allowed (NULL-terminated): -1 after
   answering 400 unknown_field "<where>不支持的字段：<name>". where prefixes the message: "" for the
   body itself, e.g. "第 2 部分：" for an object nested in it. */
int body_keys_or_respond(struct req *r, json_t *obj, const char *const *allowed, const char *where);

/* For routes that take no body but may be sent "{}" (the web UI does): 0 when the body is empty
   or an object without members; -1 after answering 400 (malformed_json, unknown_field, ...). */
int body_none_or_respond(struct req *r);

/* The optional string member key of obj into *out: the string, or NULL when absent or null. -1
   after answering 400 bad_field "字段 <key> 必须是字符串" when it has another type. */
int body_string_or_respond(struct req *r, json_t *obj, const char *key, const char **out);

/* The optional "location" {lng, lat} (WGS84 degrees) of a body. When given and *grid is NULL,
   the location is placed in its grid through the server's locate index: *grid points to buf
   (n bytes) holding the code. *has is 1 when a location was given. 0, or -1 after answering
   400 bad_coordinates / outside_grids, 503 index_unavailable. */
int api_location_or_respond(struct req *r, json_t *loc, int *has, double *lng, double *lat,
                            const char **grid, char *buf, size_t n);

/* The same, but JSON null is refused like any other non-string (the region routes, where null
   has never meant "absent"). */
int body_string_not_null_or_respond(struct req *r, json_t *obj, const char *key, const char **out);

/* Like body_string_or_respond, for handlers that answer a wrong type with their own message: 0
   when the member is absent, null or a string, -1 (and *out NULL) when it has another type.
   Answers nothing. */
int body_string(json_t *obj, const char *key, const char **out);

/* The string member key of obj, or NULL when absent or of another type; for handlers that leave
   "missing or not a string" to one check of their own (or to the domain layer). */
const char *body_string_or_null(json_t *obj, const char *key);

/* The JSON array a as at most max strings into names[0..*n) (borrowed from a). -1 after
   answering 400 bad_request: shape_message when a is not an array or holds more than max items,
   "<key> 须为字符串数组" when an item is not a string. */
int body_strings_or_respond(struct req *r, json_t *a, const char *key, size_t max,
                            const char **names, size_t *n, const char *shape_message);

/* ---- identity writes addressed by :id ---- */

/* A domain write on the object id, e.g. role_delete or token_revoke. */
struct dom_ctx;
typedef int (*api_id_write_fn)(const struct dom_ctx *x, int64_t id, struct dom_err *e);

/* Runs fn for this request's caller on the path parameter :id: -1 after answering 404 for a
   malformed id or the domain error (respond_dom_err); 0 with *id set after a successful write,
   the request marked audited (the domain layer recorded it), and the answer left to the caller. */
int id_write_or_respond(struct req *r, api_id_write_fn fn, int64_t *id);

#include "base/banned.h"
#endif
