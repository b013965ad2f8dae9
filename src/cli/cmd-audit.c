/* cmd-audit.c -- `yilian audit verify`: recompute the audit trail's hash chain and name
 * the first event that was changed, removed, inserted or moved. Exit 0 when intact, 1 when
 * not (or the store cannot be read), 2 for a usage error. --expect-head HASH also checks
 * that the trail still ends where it ended when HASH was recorded (a trail cut short keeps
 * an intact chain). */
#include <stdio.h>
#include <string.h>

#include "auth/audit.h"
#include "auth/auth.h"
#include "cli/cli.h"
#include "core/id.h"
#include "store/store.h"

void yl_cli_audit(struct yl_store *s, struct yl_arena *a, const char *subtype, char action,
                  const char *detail)
{
	struct yl_err err;
	yl_err_init(&err);
	struct yl_audit_in in = {.subtype = subtype,
	                         .action = action,
	                         .status = 200,
	                         .who = &yl_auth_operator,
	                         .peer = "localhost",
	                         .detail = detail};
	struct yl_audit_rec rec;
	struct yl_store_conn *c = yl_store_conn(s, a, &err);
	if (!c || !yl_audit_record(a, &in, &rec) ||
	    yl_store_audit_append(c, a, &rec, 1, &err) != YL_OK)
		fprintf(stderr, "yilian %s: not recorded on the audit trail: %s\n", subtype,
		        err.first ? err.first->message : "out of memory");
}

struct find_head {
	const char *want;
	int64_t seq;
};

static int match_head(void *ctx, int64_t seq, const char *hash, const struct yl_audit_rec *ev)
{
	(void)ev;
	struct find_head *f = ctx;
	if (strcmp(hash, f->want) == 0) {
		f->seq = seq;
		return 1;
	}
	return 0;
}

int yl_cmd_audit(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "verify") != 0)
		return yl_cli_usage_error("audit", "the action is verify");
	const char *db = "./yilian.db", *expect = NULL;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			db = argv[++i];
		else if (strcmp(argv[i], "--expect-head") == 0 && i + 1 < argc)
			expect = argv[++i];
		else
			return yl_cli_usage_error("audit", "unknown option or missing value '%s'",
			                          argv[i]);
	}
	if (expect && strlen(expect) != YL_CHAIN_HEX_LEN)
		return yl_cli_usage_error("audit",
		                          "--expect-head is the %d-character hash that an "
		                          "earlier verify printed",
		                          YL_CHAIN_HEX_LEN);
	if (yl_id_init() != 0)
		return 1;
	struct yl_arena *a = yl_arena_create(1 << 16);
	if (!a)
		return 1;
	struct yl_err err;
	yl_err_init(&err);
	struct yl_store *s = NULL;
	struct yl_store_conn *c = NULL;
	struct yl_audit_verdict v;
	int rc = 1;
	if (yl_store_open(db, &s, a, &err) != YL_OK || !(c = yl_store_conn(s, a, &err)) ||
	    yl_audit_verify(c, a, &v, &err) != YL_OK)
		goto out;
	if (v.bad_seq) {
		printf("audit trail BROKEN at event %lld: %s\n(%lld events before it are intact)\n",
		       (long long)v.bad_seq, v.why, (long long)v.events);
		goto out;
	}
	if (expect) {
		struct find_head f = {.want = expect};
		if (yl_store_audit_scan(c, a, NULL, 0, false, 1 << 30, match_head, &f, &err) !=
		    YL_OK)
			goto out;
		if (!f.seq) {
			printf(
			    "audit trail BROKEN: no event has the expected head %s; the trail was "
			    "cut short or replaced\n",
			    expect);
			goto out;
		}
	}
	printf("audit trail intact: %lld events; head %s\n", (long long)v.events, v.head);
	rc = 0;
out:
	for (const struct yl_issue *is = err.first; is; is = is->next)
		fprintf(stderr, "yilian audit: %s\n", is->message);
	yl_store_close(s);
	yl_arena_destroy(a);
	return rc;
}
