/*
 * The state table of a matter (see flow.h). Changing the flow means changing a row here, then
 * regenerating docs/matter-flow.md (`wangge flow --markdown > docs/matter-flow.md`); the unit
 * tests walk every row and every pair that is not a row.
 */
#include "domain/flow.h"

#include <jansson.h>
#include <string.h>

#include "base/buf.h"

static const char *const state_names[FS_COUNT] = {
	[FS_NONE] = "none",           [FS_REPORTED] = "reported",       [FS_ACCEPTED] = "accepted",
	[FS_REJECTED] = "rejected",   [FS_IN_PROGRESS] = "in_progress", [FS_DONE] = "done",
	[FS_VERIFIED] = "verified",   [FS_CLOSED] = "closed",           [FS_RATED] = "rated",
	[FS_REVIEWING] = "reviewing",
};
static const char *const state_labels[FS_COUNT] = {
	[FS_NONE] = "（新建）",     [FS_REPORTED] = "已上报",    [FS_ACCEPTED] = "已受理",
	[FS_REJECTED] = "不予受理", [FS_IN_PROGRESS] = "处置中", [FS_DONE] = "已办结",
	[FS_VERIFIED] = "已核查",   [FS_CLOSED] = "已结案",      [FS_RATED] = "已评价",
	[FS_REVIEWING] = "复核中",
};

static const struct {
	const char *name, *label;
} actions[FA_COUNT] = {
	[FA_REPORT] = { "report", "上报" },
	[FA_SELF_HANDLE] = { "self_handle", "自行处置" },
	[FA_ACCEPT] = { "accept", "受理" },
	[FA_REJECT] = { "reject", "不予受理" },
	[FA_ESCALATE] = { "escalate", "上报上级" },
	[FA_HANDLE] = { "handle", "本级处置" },
	[FA_ASSIGN] = { "assign", "交办" },
	[FA_DISPATCH] = { "dispatch", "分流" },
	[FA_SIGN] = { "sign", "签收" },
	[FA_RETURN] = { "return", "退回" },
	[FA_PROGRESS] = { "progress", "反馈进展" },
	[FA_REQUEST_EXTENSION] = { "request_extension", "申请延期" },
	[FA_APPROVE_EXTENSION] = { "approve_extension", "批准延期" },
	[FA_DENY_EXTENSION] = { "deny_extension", "不予延期" },
	[FA_EXPLAIN_OVERDUE] = { "explain_overdue", "超期书面说明" },
	[FA_SUBMIT] = { "submit", "提交办理结果" },
	[FA_VERIFY] = { "verify", "核查通过" },
	[FA_REWORK] = { "rework", "返工" },
	[FA_CLOSE] = { "close", "结案" },
	[FA_FEEDBACK] = { "feedback", "答复上报人" },
	[FA_MARK_SPAM] = { "mark_spam", "标记为无效信息" },
	[FA_RATE] = { "rate", "评价" },
	[FA_UPHOLD] = { "uphold", "复核后维持结案" },
	[FA_SUPERVISE] = { "supervise", "督办" },
	[FA_REMIND] = { "remind", "催办" },
};

static const struct {
	const char *name, *label;
} whos[] = {
	[FW_REPORTER] = { "reporter", "网格员（本网格）或辖区内的中心" },
	[FW_GRID_WORKER] = { "grid_worker", "本网格的网格员" },
	[FW_OWNER] = { "owner", "持有该事项的中心" },
	[FW_ASSIGNEE] = { "assignee", "承办单位（被分流的部门或被交办的下级中心）" },
	[FW_HANDLER] = { "handler", "当前处置方（承办单位，或本级处置的中心）" },
	[FW_RESIDENT] = { "resident", "上报的居民（凭查询码）" },
	[FW_HIGHER] = { "higher", "持有中心的上级中心（事项在其辖区内）" },
};

/* clang-format off */
const struct flow_row flow_rows[] = {
	{ FS_NONE, FA_REPORT, FW_REPORTER, FS_REPORTED, FS_NONE,
	  { "item", "title", "description", NULL }, "matter.report",
	  "held by the township center of the matter's place (else the nearest center above); the item "
	  "must be on the published list in force (Art. 16)" },
	{ FS_REPORTED, FA_SELF_HANDLE, FW_GRID_WORKER, FS_DONE, FS_NONE,
	  { "result", NULL }, "matter.self_handle",
	  "only when the item lets the grid worker resolve it on the spot; the center then verifies" },
	{ FS_REPORTED, FA_ACCEPT, FW_OWNER, FS_ACCEPTED, FS_NONE, { NULL }, "matter.accept", NULL },
	{ FS_REPORTED, FA_REJECT, FW_OWNER, FS_REJECTED, FS_NONE, { "reason", NULL },
	  "matter.accept", "final" },
	{ FS_REPORTED, FA_ESCALATE, FW_OWNER, FS_REPORTED, FS_NONE, { "reason", NULL },
	  "matter.accept", "the center one level up holds it next (Art. 18)" },
	{ FS_ACCEPTED, FA_ESCALATE, FW_OWNER, FS_REPORTED, FS_NONE, { "reason", NULL },
	  "matter.accept", "the center one level up holds it next and accepts it again" },
	{ FS_ACCEPTED, FA_HANDLE, FW_OWNER, FS_IN_PROGRESS, FS_NONE, { NULL }, "matter.dispatch",
	  "the center handles it itself, on the item's handling limit" },
	{ FS_ACCEPTED, FA_ASSIGN, FW_OWNER, FS_IN_PROGRESS, FS_NONE, { "org", "requirements", NULL },
	  "matter.dispatch",
	  "交办 to a center below whose area holds the matter, with a deadline (default: the item's "
	  "handling limit)" },
	{ FS_ACCEPTED, FA_DISPATCH, FW_OWNER, FS_IN_PROGRESS, FS_NONE, { "departments", NULL },
	  "matter.dispatch",
	  "分流 to one lead department and any co-handlers (联动处置) whose area holds the matter, each "
	  "with its own deadline (default: the item's handling limit; the dispatcher may override)" },
	{ FS_IN_PROGRESS, FA_SIGN, FW_ASSIGNEE, FS_IN_PROGRESS, FS_NONE, { NULL }, "matter.handle",
	  "the assignment goes from pending to signed" },
	{ FS_IN_PROGRESS, FA_RETURN, FW_ASSIGNEE, FS_IN_PROGRESS, FS_ACCEPTED, { "basis", NULL },
	  "matter.handle",
	  "退回 as not ours, with the basis, before the assignment's sign-for limit ends; when no "
	  "assignment is left open the matter goes back to the center (accepted)" },
	{ FS_IN_PROGRESS, FA_PROGRESS, FW_HANDLER, FS_IN_PROGRESS, FS_NONE, { "note", NULL },
	  "matter.handle", NULL },
	{ FS_IN_PROGRESS, FA_REQUEST_EXTENSION, FW_ASSIGNEE, FS_IN_PROGRESS, FS_NONE,
	  { "due", "reason", NULL }, "matter.handle", "one request open at a time per assignment" },
	{ FS_IN_PROGRESS, FA_APPROVE_EXTENSION, FW_OWNER, FS_IN_PROGRESS, FS_NONE,
	  { "assignment", NULL }, "matter.dispatch", "the assignment's deadline becomes the one asked" },
	{ FS_IN_PROGRESS, FA_DENY_EXTENSION, FW_OWNER, FS_IN_PROGRESS, FS_NONE,
	  { "assignment", "reason", NULL }, "matter.dispatch", NULL },
	{ FS_IN_PROGRESS, FA_EXPLAIN_OVERDUE, FW_ASSIGNEE, FS_IN_PROGRESS, FS_NONE,
	  { "explanation", NULL }, "matter.handle",
	  "书面说明 to the dispatching center, only once the assignment is overdue (Art. 19)" },
	{ FS_IN_PROGRESS, FA_SUBMIT, FW_HANDLER, FS_IN_PROGRESS, FS_DONE, { "result", NULL },
	  "matter.handle",
	  "an overdue assignment must explain first (Art. 19); the matter is done when every "
	  "assignment not returned has submitted, or when the center handling it itself submits" },
	{ FS_DONE, FA_VERIFY, FW_OWNER, FS_VERIFIED, FS_NONE, { NULL }, "matter.verify", NULL },
	{ FS_DONE, FA_REWORK, FW_OWNER, FS_IN_PROGRESS, FS_NONE, { "reason", NULL }, "matter.verify",
	  "the submitted assignments (or the self-handling worker, or the center) handle it again" },
	{ FS_VERIFIED, FA_CLOSE, FW_OWNER, FS_CLOSED, FS_NONE, { NULL }, "matter.verify", NULL },
	{ FS_ACCEPTED, FA_FEEDBACK, FW_OWNER, FS_ACCEPTED, FS_NONE, { "message", NULL },
	  "matter.feedback", "the reporter sees the message (Art. 18)" },
	{ FS_IN_PROGRESS, FA_FEEDBACK, FW_OWNER, FS_IN_PROGRESS, FS_NONE, { "message", NULL },
	  "matter.feedback", "the reporter sees the message" },
	{ FS_DONE, FA_FEEDBACK, FW_OWNER, FS_DONE, FS_NONE, { "message", NULL }, "matter.feedback",
	  "the reporter sees the message" },
	{ FS_VERIFIED, FA_FEEDBACK, FW_OWNER, FS_VERIFIED, FS_NONE, { "message", NULL },
	  "matter.feedback", "the reporter sees the message" },
	{ FS_CLOSED, FA_FEEDBACK, FW_OWNER, FS_CLOSED, FS_NONE, { "message", NULL },
	  "matter.feedback", "the reporter sees the result" },
	{ FS_REJECTED, FA_FEEDBACK, FW_OWNER, FS_REJECTED, FS_NONE, { "message", NULL },
	  "matter.feedback", "the reporter hears why it was not accepted" },
	{ FS_REPORTED, FA_MARK_SPAM, FW_OWNER, FS_REJECTED, FS_NONE, { "reason", NULL },
	  "matter.accept", "a resident's report that is spam or abuse: final, flagged, audited" },
	{ FS_CLOSED, FA_RATE, FW_RESIDENT, FS_RATED, FS_REVIEWING, { "rating", NULL }, "public",
	  "once, on the tracking page: 满意 or 基本满意 ends it; 不满意 sends it to the center for "
	  "review" },
	{ FS_REVIEWING, FA_REWORK, FW_OWNER, FS_IN_PROGRESS, FS_NONE, { "reason", NULL },
	  "matter.verify", "the review finds the complaint right: handled again" },
	{ FS_REVIEWING, FA_UPHOLD, FW_OWNER, FS_RATED, FS_NONE, { "reason", NULL }, "matter.verify",
	  "the review upholds the result; the reporter sees the reason" },
	{ FS_REVIEWING, FA_FEEDBACK, FW_OWNER, FS_REVIEWING, FS_NONE, { "message", NULL },
	  "matter.feedback", "the reporter sees the message" },
	{ FS_RATED, FA_FEEDBACK, FW_OWNER, FS_RATED, FS_NONE, { "message", NULL }, "matter.feedback",
	  "the reporter sees the message" },
#define SUPERVISION_ROWS(state)                                                                   \
	{ state, FA_SUPERVISE, FW_HIGHER, state, FS_NONE, { "level", "message", NULL },        \
	  "matter.supervise", "督办 (level normal, yellow or red card): counted for the holders" }, \
	{ state, FA_REMIND, FW_HIGHER, state, FS_NONE, { "message", NULL }, "matter.supervise",  \
	  "催办: counted for the holders" }
	SUPERVISION_ROWS(FS_REPORTED),
	SUPERVISION_ROWS(FS_ACCEPTED),
	SUPERVISION_ROWS(FS_IN_PROGRESS),
	SUPERVISION_ROWS(FS_DONE),
	SUPERVISION_ROWS(FS_VERIFIED),
	SUPERVISION_ROWS(FS_REVIEWING),
#undef SUPERVISION_ROWS
};
/* clang-format on */

const size_t flow_row_count = sizeof flow_rows / sizeof flow_rows[0];

const struct flow_row *flow_find(enum flow_state s, enum flow_action a)
{
	for (size_t i = 0; i < flow_row_count; i++)
		if (flow_rows[i].from == s && flow_rows[i].action == a)
			return &flow_rows[i];
	return NULL;
}

const char *flow_state_name(enum flow_state s)
{
	return s >= 0 && s < FS_COUNT ? state_names[s] : "?";
}

const char *flow_state_label(enum flow_state s)
{
	return s >= 0 && s < FS_COUNT ? state_labels[s] : "?";
}

const char *flow_action_name(enum flow_action a)
{
	return a >= 0 && a < FA_COUNT ? actions[a].name : "?";
}

const char *flow_action_label(enum flow_action a)
{
	return a >= 0 && a < FA_COUNT ? actions[a].label : "?";
}

const char *flow_who_name(enum flow_who w)
{
	return w >= 0 && w <= FW_HIGHER ? whos[w].name : "?";
}

const char *flow_who_label(enum flow_who w)
{
	return w >= 0 && w <= FW_HIGHER ? whos[w].label : "?";
}

enum flow_state flow_state_from_name(const char *name)
{
	for (int s = FS_REPORTED; name && s < FS_COUNT; s++)
		if (strcmp(state_names[s], name) == 0)
			return (enum flow_state)s;
	return FS_NONE;
}

int flow_action_from_name(const char *name)
{
	for (int a = 0; name && a < FA_COUNT; a++)
		if (strcmp(actions[a].name, name) == 0)
			return a;
	return -1;
}

int flow_state_open(enum flow_state s)
{
	return s == FS_REPORTED || s == FS_ACCEPTED || s == FS_IN_PROGRESS || s == FS_DONE ||
	       s == FS_VERIFIED || s == FS_REVIEWING;
}

json_t *flow_table_json(void)
{
	json_t *root = json_object(), *states = json_array(), *acts = json_array(),
	       *rows = json_array();

	if (!root || !states || !acts || !rows) {
		json_decref(root);
		json_decref(states);
		json_decref(acts);
		json_decref(rows);
		return NULL;
	}
	for (int s = FS_REPORTED; s < FS_COUNT; s++)
		json_array_append_new(states, json_pack("{s:s,s:s,s:b}", "name", state_names[s],
		                                        "label", state_labels[s], "open",
		                                        flow_state_open((enum flow_state)s)));
	for (int a = 0; a < FA_COUNT; a++)
		json_array_append_new(acts, json_pack("{s:s,s:s}", "name", actions[a].name, "label",
		                                      actions[a].label));
	for (size_t i = 0; i < flow_row_count; i++) {
		const struct flow_row *r = &flow_rows[i];
		json_t *req = json_array();

		for (int k = 0; k < FLOW_FIELDS_MAX && r->required[k]; k++)
			json_array_append_new(req, json_string(r->required[k]));
		json_array_append_new(
		        rows,
		        json_pack("{s:s?,s:s,s:s,s:s,s:s?,s:o,s:s,s:s?}", "from",
		                  r->from == FS_NONE ? NULL : state_names[r->from], "action",
		                  actions[r->action].name, "who", whos[r->who].name, "to",
		                  state_names[r->to], "to_alt",
		                  r->to_alt == FS_NONE ? NULL : state_names[r->to_alt], "required",
		                  req, "permission", r->permission, "note", r->note));
	}
	json_object_set_new(root, "states", states);
	json_object_set_new(root, "actions", acts);
	json_object_set_new(root, "rows", rows);
	return root;
}

char *flow_table_markdown(void)
{
	struct buf b;
	int rc = 0;

	buf_init(&b, 1u << 20);
	rc |= buf_puts(&b, "# The flow of a matter\n\n"
	                   "Generated by `wangge flow --markdown` from the state table in "
	                   "src/domain/flow.c; do not edit by hand (a test compares them).\n\n"
	                   "Any (state, action) pair that is not a row is refused with 409 "
	                   "`bad_transition`, naming the state and the action. Every action "
	                   "appends one event; the matter row is its projection.\n\n"
	                   "## States\n\n| state | label | open |\n|---|---|---|\n");
	for (int s = FS_REPORTED; s < FS_COUNT; s++)
		rc |= buf_printf(&b, "| `%s` | %s | %s |\n", state_names[s], state_labels[s],
		                 flow_state_open((enum flow_state)s) ? "yes" : "no");
	rc |= buf_puts(&b, "\n## Who\n\n| who | meaning |\n|---|---|\n");
	for (int w = FW_REPORTER; w <= FW_HIGHER; w++)
		rc |= buf_printf(&b, "| `%s` | %s |\n", whos[w].name, whos[w].label);
	rc |= buf_puts(&b, "\n## Transitions\n\n"
	                   "| from | action | who | to | required | permission | note |\n"
	                   "|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < flow_row_count; i++) {
		const struct flow_row *r = &flow_rows[i];

		rc |= buf_printf(&b, "| %s | `%s` %s | %s | `%s`%s%s%s | ",
		                 r->from == FS_NONE ? "—" : state_names[r->from],
		                 actions[r->action].name, actions[r->action].label,
		                 whos[r->who].name, state_names[r->to],
		                 r->to_alt != FS_NONE ? " or `" : "",
		                 r->to_alt != FS_NONE ? state_names[r->to_alt] : "",
		                 r->to_alt != FS_NONE ? "`" : "");
		for (int k = 0; k < FLOW_FIELDS_MAX && r->required[k]; k++)
			rc |= buf_printf(&b, "%s`%s`", k ? ", " : "", r->required[k]);
		rc |= buf_printf(&b, " | `%s` | %s |\n", r->permission, r->note ? r->note : "");
	}
	if (rc)
		return buf_release(&b), NULL;
	return buf_detach(&b, NULL);
}
