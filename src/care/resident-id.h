/* resident-id.h -- the resident identity number of the PRC (居民身份证号码, GB 11643-1999),
 * which the registry keeps on every resident (issue 5).
 *
 * 18 characters: the administrative-division code where the number was issued (6 digits),
 * the birth date (YYYYMMDD), a sequence number (3 digits: odd for men, even for women) and
 * an ISO 7064 MOD 11-2 check character (0-9 or X), which catches any one mistyped digit and
 * any two adjacent digits swapped. The 15-digit numbers of first-generation cards stopped
 * being valid in 2013 and are refused with a message saying so. A lower-case x is taken as X.
 * The division code is not checked against the list of divisions here (that list is data,
 * under terminology/).
 *
 * Identity numbers are personal data: nothing here logs one, and the messages never
 * contain it.
 * Memory: nothing is allocated; out is the caller's. Threads: reentrant. */
#ifndef YL_RESIDENT_ID_H
#define YL_RESIDENT_ID_H

#include <stdbool.h>
#include <stddef.h>

enum yl_rid_problem {
	YL_RID_OK,
	YL_RID_FIRST_GENERATION, /* 15 digits */
	YL_RID_LENGTH,           /* neither 15 nor 18 characters */
	YL_RID_CHARACTERS,       /* not 17 digits and a digit or X */
	YL_RID_BIRTH_DATE,       /* not a date, or after today */
	YL_RID_CHECK,            /* the check character does not match */
};

struct yl_resident_id {
	char number[19];  /* normalised: upper-case X, NUL-terminated */
	char division[7]; /* the first six digits */
	int year, month, day;
	bool male; /* the sequence number is odd */
};

/* Checks s[0..n); fills *out when YL_RID_OK. today_ymd (such as 20261203) bounds the birth
 * date; 0 leaves it unbounded. */
enum yl_rid_problem yl_resident_id_parse(const char *s, size_t n, int today_ymd,
                                         struct yl_resident_id *out);

/* What is wrong, for an OperationOutcome: lower-case, no number in it. */
const char *yl_resident_id_problem(enum yl_rid_problem p);

/* The check character for the first 17 digits d[0..17) (all '0'..'9'). */
char yl_resident_id_check_char(const char *d);

#endif
