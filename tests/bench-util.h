/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the two benchmark suites of make bench (tests/bench.c and
 * tests/bench-prealloc.c, each a module of its own) share: selecting cases
 * by name, sorting samples, the paired ratio and the table's number format.
 */
#ifndef _IOPGTABLE_BENCH_UTIL_H
#define _IOPGTABLE_BENCH_UTIL_H

#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/prandom.h>
#include <linux/sort.h>
#include <linux/sprintf.h>
#include <linux/string.h>
#include <linux/types.h>

/* The columns of a row, and the libraries a step drives. */
enum { OURS, THEIRS };

/* Whether @name contains @only, where '_' in @only is a space; NULL: all. */
static inline bool bench_name_selected(const char *only, const char *name)
{
	size_t n, i;

	if (!only)
		return true;
	n = strlen(only);
	for (; strlen(name) >= n; name++) {
		for (i = 0; i < n; i++)
			if (name[i] != (only[i] == '_' ? ' ' : only[i]))
				break;
		if (i == n)
			return true;
	}
	return false;
}

/* Fisher-Yates shuffle of @n entries of @a, from @rnd. */
static inline void bench_shuffle(u32 *a, unsigned int n,
				 struct rnd_state *rnd)
{
	unsigned int i, j;

	for (i = n; i > 1; i--) {
		j = prandom_u32_state(rnd) % i;	/* swap() reads it twice */
		swap(a[i - 1], a[j]);
	}
}

static inline int bench_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * The median, over the iterations, of io-pgtable-arm's sample over
 * iopgtable's taken right before or after it, times 100. Both samples of
 * an iteration run back to back, so a change in the machine's speed (the
 * host's other load, its clock) that spans many samples cancels out of
 * each ratio, where it would move the two medians apart. @ratios has room
 * for @iters.
 */
static inline u64 bench_pair_ratio(u64 *const samples[2], u64 *ratios,
				   unsigned int iters)
{
	unsigned int i;

	for (i = 0; i < iters; i++)
		ratios[i] = div64_u64(samples[THEIRS][i] * 100,
				      max_t(u64, samples[OURS][i], 1));
	sort(ratios, iters, sizeof(u64), bench_cmp, NULL);
	return ratios[iters / 2];
}

/* "12.34" for 1234 in @buf (24 bytes): the table's ns with two decimals. */
static inline const char *bench_ns(char *buf, u64 v100)
{
	snprintf(buf, 24, "%llu.%02llu", div_u64(v100, 100),
		 v100 - div_u64(v100, 100) * 100);
	return buf;
}

#endif /* _IOPGTABLE_BENCH_UTIL_H */
