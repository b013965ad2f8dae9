/* resident-id.c -- the PRC resident identity number (see resident-id.h). */
#include "care/resident-id.h"

#include <string.h>

#include "core/time.h"

/* ISO 7064 MOD 11-2 as GB 11643-1999 states it: weight 2^(17-i) mod 11 for digit i */
static const int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char check_chars[] = "10X98765432"; /* by the weighted sum mod 11 */

static const char *const messages[] = {
    [YL_RID_OK] = "a valid resident identity number",
    [YL_RID_FIRST_GENERATION] = "a 15-digit number of a first-generation identity card is no "
                                "longer valid (since 2013); record the 18-digit number",
    [YL_RID_LENGTH] = "a resident identity number has 18 characters",
    [YL_RID_CHARACTERS] = "a resident identity number is 17 digits and a last digit or X",
    [YL_RID_BIRTH_DATE] = "the birth date inside the resident identity number (characters "
                          "7-14, YYYYMMDD) is not a past date",
    [YL_RID_CHECK] = "the resident identity number's check character does not match its "
                     "other digits: a digit is probably mistyped",
};

const char *yl_resident_id_problem(enum yl_rid_problem p)
{
	return (unsigned)p < sizeof messages / sizeof messages[0] ? messages[p] : "invalid";
}

char yl_resident_id_check_char(const char *d)
{
	int sum = 0;
	for (int i = 0; i < 17; i++)
		sum += (d[i] - '0') * weights[i];
	return check_chars[sum % 11];
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

enum yl_rid_problem yl_resident_id_parse(const char *s, size_t n, int today_ymd,
                                         struct yl_resident_id *out)
{
	if (n == 15 && all_digits(s, 15))
		return YL_RID_FIRST_GENERATION;
	if (n != 18)
		return YL_RID_LENGTH;
	if (!all_digits(s, 17))
		return YL_RID_CHARACTERS;
	char last = s[17] == 'x' ? 'X' : s[17];
	if ((last < '0' || last > '9') && last != 'X')
		return YL_RID_CHARACTERS;
	int y = digits(s + 6, 4), m = digits(s + 10, 2), d = digits(s + 12, 2);
	if (y < 1800 || m < 1 || m > 12 || d < 1 || d > yl_days_in_month(y, m) ||
	    (today_ymd && y * 10000 + m * 100 + d > today_ymd))
		return YL_RID_BIRTH_DATE;
	if (yl_resident_id_check_char(s) != last)
		return YL_RID_CHECK;
	memcpy(out->number, s, 17);
	out->number[17] = last;
	out->number[18] = '\0';
	memcpy(out->division, s, 6);
	out->division[6] = '\0';
	out->year = y;
	out->month = m;
	out->day = d;
	out->male = (s[16] - '0') % 2 == 1;
	return YL_RID_OK;
}
