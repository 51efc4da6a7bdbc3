/*
 * Handlers of the HTTP API, one file per resource. Each parses and validates its input, calls the
 * domain layer, and answers with JSON. The route table in routes.c lists them all.
 */
#ifndef WANGGE_API_API_H
#define WANGGE_API_API_H

#include <stdint.h>

#include "api/params.h" /* request parameters and error answers shared by the handlers */
#include "http/http.h"

/* routes.c: the route table, and the hooks the server runs around every route's handler. */
extern const struct route api_routes[];
extern const size_t api_route_count;
extern const struct http_hooks api_http_hooks;
/* The authentication and authorization step (session.c): resolves the caller from the session
   cookie or "Authorization: Bearer", enforces the route's permission, CSRF on cookie-authenticated
   state-changing requests, and the restricted state (password change / TOTP enrolment). Returns 0
   to run the handler, or -1 after answering (401, 403, 503). */
int api_authorize(struct req *r);
/* Run after the handler: records every state-changing request (non-GET) in the audit trail with
   route, status and object, unless the domain already recorded it (req_set_audited). */
void api_audit_request(struct req *r);

/* health.c */
void api_healthz(struct req *r);
/* probe.c (internal routes, tests and benchmarks only) */
void api_probe_put(struct req *r);
void api_probe_get(struct req *r);
void api_clock_set(struct req *r);
/* regions.c; bodies that carry GeoJSON boundaries may be this large */
#define GRID_MAX_BODY (8u * 1024 * 1024)
/* Matters and their flow (issue 10; docs/api-matters.md). The report and the actions take JSON
   (the default 64 KiB limit) or a form with photos (PHOTO_FORM_MAX_BODY, ROUTE_MULTIPART). */
void api_matters_list(struct req *r);
void api_matters_report(struct req *r);
void api_matters_get(struct req *r);
void api_matters_act(struct req *r);
void api_matters_counts(struct req *r);
void api_matters_dashboard(struct req *r);
void api_public_report(struct req *r);
void api_public_track(struct req *r);
void api_public_rate(struct req *r);
void api_matters_flow(struct req *r);
void api_matters_tick(struct req *r);
void api_matters_photo(struct req *r);
/* resident.c: the residents' pages without login (docs/api-matters.md "Residents"). A report
   form carries up to RESIDENT_PHOTOS_MAX photos. */
#define RESIDENT_PHOTOS_MAX 3
#define RESIDENT_FORM_MAX_BODY (3u * 8 * 1024 * 1024 + 64 * 1024)
void api_resident_report_page(struct req *r);
void api_resident_report_post(struct req *r);
void api_resident_track_page(struct req *r);
void api_resident_rate_post(struct req *r);
void api_matters_contact(struct req *r);
/* The context of a public route: the request's, but acting as nobody even when a session cookie
   came along (a public write is never made in a staff member's name). */
struct dom_ctx;
void api_public_ctx(struct req *r, struct dom_ctx *x);
/* The residents' report quotas (per address and per grid) for the JSON API: 0 when the report
   may go on, -1 after answering 429 (over the quota: the JSON API has no challenge to ask);
   api_resident_counted counts a report made. */
int api_resident_quota_or_respond(struct req *r, const char *grid);
void api_resident_counted(struct req *r, const char *grid);
/* stream.c: live updates of matters as server-sent events (docs/api-stream.md) */
void api_stream(struct req *r);

void api_regions_list(struct req *r);
void api_region_get(struct req *r);
void api_region_create(struct req *r);
void api_region_update(struct req *r);
void api_region_grids_geojson(struct req *r);
/* grids.c */
void api_grids_list(struct req *r);
void api_grid_get(struct req *r);
void api_grid_create(struct req *r);
void api_grid_update(struct req *r);
void api_grid_redraw(struct req *r);
void api_grid_split(struct req *r);
void api_grids_merge(struct req *r);
void api_grid_retire(struct req *r);
void api_grid_history(struct req *r);
void api_grids_locate(struct req *r);
void api_grids_checks(struct req *r);
/* Shared by regions.c and grids.c: rebuilds the locate index after a write (logs failures). */
void api_grids_changed(struct req *r);
/* Shared by regions.c and grids.c: answers a page the domain wrote as JSON text into text (rc 0),
   or e (rc -1); releases text. */
struct buf;
void api_grids_page(struct req *r, int rc, struct buf *text, const struct dom_err *e);

/* Identity and access (issue 4). Shared helpers of these handlers live in session.c; their
   parameter helpers (api_id_param, api_page_or_respond) in params.c. */
struct caller;
struct dom_ctx;
/* The domain context of this request: the store, the caller, now (once, from the injectable
   clock), the audit sink (key, client address, request id) and the security parameters. */
void api_ctx(struct req *r, struct dom_ctx *x);
struct caller *api_caller(struct req *r); /* the authenticated caller */
/* Appends an audit entry for this request's caller (own write). */
void api_audit(struct req *r, const char *action, const char *object, const char *outcome,
               const char *detail);
/* users.c: ?unmask=1&reason=... handling for any handler that shows masked fields. Returns 1
   (allowed), 0 (not asked) or -1 after answering; api_unmask_record audits one unmasking. */
int api_unmask_requested(struct req *r);
void api_unmask_record(struct req *r, const char *object);
/* session.c */
void api_session_login(struct req *r);
void api_session_get(struct req *r);
void api_session_logout(struct req *r);
void api_sessions_logout_all(struct req *r);
void api_session_password(struct req *r);
void api_session_totp_begin(struct req *r);
void api_session_totp_confirm(struct req *r);
void api_session_totp_disable(struct req *r);
/* users.c */
void api_users_list(struct req *r);
void api_users_create(struct req *r);
void api_users_get(struct req *r);
void api_users_update(struct req *r);
void api_users_password_reset(struct req *r);
void api_users_set_roles(struct req *r);
void api_users_set_grids(struct req *r);
void api_users_totp_reset(struct req *r);
void api_users_activation(struct req *r);
void api_users_admin_update(struct req *r);
void api_users_admin_password_reset(struct req *r);
/* orgs.c */
void api_orgs_list(struct req *r);
void api_orgs_create(struct req *r);
void api_orgs_get(struct req *r);
void api_orgs_update(struct req *r);
/* roles.c */
void api_roles_list(struct req *r);
void api_roles_create(struct req *r);
void api_roles_update(struct req *r);
void api_roles_delete(struct req *r);
void api_permissions_list(struct req *r);
json_t *api_permission_catalog_json(void); /* also printed by `wangge routes` */
void api_lockouts_list(struct req *r);
void api_lockouts_release(struct req *r);
void api_security_settings(struct req *r);
/* tokens.c */
void api_tokens_list(struct req *r);
void api_tokens_create(struct req *r);
void api_tokens_revoke(struct req *r);
/* registry.c (issue 12; docs/api-registry.md) */
void api_grid_statistics(struct req *r);
void api_houses_list(struct req *r);
void api_houses_create(struct req *r);
void api_houses_get(struct req *r);
void api_houses_update(struct req *r);
void api_houses_residents(struct req *r);
void api_houses_export_xlsx(struct req *r);
void api_units_list(struct req *r);
void api_units_create(struct req *r);
void api_units_get(struct req *r);
void api_units_update(struct req *r);
void api_units_export_xlsx(struct req *r);
void api_people_list(struct req *r);
void api_people_export_xlsx(struct req *r);
void api_people_create(struct req *r);
void api_people_get(struct req *r);
void api_people_update(struct req *r);
void api_people_history(struct req *r);
void api_people_visits_due(struct req *r);
void api_registry_quality(struct req *r);
/* workers.c (R2; docs/api-workers.md) */
#define WORKER_IMPORT_BODY (4u * 1024 * 1024)
void api_workers_list(struct req *r);
void api_workers_create(struct req *r);
void api_workers_get(struct req *r);
void api_workers_update(struct req *r);
void api_workers_set_grids(struct req *r);
void api_workers_exit(struct req *r);
void api_workers_attestations(struct req *r);
void api_workers_attest(struct req *r);
void api_workers_records(struct req *r);
void api_workers_records_add(struct req *r);
void api_workers_compliance(struct req *r);
void api_workers_compliance_xlsx(struct req *r);
void api_workers_export_xlsx(struct req *r);
void api_workers_import(struct req *r);
void api_grid_staffing_exception_set(struct req *r);
void api_grid_staffing_exception_clear(struct req *r);
/* photos.c: the photo parts of a multipart form and serving one photo (duty records, matters).
   A form with photos may carry up to nine of 8 MiB besides its text fields. */
#define PHOTO_FORM_MAX_BODY (9u * 8 * 1024 * 1024 + 64 * 1024)
struct multipart;
struct upload;
/* Every file part must be in the field "photos" (else 400 unknown_field); *n = their number
   (0 without a form). 0, or -1 after answering. */
int api_photo_parts_or_respond(struct req *r, const struct multipart *m, size_t *n);
/* Takes the first n file parts into the upload store (413 / 415 / 400 empty_file as
   domain/upload.h says). 0, or -1 after answering. */
int api_photos_accept_or_respond(struct req *r, const struct dom_ctx *x, const struct multipart *m,
                                 size_t n, struct upload *out);
/* Answers the stored photo hash as mime (ETag, private long cache, 304 on If-None-Match), after
   the domain said the caller may see it. */
void api_photo_send(struct req *r, const char *hash, const char *mime);
/* duty.c (docs/api-duty.md); a create carries up to nine photos of 8 MiB as multipart */
#define DUTY_MAX_BODY PHOTO_FORM_MAX_BODY
void api_duty_create(struct req *r);
void api_duty_list(struct req *r);
void api_duty_get(struct req *r);
void api_duty_photo(struct req *r);
void api_duty_catalog(struct req *r);
/* notice.c: the public notice board of a grid (no login) */
void api_public_grid(struct req *r);
void api_public_grid_print(struct req *r);
/* calendar.c (docs/api-calendar.md); a year's CSV may be this large */
#define CALENDAR_MAX_BODY (512u * 1024)
void api_calendar_years(struct req *r);
void api_calendar_due(struct req *r);
void api_calendar_year_get(struct req *r);
void api_calendar_year_put(struct req *r);
void api_calendar_day_put(struct req *r);
void api_calendar_day_delete(struct req *r);
void api_calendar_settings_put(struct req *r);
/* matter_items.c (docs/api-matter-items.md) */
void api_matter_items_list(struct req *r);
void api_matter_items_create(struct req *r);
void api_matter_item_categories(struct req *r);
void api_matter_item_get(struct req *r);
void api_matter_item_revise(struct req *r);
void api_matter_item_approve(struct req *r);
void api_matter_item_reject(struct req *r);
void api_matter_item_publish(struct req *r);
void api_matter_item_withdraw(struct req *r);
void api_matter_item_versions(struct req *r);
void api_matter_item_version(struct req *r);
void api_matter_item_diff(struct req *r);
void api_public_matter_list(struct req *r);
/* audit.c */
void api_audit_list(struct req *r);
void api_audit_export(struct req *r);

#include "base/banned.h"
#endif
