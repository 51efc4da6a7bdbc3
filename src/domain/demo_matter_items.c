/*
 * The demo matter list (see demo_matter_items.h). The items follow the kind of lists Chinese
 * cities publish for grid management (城市管理, 社会治安, 矛盾纠纷, 安全隐患, 民生服务, 生态环境,
 * 特殊人群, 应急处置): what a grid worker may settle on the spot (resolve), what they only
 * report (report: anything needing enforcement, which Art. 13 keeps from them), and what they
 * help a department with (assist). Limits: acceptance in working hours, handling in working days
 * (hours for urgent hazards), verification in working days.
 */
#include <stdio.h>
#include <string.h>

#include "domain/demo_matter_items.h"
#include "domain/matter_item.h"
#include "domain/org.h"
#include "store/store.h"

#define CITY "371500000000"

static const char *const departments[] = {
	"聊城市城市管理局",           /* 0 */
	"聊城市公安局",               /* 1 */
	"聊城市生态环境局",           /* 2 */
	"聊城市应急管理局",           /* 3 */
	"聊城市住房和城乡建设局",     /* 4 */
	"聊城市市场监督管理局",       /* 5 */
	"聊城市民政局",               /* 6 */
	"聊城市司法局",               /* 7 */
	"聊城市卫生健康委员会",       /* 8 */
	"聊城市人力资源和社会保障局", /* 9 */
	"聊城市消防救援支队",         /* 10 */
	"聊城市水利局",               /* 11 */
	"聊城市自然资源和规划局",     /* 12 */
	"聊城市交通运输局",           /* 13 */
	"聊城市信访局",               /* 14 */
};
#define NDEPTS (sizeof departments / sizeof departments[0])

struct demo_item {
	const char *code, *category, *name, *role, *level;
	int urgency;
	int accept_hours;
	int handle, handle_unit;
	int verify_days;
	signed char depts[3]; /* indexes into departments, -1 ends */
	const char *description;
};

#define D CAL_WORKING_DAYS
#define H CAL_WORKING_HOURS

static const struct demo_item items[] = {
	/* 城市管理 */
	{ "CG-001",
	  "city_management",
	  "占道经营",
	  "resolve",
	  "township",
	  1,
	  4,
	  3,
	  D,
	  1,
	  { 0, -1 },
	  "流动摊贩、店外经营占用道路、人行道；网格员劝导，劝导无效的上报城管执法。" },
	{ "CG-002",
	  "city_management",
	  "乱堆乱放",
	  "resolve",
	  "township",
	  1,
	  4,
	  3,
	  D,
	  1,
	  { 0, -1 },
	  "公共区域堆放杂物、建筑材料、废弃家具。" },
	{ "CG-003",
	  "city_management",
	  "违规张贴小广告",
	  "resolve",
	  "township",
	  1,
	  8,
	  2,
	  D,
	  1,
	  { 0, -1 },
	  "墙面、电杆、公交站等处的张贴、涂写、刻画。" },
	{ "CG-004",
	  "city_management",
	  "私搭乱建",
	  "report",
	  "county",
	  2,
	  4,
	  15,
	  D,
	  2,
	  { 0, 12, -1 },
	  "未经批准新建、扩建建（构）筑物，网格员只上报，不得实施强制措施。" },
	{ "CG-005",
	  "city_management",
	  "井盖缺失或破损",
	  "report",
	  "county",
	  3,
	  1,
	  24,
	  H,
	  1,
	  { 0, 4, -1 },
	  "道路、人行道上的井盖缺失、破损、移位，有人员车辆跌落危险。" },
	{ "CG-006",
	  "city_management",
	  "路灯不亮",
	  "report",
	  "county",
	  1,
	  8,
	  5,
	  D,
	  1,
	  { 0, -1 },
	  "道路照明设施损坏、成片不亮。" },
	{ "CG-007",
	  "city_management",
	  "垃圾清运不及时",
	  "report",
	  "township",
	  1,
	  4,
	  1,
	  D,
	  1,
	  { 0, -1 },
	  "生活垃圾桶满溢、垃圾清运不及时。" },
	{ "CG-008",
	  "city_management",
	  "共享单车乱停放",
	  "resolve",
	  "township",
	  1,
	  8,
	  2,
	  D,
	  1,
	  { 0, 13, -1 },
	  "非机动车乱停放，堵塞盲道、消防通道。" },
	/* 社会治安 */
	{ "ZA-001",
	  "public_security",
	  "治安隐患线索",
	  "report",
	  "county",
	  2,
	  2,
	  5,
	  D,
	  2,
	  { 1, -1 },
	  "可疑人员、场所等治安隐患线索，上报后由公安机关核查。" },
	{ "ZA-002",
	  "public_security",
	  "电信网络诈骗防范宣传",
	  "assist",
	  "township",
	  1,
	  8,
	  10,
	  D,
	  2,
	  { 1, -1 },
	  "入户宣传、劝阻疑似受骗群众，协助民警开展工作。" },
	{ "ZA-003",
	  "public_security",
	  "出租房屋信息变动",
	  "report",
	  "township",
	  1,
	  8,
	  5,
	  D,
	  2,
	  { 1, 4, -1 },
	  "出租房屋租住人员变动，按实有人口管理要求采集上报。" },
	{ "ZA-004",
	  "public_security",
	  "阻碍网格员依法履职",
	  "report",
	  "county",
	  2,
	  1,
	  3,
	  D,
	  1,
	  { 1, -1 },
	  "以暴力、威胁等方法阻碍网格员履职，依法由公安机关处理。" },
	{ "ZA-005",
	  "public_security",
	  "重点场所治安巡查",
	  "assist",
	  "township",
	  1,
	  8,
	  5,
	  D,
	  1,
	  { 1, -1 },
	  "学校、医院周边及人员密集场所的日常巡查。" },
	/* 矛盾纠纷 */
	{ "MD-001",
	  "disputes",
	  "邻里纠纷",
	  "resolve",
	  "township",
	  1,
	  4,
	  5,
	  D,
	  2,
	  { 7, -1 },
	  "噪音、漏水、通行等邻里矛盾，网格员先行调解。" },
	{ "MD-002",
	  "disputes",
	  "婚姻家庭纠纷",
	  "assist",
	  "township",
	  1,
	  4,
	  10,
	  D,
	  2,
	  { 7, 6, -1 },
	  "婚姻、赡养、抚养等家庭矛盾，协助人民调解委员会调解。" },
	{ "MD-003",
	  "disputes",
	  "物业纠纷",
	  "assist",
	  "township",
	  1,
	  8,
	  10,
	  D,
	  2,
	  { 4, 7, -1 },
	  "业主与物业服务企业之间的收费、服务质量纠纷。" },
	{ "MD-004",
	  "disputes",
	  "劳资纠纷",
	  "report",
	  "county",
	  2,
	  4,
	  10,
	  D,
	  2,
	  { 9, -1 },
	  "拖欠工资、劳动合同纠纷，涉及人数较多的应立即上报。" },
	{ "MD-005",
	  "disputes",
	  "土地承包经营纠纷",
	  "assist",
	  "township",
	  1,
	  8,
	  15,
	  D,
	  3,
	  { 12, 7, -1 },
	  "农村土地承包、流转中的权属与收益纠纷。" },
	/* 安全隐患 */
	{ "AQ-001",
	  "safety_hazards",
	  "消防通道堵塞",
	  "resolve",
	  "township",
	  2,
	  2,
	  8,
	  H,
	  1,
	  { 10, -1 },
	  "小区、市场的消防通道被车辆或杂物占用。" },
	{ "AQ-002",
	  "safety_hazards",
	  "电动自行车违规充电",
	  "resolve",
	  "township",
	  2,
	  2,
	  1,
	  D,
	  1,
	  { 10, -1 },
	  "楼道内停放充电、飞线充电。" },
	{ "AQ-003",
	  "safety_hazards",
	  "燃气安全隐患",
	  "report",
	  "county",
	  3,
	  1,
	  4,
	  H,
	  1,
	  { 4, 3, -1 },
	  "燃气管道老化、泄漏气味、违规使用液化气瓶。" },
	{ "AQ-004",
	  "safety_hazards",
	  "危旧房屋",
	  "report",
	  "county",
	  2,
	  4,
	  5,
	  D,
	  2,
	  { 4, -1 },
	  "墙体开裂、倾斜等危房迹象。" },
	{ "AQ-005",
	  "safety_hazards",
	  "食品安全隐患",
	  "report",
	  "county",
	  2,
	  4,
	  3,
	  D,
	  1,
	  { 5, -1 },
	  "无证经营、过期变质食品等线索，由市场监管部门执法。" },
	{ "AQ-006",
	  "safety_hazards",
	  "特种设备安全隐患",
	  "report",
	  "county",
	  2,
	  4,
	  3,
	  D,
	  1,
	  { 5, -1 },
	  "电梯困人频发、锅炉压力容器等隐患。" },
	/* 民生服务 */
	{ "MS-001",
	  "livelihood",
	  "困难群众救助线索",
	  "report",
	  "township",
	  1,
	  8,
	  10,
	  D,
	  2,
	  { 6, -1 },
	  "因病、因灾等陷入困境的家庭，协助申请救助。" },
	{ "MS-002",
	  "livelihood",
	  "独居老人关爱走访",
	  "resolve",
	  "township",
	  1,
	  8,
	  5,
	  D,
	  1,
	  { 6, 8, -1 },
	  "定期走访独居、空巢、失能老人。" },
	{ "MS-003",
	  "livelihood",
	  "就业创业政策咨询",
	  "resolve",
	  "township",
	  1,
	  8,
	  3,
	  D,
	  1,
	  { 9, -1 },
	  "帮助居民了解就业补贴、创业贷款政策。" },
	{ "MS-004",
	  "livelihood",
	  "供水供暖故障",
	  "report",
	  "county",
	  2,
	  2,
	  2,
	  D,
	  1,
	  { 4, -1 },
	  "停水、水压不足、暖气不热等公用设施问题。" },
	{ "MS-005",
	  "livelihood",
	  "群众诉求代办",
	  "assist",
	  "township",
	  1,
	  8,
	  10,
	  D,
	  2,
	  { 14, -1 },
	  "为行动不便的群众代办政务服务事项。" },
	/* 生态环境 */
	{ "ST-001",
	  "environment",
	  "露天焚烧",
	  "resolve",
	  "township",
	  2,
	  2,
	  1,
	  D,
	  1,
	  { 2, -1 },
	  "焚烧秸秆、垃圾、落叶，网格员劝阻并上报。" },
	{ "ST-002",
	  "environment",
	  "河道垃圾和污水排放",
	  "report",
	  "county",
	  2,
	  4,
	  5,
	  D,
	  2,
	  { 11, 2, -1 },
	  "河道、沟渠漂浮垃圾，疑似偷排污水。" },
	{ "ST-003",
	  "environment",
	  "扬尘污染",
	  "report",
	  "county",
	  1,
	  4,
	  3,
	  D,
	  1,
	  { 2, 4, -1 },
	  "工地未苫盖、道路遗撒造成扬尘。" },
	{ "ST-004",
	  "environment",
	  "噪声扰民",
	  "resolve",
	  "township",
	  1,
	  4,
	  3,
	  D,
	  1,
	  { 2, 1, -1 },
	  "夜间施工、商业经营噪声扰民。" },
	/* 特殊人群 */
	{ "TS-001",
	  "special_groups",
	  "社区矫正对象动态",
	  "assist",
	  "township",
	  1,
	  8,
	  5,
	  D,
	  2,
	  { 7, -1 },
	  "协助司法所掌握社区矫正对象动态。" },
	{ "TS-002",
	  "special_groups",
	  "严重精神障碍患者随访",
	  "assist",
	  "township",
	  2,
	  4,
	  5,
	  D,
	  1,
	  { 8, 1, -1 },
	  "协助医务人员、民警随访，发现肇事肇祸倾向立即上报。" },
	{ "TS-003",
	  "special_groups",
	  "留守儿童关爱",
	  "resolve",
	  "township",
	  1,
	  8,
	  10,
	  D,
	  2,
	  { 6, -1 },
	  "走访留守儿童家庭，落实监护责任。" },
	/* 应急处置 */
	{ "YJ-001",
	  "emergency",
	  "突发事件信息报告",
	  "report",
	  "city",
	  3,
	  1,
	  4,
	  H,
	  1,
	  { 3, -1 },
	  "火灾、爆炸、道路坍塌等突发事件的第一时间报告。" },
	{ "YJ-002",
	  "emergency",
	  "防汛积水点巡查",
	  "assist",
	  "township",
	  2,
	  2,
	  1,
	  D,
	  1,
	  { 11, 3, -1 },
	  "汛期低洼积水点、危险区域人员转移巡查。" },
	{ "YJ-003",
	  "emergency",
	  "地质灾害隐患巡查",
	  "report",
	  "county",
	  2,
	  4,
	  3,
	  D,
	  1,
	  { 12, 3, -1 },
	  "山体滑坡、地面塌陷等隐患迹象。" },
	/* 其他 */
	{ "QT-001",
	  "other",
	  "人口信息采集更新",
	  "resolve",
	  "township",
	  1,
	  8,
	  10,
	  D,
	  2,
	  { 1, 6, -1 },
	  "实有人口、实有房屋基础信息的采集与更新。" },
};

#undef D
#undef H

static int has_items(struct store_conn *c)
{
	struct store_stmt *st = store_prepare(c, "SELECT count(*) FROM matter_items");
	int64_t n = -1;

	if (st && store_step(st) == STORE_ROW)
		n = store_col_int64(st, 0);
	if (st)
		store_reset(st);
	return n < 0 ? -1 : n > 0;
}

static void fields_of(const struct demo_item *d, const int64_t *dept_ids,
                      struct matter_item_fields *f)
{
	memset(f, 0, sizeof *f);
	f->code = d->code;
	f->name = d->name;
	f->category = d->category;
	f->description = d->description;
	f->worker_role = d->role;
	f->default_level = d->level;
	f->urgency = d->urgency;
	f->accept_amount = d->accept_hours;
	f->accept_unit = CAL_WORKING_HOURS;
	f->handle_amount = d->handle;
	f->handle_unit = d->handle_unit;
	f->verify_amount = d->verify_days;
	f->verify_unit = CAL_WORKING_DAYS;
	f->warn_share_pct = 70;
	f->note = "首次编制";
	for (int i = 0; i < 3 && d->depts[i] >= 0; i++)
		f->departments[f->n_departments++] = dept_ids[(size_t)d->depts[i]];
}

int demo_matter_items_load(const struct dom_ctx *x, char *err, size_t errlen)
{
	static const struct demo_item temp = {
		"LS-001",
		"emergency",
		"冬季清雪除冰",
		"assist",
		"township",
		2,
		2,
		1,
		CAL_WORKING_DAYS,
		1,
		{ 0, 13, -1 },
		"冬季降雪后主次干道、人行道的清雪除冰（临时事项）。"
	};
	enum { NITEMS = sizeof items / sizeof items[0] };
	struct matter_item_fields f[NITEMS + 1], rev;
	struct matter_item cg;
	struct dom_err e = { 0 };
	int64_t dept_ids[NDEPTS], id = 0;
	char day[11], later[11], until[11];
	int rc = has_items(store_reader(x->store));

	if (rc != 0) {
		if (rc < 0)
			(void)snprintf(err, errlen, "cannot read the matter list");
		return rc < 0 ? -1 : 0;
	}
	for (size_t i = 0; i < NDEPTS; i++) {
		dept_ids[i] = org_ensure(x, departments[i], "department", NULL, CITY);
		if (dept_ids[i] < 0) {
			(void)snprintf(err, errlen, "cannot create the department %s",
			               departments[i]);
			return -1;
		}
	}
	calendar_date_format(calendar_local_day(x->now), day);
	calendar_date_format(calendar_local_day(x->now) + 30, later);
	calendar_date_format(calendar_local_day(x->now) + 90, until);
	for (size_t i = 0; i < NITEMS; i++) {
		fields_of(&items[i], dept_ids, &f[i]);
		/* The last item is published for a date a month ahead: "scheduled" in the demo. */
		f[i].effective_from = i + 1 == NITEMS ? later : day;
	}
	/* A temporary item: in force for the next 90 days. */
	fields_of(&temp, dept_ids, &f[NITEMS]);
	f[NITEMS].expires_on = until;
	f[NITEMS].note = "冬季临时事项";
	f[NITEMS].effective_from = day;
	/* The initial list in one write (one audit record), as a city publishes its first list. */
	if (matter_item_import(x, f, NITEMS + 1, &e) < 0)
		goto fail;
	/* A pending revision: 城管 proposes a shorter handling time for 占道经营 (CG-001). */
	if (matter_item_in_force(store_reader(x->store), "CG-001", x->now, &cg, &e) < 0)
		goto fail;
	memset(&rev, 0, sizeof rev);
	rev.n_departments = -1;
	rev.handle_amount = 2;
	rev.note = "群众反映处置偏慢，建议缩短处置时限";
	if (matter_item_propose(x, cg.id, &rev, &id, &e) < 0)
		goto fail;
	return NITEMS + 1;
fail:
	(void)snprintf(err, errlen, "matter list: %s (%s)", e.message, e.code ? e.code : "error");
	return -1;
}
