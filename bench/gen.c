/* gen.c -- a deterministic synthetic population for the search benchmark: NPATIENTS
 * Patients (ids p0000000..) who look like Chinese residents, and OBS_PER_PATIENT vital-sign
 * and laboratory Observations each (ids o00000000.., o = patient * OBS_PER_PATIENT + slot)
 * with LOINC codes and UCUM quantities, dated over the 5 years before 2026-11-01.
 *
 * Every resource goes the server's write path: JSON text -> jansson -> yl_fhir_extract()
 * (search-index rows) and yl_fhir_patient_of() (compartment) -> yl_store_write() with the
 * body rendered by yl_json_rewrite() (meta.versionId / meta.lastUpdated set by the store),
 * in bulk transactions of BATCH resources. Patients are written first (registration order),
 * then the Observations in chronological order of effectiveDateTime, as a server would
 * have received them over 5 years, so one patient's rows are scattered through the tables
 * as they would be in a real store.
 *
 * Deterministic: every resource is drawn from its own splitmix64 stream seeded from
 * (SEED, kind, patient, slot), so the same arguments give the same resources, and patient
 * i is the same whatever NPATIENTS is. Only meta.lastUpdated (the commit time) differs
 * between two builds. Normal draws use sums of uniforms (no libm), so the text does not
 * depend on the C library.
 *
 * usage: yl_bench_gen DB NPATIENTS OBS_PER_PATIENT [SEED]   fill a store (SEED 42)
 *        yl_bench_gen --dump NPATIENTS OBS_PER_PATIENT [SEED]
 *                     the resources as NDJSON on stdout, in write order, without meta;
 *                     each one also checked by yl_fhir_validate()
 *        yl_bench_gen --prefixes    the distinct 3-letter lower-case prefixes of the
 *                                   surnames (for the name search of bench/search.sh)
 *        yl_bench_gen --layout      what a store it writes depends on besides its
 *                                   arguments: the newest migration, the index
 *                                   fingerprint and the body codec (bench/search.sh
 *                                   rebuilds its cached store when this changes)
 *
 * GEN_CACHE_MB in the environment gives the store's writer connection a page cache of that
 * many MB: at a million patients the store is larger than RAM and every index insert
 * lands on a random page, which the kernel's reclaim of idle file pages would otherwise
 * send back to disk between visits. */
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/time.h"
#include "fhir/compartment.h"
#include "fhir/extract.h"
#include "fhir/json.h"
#include "fhir/ucum.h"
#include "fhir/validate.h"
#include "store/body.h"
#include "store/migrations.h"
#include "store/store.h"

#define BATCH 5000

/* ---- deterministic randomness ---------------------------------------------------- */

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

struct rng {
	uint64_t s;
};

static uint64_t seed_global = 42;

/* the stream of one thing: kind ('T' traits, 'P' patient, 'D' visit date, 'O' observation) */
static struct rng stream(uint64_t kind, uint64_t a, uint64_t b)
{
	uint64_t s = mix64(seed_global ^ mix64(kind * 0x9e3779b97f4a7c15ULL + a));
	return (struct rng){mix64(s ^ mix64(b + 0x632be59bd9b4e019ULL))};
}

static uint64_t next64(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return mix64(r->s);
}

static double unif(struct rng *r) /* [0, 1) */
{
	return (double)(next64(r) >> 11) * (1.0 / 9007199254740992.0);
}

static long below(struct rng *r, long n) /* [0, n) */
{
	return (long)(unif(r) * (double)n);
}

/* approximately normal (Irwin-Hall, 4 uniforms: tails end at 3.46 sd) */
static double normal(struct rng *r, double mean, double sd)
{
	double s = unif(r) + unif(r) + unif(r) + unif(r) - 2.0;
	return mean + sd * s * 1.7320508075688772;
}

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* weighted pick: w[] are integer weights, total their sum */
static int pick(struct rng *r, const int *w, int n, int total)
{
	long x = below(r, total);
	for (int i = 0; i < n; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

/* ---- names, places ---------------------------------------------------------------- */

/* Surnames in pinyin with their characters and a weight (about per 10,000 people, after
 * the 2020 census; surnames that share a pinyin spelling are merged into one entry). */
static const struct {
	const char *py, *hz;
	int w;
} surnames[] = {
    {"Wang", "王", 760},  {"Li", "李", 760},     {"Zhang", "张", 690}, {"Liu", "刘", 560},
    {"Chen", "陈", 470},  {"Yang", "杨", 310},   {"Zhao", "赵", 230},  {"Huang", "黄", 230},
    {"Zhou", "周", 210},  {"Wu", "吴", 210},     {"Xu", "徐", 240},    {"Sun", "孙", 150},
    {"Hu", "胡", 130},    {"Zhu", "朱", 130},    {"Gao", "高", 120},   {"Lin", "林", 110},
    {"He", "何", 130},    {"Guo", "郭", 110},    {"Ma", "马", 100},    {"Luo", "罗", 90},
    {"Liang", "梁", 80},  {"Song", "宋", 70},    {"Zheng", "郑", 70},  {"Xie", "谢", 60},
    {"Han", "韩", 60},    {"Tang", "唐", 60},    {"Feng", "冯", 50},   {"Yu", "于", 70},
    {"Dong", "董", 50},   {"Xiao", "肖", 50},    {"Cheng", "程", 50},  {"Cao", "曹", 50},
    {"Yuan", "袁", 40},   {"Deng", "邓", 40},    {"Fu", "傅", 40},     {"Shen", "沈", 50},
    {"Zeng", "曾", 40},   {"Peng", "彭", 40},    {"Lyu", "吕", 40},    {"Su", "苏", 30},
    {"Lu", "卢", 70},     {"Jiang", "蒋", 80},   {"Cai", "蔡", 30},    {"Jia", "贾", 30},
    {"Ding", "丁", 30},   {"Wei", "魏", 40},     {"Xue", "薛", 30},    {"Ye", "叶", 30},
    {"Yan", "阎", 50},    {"Pan", "潘", 30},     {"Du", "杜", 30},     {"Dai", "戴", 30},
    {"Xia", "夏", 30},    {"Zhong", "钟", 30},   {"Tian", "田", 30},   {"Ren", "任", 30},
    {"Fan", "范", 40},    {"Fang", "方", 30},    {"Shi", "石", 50},    {"Yao", "姚", 30},
    {"Tan", "谭", 30},    {"Liao", "廖", 30},    {"Zou", "邹", 30},    {"Xiong", "熊", 20},
    {"Jin", "金", 20},    {"Hao", "郝", 20},     {"Kong", "孔", 20},   {"Bai", "白", 20},
    {"Cui", "崔", 20},    {"Kang", "康", 20},    {"Mao", "毛", 20},    {"Qiu", "邱", 20},
    {"Qin", "秦", 20},    {"Gu", "顾", 20},      {"Hou", "侯", 20},    {"Shao", "邵", 20},
    {"Meng", "孟", 20},   {"Long", "龙", 20},    {"Wan", "万", 20},    {"Duan", "段", 20},
    {"Lei", "雷", 20},    {"Qian", "钱", 20},    {"Yin", "尹", 20},    {"Yi", "易", 20},
    {"Chang", "常", 20},  {"Qiao", "乔", 20},    {"Lai", "赖", 20},    {"Gong", "龚", 20},
    {"Wen", "文", 20},    {"Pang", "庞", 10},    {"Lan", "兰", 10},    {"Tao", "陶", 10},
    {"Hong", "洪", 10},   {"Zhai", "翟", 10},    {"An", "安", 10},     {"Ni", "倪", 10},
    {"Niu", "牛", 10},    {"Ji", "季", 10},      {"Ge", "葛", 10},     {"You", "尤", 10},
    {"Bi", "毕", 10},     {"Nie", "聂", 10},     {"Jiao", "焦", 10},   {"Xiang", "向", 10},
    {"Xing", "邢", 10},   {"Yue", "岳", 10},     {"Qi", "齐", 10},     {"Mei", "梅", 10},
    {"Mo", "莫", 10},     {"Zhuang", "庄", 10},  {"Xin", "辛", 10},    {"Guan", "管", 10},
    {"Zuo", "左", 10},    {"Ouyang", "欧阳", 5}, {"Situ", "司徒", 2},  {"Shangguan", "上官", 1},
    {"Zhuge", "诸葛", 1},
};
#define NSURNAMES ((int)(sizeof surnames / sizeof surnames[0]))
static int surname_w[NSURNAMES], surname_total;

/* given-name syllables: 0 = mostly men's, 1 = mostly women's, 2 = either */
static const struct {
	const char *py, *hz;
	int sex;
} syllables[] = {
    {"Wei", "伟", 0},  {"Qiang", "强", 0}, {"Lei", "磊", 0},   {"Jun", "军", 0},
    {"Yong", "勇", 0}, {"Jie", "杰", 0},   {"Tao", "涛", 0},   {"Chao", "超", 0},
    {"Gang", "刚", 0}, {"Jian", "建", 0},  {"Guo", "国", 0},   {"Zhi", "志", 0},
    {"Hai", "海", 0},  {"Hao", "浩", 0},   {"Kai", "凯", 0},   {"Bo", "博", 0},
    {"Long", "龙", 0}, {"Feng", "峰", 0},  {"Bin", "斌", 0},   {"Peng", "鹏", 0},
    {"Fei", "飞", 0},  {"Dong", "东", 0},  {"Cheng", "成", 0}, {"Xiang", "翔", 0},
    {"Ze", "泽", 0},   {"Hui", "辉", 0},   {"Hua", "华", 2},   {"Ming", "明", 2},
    {"Yu", "宇", 2},   {"Xin", "鑫", 2},   {"Rui", "瑞", 2},   {"Wen", "文", 2},
    {"Tian", "天", 2}, {"Ning", "宁", 2},  {"Yun", "云", 2},   {"Xiao", "晓", 2},
    {"An", "安", 2},   {"Le", "乐", 2},    {"Chen", "晨", 2},  {"Xing", "星", 2},
    {"Ping", "平", 2}, {"Qing", "青", 2},  {"Chun", "春", 2},  {"Zi", "子", 2},
    {"Fang", "芳", 1}, {"Na", "娜", 1},    {"Min", "敏", 1},   {"Jing", "静", 1},
    {"Li", "丽", 1},   {"Yan", "艳", 1},   {"Juan", "娟", 1},  {"Xia", "霞", 1},
    {"Gui", "桂", 1},  {"Ying", "英", 1},  {"Hong", "红", 1},  {"Han", "涵", 1},
    {"Yi", "怡", 1},   {"Xue", "雪", 1},   {"Mei", "梅", 1},   {"Lan", "兰", 1},
    {"Xiu", "秀", 1},  {"Lin", "琳", 1},   {"Ting", "婷", 1},  {"Jia", "佳", 1},
    {"Yue", "悦", 1},  {"Shu", "淑", 1},   {"Zhen", "珍", 1},  {"Lu", "璐", 1},
    {"Qian", "倩", 1}, {"Meng", "梦", 1},  {"Si", "思", 1},    {"Yuan", "媛", 1},
};
#define NSYLLABLES ((int)(sizeof syllables / sizeof syllables[0]))

/* where they live: administrative division code (first 6 digits of the resident id),
 * city, district, province, postal code */
static const struct {
	const char *area, *city, *district, *state, *postal;
	int w;
} places[] = {
    {"330106", "Hangzhou", "Xihu", "Zhejiang", "310012", 8},
    {"330102", "Hangzhou", "Shangcheng", "Zhejiang", "310002", 6},
    {"330110", "Hangzhou", "Yuhang", "Zhejiang", "311100", 7},
    {"330203", "Ningbo", "Haishu", "Zhejiang", "315000", 5},
    {"330302", "Wenzhou", "Lucheng", "Zhejiang", "325000", 4},
    {"310115", "Shanghai", "Pudong", "Shanghai", "200120", 9},
    {"310104", "Shanghai", "Xuhui", "Shanghai", "200030", 5},
    {"110108", "Beijing", "Haidian", "Beijing", "100080", 8},
    {"110105", "Beijing", "Chaoyang", "Beijing", "100020", 8},
    {"440106", "Guangzhou", "Tianhe", "Guangdong", "510630", 6},
    {"440305", "Shenzhen", "Nanshan", "Guangdong", "518052", 6},
    {"320106", "Nanjing", "Gulou", "Jiangsu", "210009", 5},
    {"320508", "Suzhou", "Gusu", "Jiangsu", "215008", 4},
    {"510107", "Chengdu", "Wuhou", "Sichuan", "610041", 6},
    {"420106", "Wuhan", "Wuchang", "Hubei", "430061", 5},
    {"610113", "Xi'an", "Yanta", "Shaanxi", "710061", 4},
    {"500103", "Chongqing", "Yuzhong", "Chongqing", "400010", 5},
    {"120101", "Tianjin", "Heping", "Tianjin", "300041", 4},
    {"370102", "Jinan", "Lixia", "Shandong", "250014", 3},
    {"430104", "Changsha", "Yuelu", "Hunan", "410006", 3},
};
#define NPLACES ((int)(sizeof places / sizeof places[0]))
static int place_w[NPLACES], place_total;

static const char *const streets[] = {
    "Wenyi Road",   "Tianmushan Road", "Jiefang Road", "Renmin Road",   "Zhongshan Road",
    "Jianguo Road", "Heping Avenue",   "Xinhua Road",  "Yan'an Road",   "Changjiang Road",
    "Huaihai Road", "Dongfeng Road",   "Shengli Road", "Qingnian Road", "Binjiang Avenue",
};
#define NSTREETS ((int)(sizeof streets / sizeof streets[0]))

static const char *const mobile_prefixes[] = {
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "158", "159", "166", "177", "180", "181", "186", "187", "188", "189", "199"};
#define NMOBILE ((int)(sizeof mobile_prefixes / sizeof mobile_prefixes[0]))

/* ---- calendar --------------------------------------------------------------------- */

/* 2021-11-01 .. 2026-10-31 (local days since 1970-01-01): when the Observations happen */
static int64_t obs_day0, obs_day_end;

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* local minute (days * 1440 + minute of day, China time, +08:00) as a FHIR dateTime */
static void fmt_local(char out[32], int64_t t)
{
	int y, m, d;
	civil_from_days(t / 1440, &y, &m, &d);
	int mod = (int)(t % 1440);
	snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:00+08:00", y, m, d, mod / 60, mod % 60);
}

/* ---- a patient's traits (shared by the Patient and its Observations) ----------------- */

struct traits {
	int male;
	int64_t birth_day; /* days since 1970-01-01 */
	double height_cm;
	double bmi;     /* baseline */
	int diabetic;   /* HbA1c and glucose run high */
	int hypertense; /* blood pressure runs high */
};

static struct traits traits_of(long i)
{
	struct rng r = stream('T', (uint64_t)i, 0);
	struct traits t;
	t.male = unif(&r) < 0.5;
	/* uniform over 1930-01-01 .. 2025-12-31: about 32% born on or before 1961-01-01 */
	int64_t b0 = yl_days_from_civil(1930, 1, 1), b1 = yl_days_from_civil(2026, 1, 1);
	t.birth_day = b0 + below(&r, b1 - b0);
	t.height_cm = normal(&r, t.male ? 169.5 : 158.0, 6.0);
	t.bmi = clamp(normal(&r, 23.6, 3.3), 16.5, 38.0);
	t.diabetic = unif(&r) < 0.12;
	t.hypertense = unif(&r) < 0.25;
	return t;
}

static double age_at(const struct traits *t, int64_t day)
{
	return (double)(day - t->birth_day) / 365.2425;
}

/* ---- Patient ---------------------------------------------------------------------- */

/* ISO 7064 MOD 11-2 check character of the first 17 digits of a resident identity number */
static char id_check(const char *d17)
{
	static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
	int s = 0;
	for (int k = 0; k < 17; k++)
		s += (d17[k] - '0') * w[k];
	return "10X98765432"[s % 11];
}

static void add_given(struct yl_buf *py, struct yl_buf *hz, struct rng *r, int male)
{
	int nsyl = unif(r) < 0.55 ? 2 : 1;
	for (int k = 0; k < nsyl; k++) {
		int s;
		do
			s = (int)below(r, NSYLLABLES);
		while (syllables[s].sex != 2 && (syllables[s].sex == 0) != male && unif(r) < 0.9);
		const char *p = syllables[s].py;
		if (k == 0) {
			yl_buf_adds(py, p);
		} else {
			if (p[0] == 'A' || p[0] == 'E' || p[0] == 'O')
				yl_buf_addc(py, '\''); /* Xi'an, not Xian */
			yl_buf_addc(py, (char)(p[0] - 'A' + 'a'));
			yl_buf_adds(py, p + 1);
		}
		yl_buf_adds(hz, syllables[s].hz);
	}
}

static void patient_json(struct yl_buf *b, struct yl_arena *a, long i)
{
	struct traits t = traits_of(i);
	struct rng r = stream('P', (uint64_t)i, 0);
	int sn = pick(&r, surname_w, NSURNAMES, surname_total);
	struct yl_buf gpy, ghz;
	yl_buf_init(&gpy, a, 32, 256);
	yl_buf_init(&ghz, a, 32, 256);
	add_given(&gpy, &ghz, &r, t.male);
	int pl = pick(&r, place_w, NPLACES, place_total);
	int by, bm, bd;
	civil_from_days(t.birth_day, &by, &bm, &bd);
	char d17[18];
	int seq = (int)below(&r, 500) * 2 + (t.male ? 1 : 0); /* odd for men */
	snprintf(d17, sizeof d17, "%s%04d%02d%02d%03d", places[pl].area, by, bm, bd, seq);
	double age = age_at(&t, obs_day_end);
	long no = 1 + below(&r, 800), bldg = 1 + below(&r, 30);
	long room = 100 * (1 + below(&r, 18)) + 1 + below(&r, 6);
	const char *street = streets[below(&r, NSTREETS)];
	const char *marital = age < 22 ? "S" : unif(&r) < 0.82 ? "M" : unif(&r) < 0.5 ? "D" : "W";

	yl_buf_printf(b, "{\"resourceType\":\"Patient\",\"id\":\"p%07ld\",", i);
	yl_buf_printf(b,
	              "\"identifier\":[{\"use\":\"official\",\"type\":{\"coding\":[{\"system\":"
	              "\"http://terminology.hl7.org/CodeSystem/v2-0203\",\"code\":\"NI\"}],"
	              "\"text\":\"Resident identity card\"},"
	              "\"system\":\"urn:oid:1.2.156.112604.1.1\",\"value\":\"%s%c\"},"
	              "{\"use\":\"usual\",\"system\":\"https://yilian.example/health-record\","
	              "\"value\":\"HR%08ld\"}],\"active\":true,",
	              d17, id_check(d17), i);
	yl_buf_printf(b,
	              "\"name\":[{\"use\":\"official\",\"text\":\"%s%s\",\"family\":\"%s\","
	              "\"given\":[\"%s\"]}],",
	              surnames[sn].hz, ghz.p, surnames[sn].py, gpy.p);
	yl_buf_printf(
	    b, "\"telecom\":[{\"system\":\"phone\",\"value\":\"%s%08ld\",\"use\":\"mobile\"}",
	    mobile_prefixes[below(&r, NMOBILE)], below(&r, 100000000));
	if (unif(&r) < 0.3)
		yl_buf_printf(
		    b, ",{\"system\":\"email\",\"value\":\"%c%ld@example.cn\",\"use\":\"home\"}",
		    surnames[sn].py[0] - 'A' + 'a', 100000 + below(&r, 900000));
	yl_buf_printf(
	    b,
	    "],\"gender\":\"%s\",\"birthDate\":\"%04d-%02d-%02d\",\"address\":[{\"use\":"
	    "\"home\",\"type\":\"physical\",\"text\":\"%s %s District, No. %ld %s, "
	    "Building %ld, Room %ld\",\"line\":[\"No. %ld %s\",\"Building %ld, Room %ld\"],"
	    "\"city\":\"%s\",\"district\":\"%s\",\"state\":\"%s\",\"postalCode\":\"%s\","
	    "\"country\":\"CN\"}],",
	    t.male ? "male" : "female", by, bm, bd, places[pl].city, places[pl].district, no,
	    street, bldg, room, no, street, bldg, room, places[pl].city, places[pl].district,
	    places[pl].state, places[pl].postal);
	yl_buf_printf(
	    b,
	    "\"maritalStatus\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/"
	    "CodeSystem/v3-MaritalStatus\",\"code\":\"%s\"}]},"
	    "\"communication\":[{\"language\":{\"coding\":[{\"system\":\"urn:ietf:bcp:47\","
	    "\"code\":\"zh-CN\",\"display\":\"Chinese (China)\"}]},\"preferred\":true}],"
	    "\"generalPractitioner\":[{\"reference\":\"Practitioner/pr-%d-%ld\"}],"
	    "\"managingOrganization\":{\"reference\":\"Organization/org-%d\"}}",
	    marital, pl, below(&r, 40), pl);
}

/* ---- Observations ----------------------------------------------------------------- */

enum kind { K_BP, K_HR, K_HBA1C, K_GLUCOSE, K_WEIGHT, K_BMI, K__COUNT };

/* The kind of slot k of a patient: a cycle of 10 with a few blood-pressure panels, about
 * one HbA1c, and a tenth slot drawn at random. */
static const enum kind cycle[10] = {K_BP,      K_HR,     K_BP,  K_BP, K_HBA1C,
                                    K_GLUCOSE, K_WEIGHT, K_BMI, K_HR, K__COUNT};
/* the slot whose visit slot k shares (heart rate with a BP panel, glucose drawn with the
 * HbA1c, BMI with the weight) */
static const int visit_of[10] = {0, 0, 2, 3, 4, 4, 6, 6, 8, 9};

static enum kind kind_of(long i, int k)
{
	if (cycle[k % 10] != K__COUNT)
		return cycle[k % 10];
	static const int w[K__COUNT] = {[K_BP] = 40,      [K_HR] = 15,     [K_HBA1C] = 10,
	                                [K_GLUCOSE] = 20, [K_WEIGHT] = 15, [K_BMI] = 0};
	struct rng r = stream('K', (uint64_t)i, (uint64_t)k);
	return (enum kind)pick(&r, w, K__COUNT, 100);
}

/* the local minute of slot k: the day of its visit (uniform over the 5 years, or since
 * birth), morning for blood draws, clinic hours otherwise */
static int64_t when_of(long i, int k, const struct traits *t)
{
	int v = k - k % 10 + visit_of[k % 10];
	struct rng r = stream('D', (uint64_t)i, (uint64_t)v);
	int64_t lo = t->birth_day > obs_day0 ? t->birth_day : obs_day0;
	int64_t day = lo + below(&r, obs_day_end - lo);
	enum kind kv = kind_of(i, v);
	int64_t minute = kv == K_HBA1C || kv == K_GLUCOSE ? 450 + below(&r, 150)  /* 7:30-10:00 */
	                                                  : 480 + below(&r, 570); /* 8:00-17:30 */
	if (visit_of[k % 10] != k % 10)
		minute += 2 + below(&r, 4); /* the second measurement of the visit */
	return day * 1440 + minute;
}

#define LOINC "http://loinc.org"
#define UCUM  "http://unitsofmeasure.org"

static void quantity(struct yl_buf *b, const char *value, const char *unit, const char *code)
{
	yl_buf_printf(b,
	              "\"valueQuantity\":{\"value\":%s,\"unit\":\"%s\",\"system\":\"" UCUM
	              "\",\"code\":\"%s\"}",
	              value, unit, code);
}

static void obs_json(struct yl_buf *b, long i, int k, int obs_per_patient)
{
	struct traits t = traits_of(i);
	enum kind kd = kind_of(i, k);
	int64_t when = when_of(i, k, &t);
	struct rng r = stream('O', (uint64_t)i, (uint64_t)k);
	double age = age_at(&t, when / 1440);
	char eff[32], val[32];
	fmt_local(eff, when);
	int lab = kd == K_HBA1C || kd == K_GLUCOSE;
	yl_buf_printf(b,
	              "{\"resourceType\":\"Observation\",\"id\":\"o%08ld\",\"status\":\"final\","
	              "\"category\":[{\"coding\":[{\"system\":\"http://terminology.hl7.org/"
	              "CodeSystem/observation-category\",\"code\":\"%s\",\"display\":\"%s\"}]}],",
	              i * obs_per_patient + k, lab ? "laboratory" : "vital-signs",
	              lab ? "Laboratory" : "Vital Signs");
	static const struct {
		const char *code, *display, *text;
	} codes[K__COUNT] = {
	    [K_BP] = {"85354-9", "Blood pressure panel with all children optional",
	              "Blood pressure"},
	    [K_HR] = {"8867-4", "Heart rate", "Heart rate"},
	    [K_HBA1C] = {"4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "HbA1c"},
	    [K_GLUCOSE] = {"14771-0", "Fasting glucose [Moles/volume] in Serum or Plasma",
	                   "Fasting blood glucose"},
	    [K_WEIGHT] = {"29463-7", "Body weight", "Body weight"},
	    [K_BMI] = {"39156-5", "Body mass index (BMI) [Ratio]", "BMI"},
	};
	yl_buf_printf(b,
	              "\"code\":{\"coding\":[{\"system\":\"" LOINC "\",\"code\":\"%s\","
	              "\"display\":\"%s\"}],\"text\":\"%s\"},\"subject\":{\"reference\":"
	              "\"Patient/p%07ld\"},\"effectiveDateTime\":\"%s\",",
	              codes[kd].code, codes[kd].display, codes[kd].text, i, eff);
	if (lab) {
		char issued[32];
		fmt_local(issued, when + 120 + below(&r, 300));
		/* an instant: seconds and zone are required, and fmt_local gives both */
		yl_buf_printf(b,
		              "\"issued\":\"%s\",\"performer\":[{\"reference\":"
		              "\"Organization/org-%ld\"}],",
		              issued, below(&r, NPLACES));
	} else {
		yl_buf_printf(b, "\"performer\":[{\"reference\":\"Practitioner/pr-%ld-%ld\"}],",
		              below(&r, NPLACES), below(&r, 40));
	}
	double child = age < 18 ? clamp(age / 18.0, 0.05, 1.0) : 1.0;
	switch (kd) {
	case K_BP: {
		double sys =
		    normal(&r, (t.hypertense ? 146 : 118) + (age > 40 ? (age - 40) * 0.4 : 0), 11) *
		    (0.75 + 0.25 * child);
		sys = clamp(sys, 80, 210);
		double dia = clamp(normal(&r, t.hypertense ? 92 : 76, 8) * (0.8 + 0.2 * child), 45,
		                   sys - 20);
		yl_buf_printf(
		    b,
		    "\"component\":[{\"code\":{\"coding\":[{\"system\":\"" LOINC
		    "\",\"code\":\"8480-6\",\"display\":\"Systolic blood pressure\"}]},"
		    "\"valueQuantity\":{\"value\":%.0f,\"unit\":\"mmHg\",\"system\":\"" UCUM
		    "\",\"code\":\"mm[Hg]\"}},{\"code\":{\"coding\":[{\"system\":\"" LOINC
		    "\",\"code\":\"8462-4\",\"display\":\"Diastolic blood pressure\"}]},"
		    "\"valueQuantity\":{\"value\":%.0f,\"unit\":\"mmHg\",\"system\":\"" UCUM
		    "\",\"code\":\"mm[Hg]\"}}]}",
		    sys, dia);
		return;
	}
	case K_HR:
		snprintf(val, sizeof val, "%.0f",
		         clamp(normal(&r, age < 12 ? 95 : 74, 9), 45, 160));
		quantity(b, val, "beats/minute", "/min");
		break;
	case K_HBA1C:
		snprintf(
		    val, sizeof val, "%.1f",
		    clamp(t.diabetic ? normal(&r, 7.6, 1.1) : normal(&r, 5.4, 0.35), 4.0, 13.5));
		quantity(b, val, "%", "%");
		break;
	case K_GLUCOSE:
		snprintf(
		    val, sizeof val, "%.1f",
		    clamp(t.diabetic ? normal(&r, 8.4, 1.8) : normal(&r, 5.1, 0.45), 3.3, 20.0));
		quantity(b, val, "mmol/L", "mmol/L");
		break;
	case K_WEIGHT: {
		double w;
		if (age < 18) /* a rough growth curve */
			w = age < 2 ? 3.4 + age * 5.5 : 12.5 + (age - 2) * (t.male ? 3.3 : 2.9);
		else
			w = t.bmi * (t.height_cm / 100) * (t.height_cm / 100);
		snprintf(val, sizeof val, "%.1f", clamp(normal(&r, w, w * 0.02), 2.0, 180));
		quantity(b, val, "kg", "kg");
		break;
	}
	case K_BMI:
		snprintf(
		    val, sizeof val, "%.1f",
		    clamp(age < 18 ? normal(&r, 17.0, 1.5) : normal(&r, t.bmi, 0.4), 11.0, 45.0));
		quantity(b, val, "kg/m2", "kg/m2");
		break;
	default:
		break;
	}
	yl_buf_addc(b, '}');
}

/* ---- writing ---------------------------------------------------------------------- */

/* Two threads: a producer makes each batch's resources (text, jansson parse, index rows,
 * compartment) while the main thread writes the previous batch through the store, which
 * is where most of the time goes (SQLite B-tree inserts). Two batch slots alternate. */

struct item {
	const char *type;
	const char *id;
	const char *text;
	size_t len;
	const char *patient;
	struct yl_index_row *rows;
	size_t nrows;
};

struct slot {
	struct yl_arena *a;
	struct item items[BATCH];
	int n;
	bool full;
	bool last; /* nothing follows this batch */
};

/* one Observation to write: its patient, slot and local minute (the sort key) */
struct obs_ref {
	int64_t when;
	uint32_t patient;
	uint32_t slot;
};

static struct {
	long npat, per;
	bool dump;
	struct slot slots[2];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool failed; /* either side gave up */
	long invalid;
	char problem[256];
} G = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static int by_time(const void *x, const void *y)
{
	const struct obs_ref *a = x, *b = y;
	if (a->when != b->when)
		return a->when < b->when ? -1 : 1;
	if (a->patient != b->patient)
		return a->patient < b->patient ? -1 : 1;
	return a->slot < b->slot ? -1 : a->slot > b->slot;
}

/* the resource text of one item, and what the write path derives from it */
static int make_item(struct item *it, struct yl_arena *a, const char *type, const char *id,
                     struct yl_buf *text)
{
	if (text->err) {
		snprintf(G.problem, sizeof G.problem, "%s/%s: text too large", type, id);
		return -1;
	}
	json_error_t jerr;
	json_t *doc = json_loadb(text->p, text->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		snprintf(G.problem, sizeof G.problem, "%s/%s is not JSON: %s (column %d)", type, id,
		         jerr.text, jerr.column);
		return -1;
	}
	*it = (struct item){.type = type, .id = id, .text = text->p, .len = text->len};
	struct yl_err err;
	yl_err_init(&err);
	int rc = 0;
	if (G.dump) { /* the server validates every write; --dump does too */
		if (yl_fhir_validate(a, doc, type, &err) > 0 && ++G.invalid <= 5)
			for (struct yl_issue *is = err.first; is; is = is->next)
				fprintf(stderr, "yl_bench_gen: %s/%s invalid: %s: %s\n", type, id,
				        is->expression ? is->expression : "", is->message);
	} else {
		it->patient = yl_fhir_patient_of(a, type, id, doc);
		if (yl_fhir_extract(a, type, doc, &it->rows, &it->nrows, &err) != YL_OK) {
			snprintf(G.problem, sizeof G.problem, "%s/%s: index rows: %s", type, id,
			         err.first ? err.first->message : "?");
			rc = -1;
		}
	}
	json_decref(doc);
	return rc;
}

static void *producer(void *arg)
{
	(void)arg;
	long npat = G.npat, nobs = G.npat * G.per, total = npat + nobs;
	struct obs_ref *refs = NULL;
	for (long n = 0, b = 0; n < total || n == 0; b++) {
		struct slot *s = &G.slots[b % 2];
		pthread_mutex_lock(&G.mu);
		while (s->full && !G.failed)
			pthread_cond_wait(&G.cv, &G.mu);
		bool stop = G.failed;
		pthread_mutex_unlock(&G.mu);
		if (stop)
			break;
		if (s->a)
			yl_arena_destroy(s->a);
		s->a = yl_arena_create(1 << 22);
		s->n = 0;
		for (; s->n < BATCH && n < total; n++) {
			if (n == npat) { /* Observations next: in the order they happened */
				refs = malloc((size_t)nobs * sizeof *refs);
				if (!refs) {
					snprintf(G.problem, sizeof G.problem, "out of memory");
					goto fail;
				}
				for (long i = 0; i < npat; i++) {
					struct traits t = traits_of(i);
					for (int k = 0; k < G.per; k++)
						refs[i * G.per + k] = (struct obs_ref){
						    when_of(i, k, &t), (uint32_t)i, (uint32_t)k};
				}
				qsort(refs, (size_t)nobs, sizeof *refs, by_time);
			}
			struct yl_buf text;
			yl_buf_init(&text, s->a, 2048, 1 << 16);
			const char *type, *id;
			if (n < npat) {
				patient_json(&text, s->a, n);
				type = "Patient";
				id = yl_arena_printf(s->a, "p%07ld", n);
			} else {
				const struct obs_ref *o = &refs[n - npat];
				obs_json(&text, o->patient, (int)o->slot, (int)G.per);
				type = "Observation";
				id = yl_arena_printf(s->a, "o%08ld",
				                     (long)o->patient * G.per + o->slot);
			}
			if (make_item(&s->items[s->n], s->a, type, id, &text) != 0)
				goto fail;
			s->n++;
		}
		pthread_mutex_lock(&G.mu);
		s->full = true;
		s->last = n >= total;
		pthread_cond_broadcast(&G.cv);
		pthread_mutex_unlock(&G.mu);
		if (n >= total)
			break;
	}
	free(refs);
	return NULL;
fail:
	free(refs);
	pthread_mutex_lock(&G.mu);
	G.failed = true;
	pthread_cond_broadcast(&G.cv);
	pthread_mutex_unlock(&G.mu);
	return NULL;
}

struct body {
	const char *text;
	size_t len;
	const char *type, *id;
};

/* what the server stores: the text with resourceType, id and meta set (fhir/json.h) */
static const char *render(void *ctx, struct yl_arena *a, int64_t version, int64_t ts, size_t *len)
{
	struct body *b = ctx;
	return yl_json_rewrite(a, b->text, b->len, b->type, b->id, version, ts, len);
}

/* where the main thread's time goes (us): waiting for the producer, for the write lock
 * (yl_store_begin: the store's checkpointer takes it for its last pass), writing, committing */
static int64_t t_produce, t_begin, t_write, t_commit;

/* one batch: one bulk transaction, or NDJSON lines for --dump */
static int write_batch(struct yl_store_conn *c, struct slot *s, struct yl_err *err)
{
	if (!c) {
		for (int k = 0; k < s->n; k++) {
			fwrite(s->items[k].text, 1, s->items[k].len, stdout);
			putchar('\n');
		}
		return 0;
	}
	int64_t t0 = yl_monotonic_us();
	if (yl_store_begin(c, s->a, err) != YL_OK)
		return -1;
	int64_t t1 = yl_monotonic_us();
	for (int k = 0; k < s->n; k++) {
		struct item *it = &s->items[k];
		struct body bc = {it->text, it->len, it->type, it->id};
		struct yl_write w = {.op = YL_WRITE_UPDATE,
		                     .type = it->type,
		                     .id = it->id,
		                     .patient = it->patient,
		                     .render = render,
		                     .render_ctx = &bc,
		                     .index = it->rows,
		                     .index_count = it->nrows};
		if (yl_store_write(c, s->a, &w, err) != YL_OK) {
			yl_store_rollback(c);
			return -1;
		}
	}
	int64_t t2 = yl_monotonic_us();
	int rc = yl_store_commit(c, s->a, err) == YL_OK ? 0 : -1;
	int64_t t3 = yl_monotonic_us();
	t_begin += t1 - t0;
	t_write += t2 - t1;
	t_commit += t3 - t2;
	return rc;
}

static void usage(void)
{
	fprintf(stderr, "usage: yl_bench_gen DB NPATIENTS OBS_PER_PATIENT [SEED]\n"
	                "       yl_bench_gen --dump NPATIENTS OBS_PER_PATIENT [SEED]\n"
	                "       yl_bench_gen --prefixes\n"
	                "       yl_bench_gen --layout\n");
	exit(2);
}

static long arg_long(const char *s, long max)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 0 || v > max)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	for (int k = 0; k < NSURNAMES; k++)
		surname_total += surname_w[k] = surnames[k].w;
	for (int k = 0; k < NPLACES; k++)
		place_total += place_w[k] = places[k].w;
	obs_day0 = yl_days_from_civil(2021, 11, 1);
	obs_day_end = yl_days_from_civil(2026, 11, 1);

	if (argc == 2 && strcmp(argv[1], "--layout") == 0) {
		printf("migration %d, index %s, body codec %d\n",
		       yl_migrations[yl_migrations_count - 1].version, yl_fhir_index_fingerprint(),
		       YL_BODY_DEFLATE_D1);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--prefixes") == 0) {
		const char *seen[NSURNAMES];
		int nseen = 0;
		for (int k = 0; k < NSURNAMES; k++) {
			if (strlen(surnames[k].py) < 3)
				continue;
			int dup = 0;
			for (int j = 0; j < nseen; j++)
				dup |= strncmp(seen[j], surnames[k].py, 3) == 0;
			if (dup)
				continue;
			seen[nseen++] = surnames[k].py;
			printf("%c%.2s\n", surnames[k].py[0] - 'A' + 'a', surnames[k].py + 1);
		}
		return 0;
	}
	G.dump = argc >= 2 && strcmp(argv[1], "--dump") == 0;
	if (argc < 4 || argc > 5)
		usage();
	G.npat = arg_long(argv[2], 9999999);
	G.per = arg_long(argv[3], 99);
	if (argc == 5)
		seed_global = (uint64_t)arg_long(argv[4], 0x7fffffffL);
	if (G.npat * G.per > 99999999) {
		fprintf(stderr, "yl_bench_gen: at most 99,999,999 Observations\n");
		return 2;
	}
	long total = G.npat + G.npat * G.per;

	struct yl_arena *a = yl_arena_create(1 << 16);
	struct yl_err err;
	yl_err_init(&err);
	if (yl_ucum_load(YL_DATA_DIR "/terminology/ucum-units.json", a, &err) != YL_OK) {
		fprintf(stderr, "yl_bench_gen: UCUM table: %s\n",
		        err.first ? err.first->message : "?");
		return 1;
	}
	struct yl_store *st = NULL;
	struct yl_store_conn *c = NULL;
	bool stale = false;
	const char *cache_mb = getenv("GEN_CACHE_MB");
	if (!G.dump &&
	    (yl_store_open(argv[1], &st, a, &err) != YL_OK ||
	     (cache_mb && *cache_mb &&
	      yl_store_set_writer_cache(st, (int)arg_long(cache_mb, 1000000), a, &err) != YL_OK) ||
	     /* as the server does: a new store is stamped with this build's
	      * search-parameter table and extractor */
	     yl_fhir_index_check(st, a, &stale, &err) != YL_OK ||
	     !(c = yl_store_conn(st, a, &err)))) {
		fprintf(stderr, "yl_bench_gen: open %s: %s\n", argv[1],
		        err.first ? err.first->message : "?");
		return 1;
	}
	if (stale)
		fprintf(stderr,
		        "yl_bench_gen: warning: %s holds index rows of another build "
		        "(run yilian reindex on it)\n",
		        argv[1]);

	int64_t t0 = yl_monotonic_us(), tlast = t0;
	long written = 0, lastn = 0;
	pthread_t th;
	if (pthread_create(&th, NULL, producer, NULL) != 0) {
		fprintf(stderr, "yl_bench_gen: cannot start a thread\n");
		return 1;
	}
	int rc = 0;
	for (long b = 0;; b++) {
		struct slot *s = &G.slots[b % 2];
		int64_t tw = yl_monotonic_us();
		pthread_mutex_lock(&G.mu);
		while (!s->full && !G.failed)
			pthread_cond_wait(&G.cv, &G.mu);
		bool stop = !s->full;
		t_produce += yl_monotonic_us() - tw;
		pthread_mutex_unlock(&G.mu);
		if (stop) {
			fprintf(stderr, "yl_bench_gen: %s\n", G.problem);
			rc = 1;
			break;
		}
		if (write_batch(c, s, &err) != 0) {
			fprintf(stderr, "yl_bench_gen: failed after %ld resources: %s\n", written,
			        err.first ? err.first->message : "?");
			pthread_mutex_lock(&G.mu);
			G.failed = true;
			pthread_cond_broadcast(&G.cv);
			pthread_mutex_unlock(&G.mu);
			rc = 1;
			break;
		}
		written += s->n;
		bool last = s->last;
		pthread_mutex_lock(&G.mu);
		s->full = false;
		pthread_cond_broadcast(&G.cv);
		pthread_mutex_unlock(&G.mu);
		int64_t now = yl_monotonic_us();
		if (last || now - tlast >= 10000000) {
			fprintf(
			    stderr,
			    "yl_bench_gen: %ld of %ld resources (%.1f%%), %.0f s, %.0f/s lately\n",
			    written, total, 100.0 * (double)written / (double)(total ? total : 1),
			    (double)(now - t0) / 1e6,
			    (double)(written - lastn) / ((double)(now - tlast) / 1e6));
			tlast = now;
			lastn = written;
		}
		if (last)
			break;
	}
	pthread_join(th, NULL);
	for (int k = 0; k < 2; k++)
		if (G.slots[k].a)
			yl_arena_destroy(G.slots[k].a);
	if (rc == 0) {
		double secs = (double)(yl_monotonic_us() - t0) / 1e6;
		fprintf(
		    stderr,
		    "yl_bench_gen: wrote %ld resources (%ld Patients, %ld Observations) in %.1f s "
		    "(%.0f resources/s)\n",
		    written, G.npat, G.npat * G.per, secs, (double)written / secs);
		if (c)
			fprintf(
			    stderr,
			    "yl_bench_gen: main thread: %.1f s waiting for resources to be made, "
			    "%.1f s for the write lock, %.1f s writing, %.1f s committing\n",
			    (double)t_produce / 1e6, (double)t_begin / 1e6, (double)t_write / 1e6,
			    (double)t_commit / 1e6);
	}
	if (G.dump && G.invalid) {
		fprintf(stderr, "yl_bench_gen: %ld resources failed validation\n", G.invalid);
		rc = 1;
	}
	if (st)
		yl_store_close(st);
	yl_ucum_unload();
	yl_arena_destroy(a);
	return rc;
}
