// SPDX-License-Identifier: GPL-2.0-only
/*
 * iopgtable_smp_stress: concurrent maps, unmaps and translations on one table.
 *
 * The contract lets map and unmap calls on disjoint ranges of one table run
 * at the same time with no lock, and iova_to_phys() run beside any call
 * whose range does not hold its IOVA. Four writer threads each own slots
 * of one 1G span, interleaved with the other writers' slots so that they
 * share the level-2 table and the level-3 tables:
 *
 * - the even 2M regions are block slots, owned in turn by the writers and
 *   mapped as one 2M block or as 512 4K pages (a level-3 table of their
 *   own), unmapped whole or in two calls (leaving an empty table that the
 *   next block map replaces);
 * - the odd 2M regions hold 16K chunks of four 4K pages, chunk c owned by
 *   writer c % 4, mapped as a run of 1 to 4 pages from the chunk's start
 *   that grows, shrinks by its last page or goes.
 *
 * Each round builds a new table, so its level-3 tables are installed while
 * the writers race for them: all writers start together and walk the
 * regions in the same random order, each in its own slots of a region.
 * Two reader threads meanwhile translate addresses mapped before the
 * writers start, in a 2M block and in chunks among the writers' ones, that
 * no writer touches, and every answer must be exact. After the round every
 * slot must translate to what its owner last did, no contract violation
 * may have been counted and, once the table is freed, every table the
 * allocator gave out must be back.
 *
 * A writer's operations depend only on the seed and its own slots, so the
 * final state is deterministic although the interleaving is not; nothing
 * depends on timing. The seed is the stress_seed module parameter, printed.
 * The allocators here count with atomics: the suites' shared one does not.
 *
 * A second case makes reservations on several CPUs at once with the
 * default allocator (see stress_reservations()), a third reads the debugfs
 * dump beside unmaps that free tables (stress_debugfs_dump()), a fourth
 * makes the running calls in atomic context (stress_atomic_contexts()).
 * All start their threads with stress_threads_run().
 */

#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/prandom.h>
#include <linux/seq_file.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/xarray.h>

#include "test-util.h"

static ulong stress_seed = 0x57e55;
module_param(stress_seed, ulong, 0444);
MODULE_PARM_DESC(stress_seed, "seed of the iopgtable_smp_stress operations");

#define STRESS_WRITERS		4
#define STRESS_READERS		2
#define STRESS_THREADS		(STRESS_WRITERS + STRESS_READERS)
#define STRESS_ROUNDS		8
#define STRESS_OPS		512	/* per writer and round */
#define STRESS_MIN_READS	256	/* per reader and round, at least */
#define STRESS_BASE		SZ_1G	/* the span: [1G, 2G) */
#define STRESS_REGIONS		64	/* 2M regions of the span in use */
#define STRESS_CHUNK_PAGES	4
#define STRESS_CHUNK_SIZE	(STRESS_CHUNK_PAGES * SZ_4K)
#define STRESS_CHUNKS		(SZ_2M / STRESS_CHUNK_SIZE)
#define STRESS_BLOCK_PAGES	(SZ_2M / SZ_4K)
#define STRESS_READER_GEN	128	/* writers' generations: 1 to 127 */
#define STRESS_PROT		(IOPGTABLE_READ | IOPGTABLE_WRITE)
#define STRESS_MAX_REPORTS	8
#define STRESS_MAX_THREADS	8

struct stress_threads;

/**
 * struct stress_thread_arg - what the kthread of one thread is given
 * @st: the threads it is one of.
 * @i: its index: the writers first, then the readers.
 */
struct stress_thread_arg {
	struct stress_threads *st;
	unsigned int i;
};

/**
 * struct stress_threads - the kthreads of a case, started together
 * @ctx: the case's state, given to @writer and @reader.
 * @writer: run by threads 0 to @writers - 1, with @ctx and the index;
 *	returns when its work is done.
 * @reader: run by the @readers threads after them; returns once
 *	stress_writing() is false.
 * @writers: how many writers; at least one.
 * @readers: how many readers.
 * @name: the threads' name, to which each adds its index.
 * @bind: bind thread i to the online CPU i modulo their number, so that
 *	threads that must run at the same time do.
 * @arg: what each kthread is given.
 * @tasks: the kthreads of the current run, with a reference held; NULL
 *	where there is none.
 * @start: completed once every thread exists: they start together.
 * @writers_left: writers still running.
 * @done: completed by the last writer to finish.
 * @stop: set (WRITE_ONCE) to make the threads stop early on cleanup.
 *
 * The case sets the fields up to @bind, calls stress_threads_init() once,
 * after registering the cleanup of what the threads use (cleanup runs in
 * reverse: the threads stop first), and stress_threads_run() for each run.
 */
struct stress_threads {
	void *ctx;
	void (*writer)(void *ctx, unsigned int i);
	void (*reader)(void *ctx, unsigned int i);
	unsigned int writers;
	unsigned int readers;
	const char *name;
	bool bind;
	struct stress_thread_arg arg[STRESS_MAX_THREADS];
	struct task_struct *tasks[STRESS_MAX_THREADS];
	struct completion start;
	atomic_t writers_left;
	struct completion done;
	bool stop;
};

/* The case is being torn down: threads return as soon as they can. */
static bool stress_stopping(struct stress_threads *st)
{
	return READ_ONCE(st->stop);
}

/* Some writer still runs: what the readers loop on. */
static bool stress_writing(struct stress_threads *st)
{
	return atomic_read(&st->writers_left) && !stress_stopping(st);
}

static int stress_kthread(void *data)
{
	struct stress_thread_arg *arg = data;
	struct stress_threads *st = arg->st;
	bool writer = arg->i < st->writers;

	wait_for_completion(&st->start);
	if (!stress_stopping(st))
		(writer ? st->writer : st->reader)(st->ctx, arg->i);
	if (writer && atomic_dec_and_test(&st->writers_left))
		complete(&st->done);
	return 0;
}

/* Stop the threads, early if @abort, and drop their references. */
static void stress_threads_stop(struct stress_threads *st, bool abort)
{
	unsigned int i;

	if (abort)
		WRITE_ONCE(st->stop, true);
	complete_all(&st->start);
	for (i = 0; i < ARRAY_SIZE(st->tasks); i++) {
		if (st->tasks[i]) {
			kthread_stop_put(st->tasks[i]);
			st->tasks[i] = NULL;
		}
	}
}

static void stress_threads_cleanup(void *data)
{
	stress_threads_stop(data, true);
}

static void stress_threads_init(struct kunit *test, struct stress_threads *st)
{
	KUNIT_ASSERT_GT(test, st->writers, 0);
	KUNIT_ASSERT_LE(test, st->writers + st->readers, STRESS_MAX_THREADS);
	init_completion(&st->start);
	init_completion(&st->done);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, stress_threads_cleanup,
						  st), 0);
}

/*
 * Create the threads, release them together, wait for the writers to
 * finish and stop the readers. A thread that started its work always
 * finishes it: the case checks its results afterwards.
 */
static void stress_threads_run(struct kunit *test, struct stress_threads *st)
{
	unsigned int i, n = st->writers + st->readers;

	reinit_completion(&st->start);
	reinit_completion(&st->done);
	atomic_set(&st->writers_left, st->writers);
	for (i = 0; i < n; i++) {
		struct task_struct *task;

		st->arg[i].st = st;
		st->arg[i].i = i;
		task = kthread_create(stress_kthread, &st->arg[i], "%s%u",
				      st->name, i);
		KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(task), "kthread_create: %ld",
				       PTR_ERR(task));
		if (st->bind)
			kthread_bind(task, cpumask_nth(i % num_online_cpus(),
						       cpu_online_mask));
		get_task_struct(task);
		st->tasks[i] = task;
		wake_up_process(task);
	}
	complete_all(&st->start);
	wait_for_completion(&st->done);
	stress_threads_stop(st, false);
}

/**
 * struct stress_errors - wrong results a case's threads saw
 * @n: how many.
 * @first: what the first was; read once the threads have stopped.
 */
struct stress_errors {
	atomic_long_t n;
	char first[192];
};

static __printf(2, 3) void stress_fail(struct stress_errors *e,
				       const char *fmt, ...)
{
	va_list args;

	if (atomic_long_inc_return(&e->n) != 1)
		return;
	va_start(args, fmt);
	vsnprintf(e->first, sizeof(e->first), fmt, args);
	va_end(args);
}

static void stress_expect_no_errors(struct kunit *test, struct stress_errors *e)
{
	KUNIT_EXPECT_EQ_MSG(test, atomic_long_read(&e->n), 0, "first: %s",
			    e->first);
}

/**
 * struct stress_tables - a table allocator that counts with atomics
 * @allocs: tables allocated.
 * @frees: tables freed.
 * @live_bytes: bytes allocated and not freed.
 *
 * Give it as the table's cookie with stress_tables_alloc() and
 * stress_tables_free(), or embed it in a cookie whose allocator calls them.
 */
struct stress_tables {
	atomic_long_t allocs;
	atomic_long_t frees;
	atomic_long_t live_bytes;
};

static void stress_tables_reset(struct stress_tables *tables)
{
	atomic_long_set(&tables->allocs, 0);
	atomic_long_set(&tables->frees, 0);
	atomic_long_set(&tables->live_bytes, 0);
}

static void *stress_tables_alloc(void *cookie, size_t size, gfp_t gfp)
{
	struct stress_tables *tables = cookie;
	struct page *page;

	page = alloc_pages(gfp | __GFP_ZERO, get_order(size));
	if (!page)
		return NULL;
	atomic_long_inc(&tables->allocs);
	atomic_long_add(size, &tables->live_bytes);
	return page_address(page);
}

static void stress_tables_free(void *cookie, void *pages, size_t size)
{
	struct stress_tables *tables = cookie;

	atomic_long_inc(&tables->frees);
	atomic_long_sub(size, &tables->live_bytes);
	free_pages((unsigned long)pages, get_order(size));
}

/* Once the table is freed: every table allocated was freed, once. */
static void stress_expect_all_freed(struct kunit *test,
				    struct stress_tables *tables,
				    const char *when)
{
	KUNIT_EXPECT_EQ_MSG(test, atomic_long_read(&tables->frees),
			    atomic_long_read(&tables->allocs),
			    "%s: tables leaked or freed twice", when);
	KUNIT_EXPECT_EQ_MSG(test, atomic_long_read(&tables->live_bytes), 0,
			    "%s: bytes left allocated", when);
}

/* Cleanup: free the table that *@data points to, if there is one. */
static void stress_free_ops(void *data)
{
	struct iopgtable_ops **ops = data;

	if (*ops) {
		iopgtable_free_ops(*ops);
		*ops = NULL;
	}
}

/* Free the table at *@ops when the test ends, unless it was freed before. */
static void stress_free_ops_at_exit(struct kunit *test,
				    struct iopgtable_ops **ops)
{
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, stress_free_ops, ops),
			0);
}

struct stress_case {
	const char *desc;
	enum iopgtable_fmt fmt;
};

static const struct stress_case stress_cases[] = {
	{ "arm_64_lpae_s1 4K", IOPGTABLE_ARM_64_LPAE_S1 },
	{ "mali_lpae 4K", IOPGTABLE_ARM_MALI_LPAE },
};

static void stress_case_desc(const struct stress_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(stress, stress_cases, stress_case_desc);

/**
 * struct stress_slot - what the owner of a slot last did to it
 * @gen: generation of the last map, which the physical address carries.
 * @pages: chunks: 4K pages mapped from the start; blocks: 1 when mapped.
 * @paged: a block slot mapped as 4K pages.
 * @empty_table: a block slot unmapped in two calls: its empty level-3
 *	table stays until the next map.
 */
struct stress_slot {
	u8 gen;
	u8 pages;
	bool paged;
	bool empty_table;
};

struct stress_run;

/**
 * struct stress_thread - one writer or reader; only it writes here while
 *	it runs, the test reads after stopping it
 * @run: the run it belongs to.
 * @rnd: its random state.
 * @id: writers 0 to STRESS_WRITERS - 1, then the readers.
 * @maps: map_pages calls made.
 * @unmaps: unmap_pages calls made.
 * @removed: tables its calls removed (unmaps of a whole paged block in
 *	one call, block maps over an empty table).
 * @reads: translations checked (readers).
 * @errors: wrong results seen.
 * @err_what: the first wrong result: the call.
 * @err_iova: its IOVA.
 * @err_ret: what it returned (map_pages).
 * @err_got: what it did: bytes mapped or unmapped, or the translation.
 * @err_want: what it should have done.
 */
struct stress_thread {
	struct stress_run *run;
	struct rnd_state rnd;
	unsigned int id;
	unsigned long maps;
	unsigned long unmaps;
	unsigned long removed;
	unsigned long reads;
	unsigned long errors;
	const char *err_what;
	u64 err_iova;
	int err_ret;
	u64 err_got;
	u64 err_want;
};

/**
 * struct stress_run - one parameter's run
 * @test: the test.
 * @fmt: the format.
 * @cfg: the configuration of the current round's table.
 * @ops: the current round's table, NULL between rounds.
 * @slots: STRESS_REGIONS * STRESS_CHUNKS slots; a block slot is the first
 *	of its region's.
 * @order: the regions the writers visit in this round, in turn.
 * @threads: the writers, then the readers.
 * @st: their kthreads.
 * @tables: the round's table allocations, counted; the table's cookie.
 * @rnd: the test's random state (the regions' order).
 * @reports: slot mismatches reported in the round, up to
 *	STRESS_MAX_REPORTS.
 */
struct stress_run {
	struct kunit *test;
	enum iopgtable_fmt fmt;
	struct iopgtable_cfg cfg;
	struct iopgtable_ops *ops;
	struct stress_slot *slots;
	u16 order[STRESS_OPS];
	struct stress_thread threads[STRESS_THREADS];
	struct stress_threads st;
	struct stress_tables tables;
	struct rnd_state rnd;
	unsigned int reports;
};

static bool stress_is_block(unsigned int r)
{
	return !(r % 2);
}

/* The readers' 2M blocks, and their chunks in every other chunk region. */
static bool stress_reader_block(unsigned int r)
{
	return !(r % 32);
}

static bool stress_reader_chunk(unsigned int r, unsigned int c)
{
	return r % 4 == 1 && c % 16 == 15;
}

static unsigned int stress_block_owner(unsigned int r)
{
	return (r / 2) % STRESS_WRITERS;
}

static u64 stress_iova(unsigned int r, unsigned int c)
{
	return STRESS_BASE + (u64)r * SZ_2M + (u64)c * STRESS_CHUNK_SIZE;
}

/* Below 2^40 (Mali's oas) and never 0: each map gets its own address. */
static u64 stress_block_phys(unsigned int gen, unsigned int r)
{
	return (u64)gen << 32 | (u64)r << 21;
}

static u64 stress_chunk_phys(unsigned int gen, unsigned int r, unsigned int c)
{
	return (u64)gen << 32 | (u64)(r * STRESS_CHUNKS + c) << 14;
}

static struct stress_slot *stress_slot(struct stress_run *run, unsigned int r,
				       unsigned int c)
{
	return &run->slots[r * STRESS_CHUNKS + c];
}

static u8 stress_next_gen(u8 gen)
{
	return gen % (STRESS_READER_GEN - 1) + 1;
}

static u32 stress_rand(struct stress_thread *th, u32 n)
{
	return prandom_u32_state(&th->rnd) % n;
}

static void stress_error(struct stress_thread *th, const char *what, u64 iova,
			 int ret, u64 got, u64 want)
{
	if (th->errors++)
		return;
	th->err_what = what;
	th->err_iova = iova;
	th->err_ret = ret;
	th->err_got = got;
	th->err_want = want;
}

static void stress_map(struct stress_thread *th, u64 iova, u64 paddr,
		       size_t pgsize, size_t pgcount)
{
	struct iopgtable_ops *ops = th->run->ops;
	size_t mapped = 0;
	int ret;

	ret = ops->map_pages(ops, iova, paddr, pgsize, pgcount, STRESS_PROT,
			     GFP_KERNEL, &mapped);
	th->maps++;
	if (ret || mapped != pgsize * pgcount)
		stress_error(th, "map_pages", iova, ret, mapped,
			     pgsize * pgcount);
}

static void stress_unmap(struct stress_thread *th, u64 iova, size_t pgsize,
			 size_t pgcount)
{
	struct iopgtable_ops *ops = th->run->ops;
	size_t unmapped;

	unmapped = ops->unmap_pages(ops, iova, pgsize, pgcount, NULL);
	th->unmaps++;
	if (unmapped != pgsize * pgcount)
		stress_error(th, "unmap_pages", iova, 0, unmapped,
			     pgsize * pgcount);
}

/* Map, grow, shrink or unmap the run of pages of chunk @c of region @r. */
static void stress_chunk_op(struct stress_thread *th, unsigned int r,
			    unsigned int c)
{
	struct stress_slot *s = stress_slot(th->run, r, c);
	u64 iova = stress_iova(r, c);
	unsigned int n = s->pages, m;
	u64 pa;

	if (!n) {
		s->gen = stress_next_gen(s->gen);
		m = 1 + stress_rand(th, STRESS_CHUNK_PAGES);
		stress_map(th, iova, stress_chunk_phys(s->gen, r, c), SZ_4K, m);
		s->pages = m;
		return;
	}
	pa = stress_chunk_phys(s->gen, r, c);
	switch (stress_rand(th, 3)) {
	case 0:
		if (n < STRESS_CHUNK_PAGES) {
			m = 1 + stress_rand(th, STRESS_CHUNK_PAGES - n);
			stress_map(th, iova + n * SZ_4K, pa + n * SZ_4K, SZ_4K,
				   m);
			s->pages = n + m;
			break;
		}
		fallthrough;
	case 1:
		stress_unmap(th, iova, SZ_4K, n);
		s->pages = 0;
		break;
	default:
		stress_unmap(th, iova + (n - 1) * SZ_4K, SZ_4K, 1);
		s->pages = n - 1;
		break;
	}
}

/* Map block slot @r as a block or as pages, or unmap it whole or by pages. */
static void stress_block_op(struct stress_thread *th, unsigned int r)
{
	struct stress_slot *s = stress_slot(th->run, r, 0);
	u64 iova = stress_iova(r, 0);

	if (!s->pages) {
		s->gen = stress_next_gen(s->gen);
		s->paged = !stress_rand(th, 4);
		if (s->paged) {
			stress_map(th, iova, stress_block_phys(s->gen, r),
				   SZ_4K, STRESS_BLOCK_PAGES);
		} else {
			stress_map(th, iova, stress_block_phys(s->gen, r),
				   SZ_2M, 1);
			th->removed += s->empty_table;
		}
		s->empty_table = false;
		s->pages = 1;
		return;
	}
	if (s->paged && stress_rand(th, 2)) {
		/*
		 * One call over the whole 2M would remove the table: the
		 * last page alone leaves it, empty.
		 */
		stress_unmap(th, iova, SZ_4K, STRESS_BLOCK_PAGES - 1);
		stress_unmap(th, iova + SZ_2M - SZ_4K, SZ_4K, 1);
		s->empty_table = true;
	} else {
		stress_unmap(th, iova, SZ_2M, 1);
		th->removed += s->paged;
	}
	s->pages = 0;
}

static void stress_writer(void *ctx, unsigned int i)
{
	struct stress_run *run = ctx;
	struct stress_thread *th = &run->threads[i];
	unsigned int k, r;

	for (k = 0; k < STRESS_OPS && !stress_stopping(&run->st); k++) {
		r = run->order[k];
		if (stress_is_block(r) && !stress_reader_block(r) &&
		    stress_block_owner(r) == th->id) {
			stress_block_op(th, r);
		} else {
			unsigned int c;

			/* Another's block: go to the chunks beside it. */
			if (stress_is_block(r))
				r++;
			c = stress_rand(th, STRESS_CHUNKS / STRESS_WRITERS) *
			    STRESS_WRITERS + th->id;
			if (stress_reader_chunk(r, c))
				c -= STRESS_WRITERS;
			stress_chunk_op(th, r, c);
		}
		cond_resched();
	}
}

/* A random reader address, and what it must translate to. */
static void stress_reader_addr(struct stress_thread *th, u64 *iova, u64 *want)
{
	u32 off = stress_rand(th, SZ_4K / 8) * 8;
	unsigned int r, c;

	if (!stress_rand(th, 8)) {
		r = stress_rand(th, STRESS_REGIONS / 32) * 32;
		off += stress_rand(th, STRESS_BLOCK_PAGES) * SZ_4K;
		*iova = stress_iova(r, 0) + off;
		*want = stress_block_phys(STRESS_READER_GEN, r) + off;
		return;
	}
	r = stress_rand(th, STRESS_REGIONS / 4) * 4 + 1;
	c = stress_rand(th, STRESS_CHUNKS / 16) * 16 + 15;
	off += stress_rand(th, STRESS_CHUNK_PAGES) * SZ_4K;
	*iova = stress_iova(r, c) + off;
	*want = stress_chunk_phys(STRESS_READER_GEN, r, c) + off;
}

static void stress_reader(void *ctx, unsigned int i)
{
	struct stress_run *run = ctx;
	struct stress_thread *th = &run->threads[i];
	struct iopgtable_ops *ops = run->ops;
	u64 iova, want, got;

	while ((stress_writing(&run->st) || th->reads < STRESS_MIN_READS) &&
	       !stress_stopping(&run->st)) {
		stress_reader_addr(th, &iova, &want);
		got = ops->iova_to_phys(ops, iova);
		if (got != want)
			stress_error(th, "iova_to_phys", iova, 0, got, want);
		th->reads++;
		cond_resched();
	}
}

static void stress_map_readers(struct stress_run *run)
{
	struct kunit *test = run->test;
	struct iopgtable_ops *ops = run->ops;
	unsigned int r, c;
	size_t mapped;

	for (r = 0; r < STRESS_REGIONS; r++) {
		for (c = 0; c < STRESS_CHUNKS; c++) {
			u64 iova = stress_iova(r, c);
			u64 pa;
			size_t pgsize, pgcount;

			if (stress_is_block(r) && !c && stress_reader_block(r)) {
				pa = stress_block_phys(STRESS_READER_GEN, r);
				pgsize = SZ_2M;
				pgcount = 1;
			} else if (!stress_is_block(r) &&
				   stress_reader_chunk(r, c)) {
				pa = stress_chunk_phys(STRESS_READER_GEN, r, c);
				pgsize = SZ_4K;
				pgcount = STRESS_CHUNK_PAGES;
			} else {
				continue;
			}
			mapped = 0;
			KUNIT_ASSERT_EQ(test,
					ops->map_pages(ops, iova, pa, pgsize,
						       pgcount, STRESS_PROT,
						       GFP_KERNEL, &mapped), 0);
			KUNIT_ASSERT_EQ(test, mapped, pgsize * pgcount);
		}
	}
}

/* Run the round's writers and readers, each seeded for the round. */
static void stress_run_threads(struct stress_run *run, unsigned int round)
{
	unsigned int i;

	for (i = 0; i < STRESS_THREADS; i++) {
		struct stress_thread *th = &run->threads[i];

		memset(th, 0, sizeof(*th));
		th->run = run;
		th->id = i;
		prandom_seed_state(&th->rnd, stress_seed ^
				   ((u64)run->fmt << 48 | (u64)round << 8 | i));
	}
	stress_threads_run(run->test, &run->st);
}

/* Expect @iova to translate to @want; report the first few mismatches. */
static void stress_expect(struct stress_run *run, unsigned int round, u64 iova,
			  u64 want)
{
	u64 got = run->ops->iova_to_phys(run->ops, iova);

	if (got == want || run->reports++ >= STRESS_MAX_REPORTS)
		return;
	KUNIT_FAIL(run->test, "round %u: IOVA %#llx translates to %#llx, wanted %#llx",
		   round, iova, got, want);
}

/* Check every slot against what its owner last did; returns the checks. */
static unsigned long stress_check_slots(struct stress_run *run,
					unsigned int round)
{
	unsigned long checks = 0;
	unsigned int r, c, p;

	run->reports = 0;
	for (r = 0; r < STRESS_REGIONS; r++) {
		if (stress_is_block(r)) {
			struct stress_slot *s = stress_slot(run, r, 0);
			u64 pa = 0;

			if (stress_reader_block(r))
				pa = stress_block_phys(STRESS_READER_GEN, r);
			else if (s->pages)
				pa = stress_block_phys(s->gen, r);
			/* Every 16th page and the last, at an offset. */
			for (p = 0; p < STRESS_BLOCK_PAGES; p += 16) {
				u64 off = p * SZ_4K + 8 * p;

				stress_expect(run, round, stress_iova(r, 0) + off,
					      pa ? pa + off : 0);
				checks++;
			}
			stress_expect(run, round, stress_iova(r, 0) + SZ_2M - 8,
				      pa ? pa + SZ_2M - 8 : 0);
			checks++;
			continue;
		}
		for (c = 0; c < STRESS_CHUNKS; c++) {
			struct stress_slot *s = stress_slot(run, r, c);
			unsigned int pages = s->pages, gen = s->gen;

			if (stress_reader_chunk(r, c)) {
				pages = STRESS_CHUNK_PAGES;
				gen = STRESS_READER_GEN;
			}
			for (p = 0; p < STRESS_CHUNK_PAGES; p++) {
				u64 off = p * SZ_4K + 8 * c;
				u64 pa = stress_chunk_phys(gen, r, c) + off;

				stress_expect(run, round, stress_iova(r, c) + off,
					      p < pages ? pa : 0);
				checks++;
			}
		}
	}
	return checks;
}

/**
 * struct stress_totals - what a run did, for the log
 * @maps: map_pages calls by the writers.
 * @unmaps: unmap_pages calls by the writers.
 * @reads: concurrent translations checked by the readers.
 * @checks: translations checked after the rounds.
 * @allocs: tables allocated.
 * @lost: tables freed by the mapper that lost the race to install them.
 */
struct stress_totals {
	unsigned long maps;
	unsigned long unmaps;
	unsigned long reads;
	unsigned long checks;
	unsigned long allocs;
	unsigned long lost;
};

static void stress_round(struct stress_run *run, unsigned int round,
			 struct stress_totals *tot)
{
	struct kunit *test = run->test;
	struct iopgtable_test_count *violations;
	struct iopgtable_ops *ops;
	unsigned long removed = 0, frees;
	unsigned int i;

	memset(run->slots, 0,
	       STRESS_REGIONS * STRESS_CHUNKS * sizeof(*run->slots));
	for (i = 0; i < STRESS_OPS; i++)
		run->order[i] = prandom_u32_state(&run->rnd) % STRESS_REGIONS;
	stress_tables_reset(&run->tables);

	run->cfg = iopgtable_test_cfg(run->fmt);
	run->cfg.alloc = stress_tables_alloc;
	run->cfg.free = stress_tables_free;
	violations = kunit_kzalloc(test, sizeof(*violations), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, violations);
	ops = iopgtable_alloc_ops(run->fmt, &run->cfg, &run->tables);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ops);
	violations->ops = ops;
	iopgtable_test_count_violations(test, violations);
	run->ops = ops;
	stress_map_readers(run);

	stress_run_threads(run, round);

	for (i = 0; i < STRESS_THREADS; i++) {
		struct stress_thread *th = &run->threads[i];

		KUNIT_EXPECT_EQ_MSG(test, th->errors, 0,
				    "round %u, thread %u: %s at IOVA %#llx returned %d, did %#llx, wanted %#llx",
				    round, i, th->err_what, th->err_iova,
				    th->err_ret, th->err_got, th->err_want);
		tot->maps += th->maps;
		tot->unmaps += th->unmaps;
		tot->reads += th->reads;
		removed += th->removed;
	}
	tot->checks += stress_check_slots(run, round);
	KUNIT_EXPECT_EQ_MSG(test, atomic_long_read(&violations->n), 0,
			    "round %u: contract violations counted", round);

	frees = atomic_long_read(&run->tables.frees);
	run->ops = NULL;
	iopgtable_free_ops(ops);
	stress_expect_all_freed(test, &run->tables, "after the round");
	/* Tables freed during the round: removed by a call, or lost races. */
	KUNIT_EXPECT_GE_MSG(test, frees, removed,
			    "round %u: fewer tables freed than removed", round);
	tot->allocs += atomic_long_read(&run->tables.allocs);
	if (frees > removed)
		tot->lost += frees - removed;
}

static void stress_test(struct kunit *test)
{
	const struct stress_case *p = test->param_value;
	struct stress_totals tot = {};
	struct stress_run *run;
	unsigned int round;

	run = kunit_kzalloc(test, sizeof(*run), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, run);
	run->slots = kunit_kcalloc(test, STRESS_REGIONS * STRESS_CHUNKS,
				   sizeof(*run->slots), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, run->slots);
	run->test = test;
	run->fmt = p->fmt;
	prandom_seed_state(&run->rnd, stress_seed ^ (u64)p->fmt << 48);
	/* Cleanup runs in reverse: the threads stop before the table goes. */
	stress_free_ops_at_exit(test, &run->ops);
	run->st = (struct stress_threads) {
		.ctx = run, .writer = stress_writer, .reader = stress_reader,
		.writers = STRESS_WRITERS, .readers = STRESS_READERS,
		.name = "iopgtable-stress",
	};
	stress_threads_init(test, &run->st);

	for (round = 0; round < STRESS_ROUNDS; round++)
		stress_round(run, round, &tot);

	kunit_info(test,
		   "seed %#lx, %u CPUs: %u rounds, %d writers made %lu maps and %lu unmaps, %d readers checked %lu translations meanwhile, %lu checked after; %lu tables allocated, %lu freed by the loser of an install race",
		   stress_seed, num_online_cpus(), STRESS_ROUNDS,
		   STRESS_WRITERS, tot.maps, tot.unmaps, STRESS_READERS,
		   tot.reads, tot.checks, tot.allocs, tot.lost);
}

#define STRESS_PA_THREADS	4
#define STRESS_PA_BINDS		128	/* per thread */
#define STRESS_PA_SLOTS		32	/* 2M slots per thread */

/**
 * struct stress_pa - reservations made on several CPUs at once
 * @ops: the table, with the default allocator.
 * @held: the tables some thread's reservation holds, by address.
 * @st: the threads.
 * @errors: wrong results, per thread.
 * @what: the first of them, per thread.
 * @iova: where, per thread.
 * @tables: tables reserved, per thread.
 */
struct stress_pa {
	struct iopgtable_ops *ops;
	struct xarray held;
	struct stress_threads st;
	unsigned long errors[STRESS_PA_THREADS];
	const char *what[STRESS_PA_THREADS];
	u64 iova[STRESS_PA_THREADS];
	unsigned long tables[STRESS_PA_THREADS];
};

static void stress_pa_error(struct stress_pa *sp, unsigned int id,
			    const char *what, u64 iova)
{
	if (!sp->errors[id]++) {
		sp->what[id] = what;
		sp->iova[id] = iova;
	}
}

/*
 * Bind a 2M block in one of this thread's slots, reserving for it first,
 * and unmap it again. Every table of the reservation must be in no other
 * reservation: the held xarray refuses a second insertion. The
 * tables are dropped from it before the release that frees them.
 */
static void stress_pa_bind(struct stress_pa *sp, unsigned int id, u64 iova)
{
	struct iopgtable_ops *ops = sp->ops;
	phys_addr_t phys = SZ_4G + iova;
	struct iopgtable_prealloc pa;
	unsigned int i, n;
	void *held[4];
	u64 *table;

	iopgtable_prealloc_init(&pa);
	if (iopgtable_prealloc_map(ops, &pa, iova, SZ_2M, GFP_KERNEL)) {
		stress_pa_error(sp, id, "iopgtable_prealloc_map", iova);
		return;
	}
	n = iopgtable_prealloc_count(&pa);
	if (n > ARRAY_SIZE(held)) {
		stress_pa_error(sp, id, "too many tables for a 2M bind", iova);
		n = ARRAY_SIZE(held);
	}
	sp->tables[id] += n;
	/* The tables are a list through their first entry. */
	for (i = 0, table = pa.head; i < n; i++, table = *(void **)table) {
		held[i] = table;
		if (xa_insert(&sp->held, (unsigned long)table, table,
			      GFP_KERNEL))
			stress_pa_error(sp, id, "a table in two reservations",
					iova);
	}
	if (iopgtable_map_prealloc(ops, iova, phys, SZ_2M, STRESS_PROT, &pa))
		stress_pa_error(sp, id, "iopgtable_map_prealloc", iova);
	else if (ops->iova_to_phys(ops, iova + SZ_1M) != phys + SZ_1M)
		stress_pa_error(sp, id, "iova_to_phys", iova);
	else if (iopgtable_unmap(ops, iova, SZ_2M, NULL) != SZ_2M)
		stress_pa_error(sp, id, "iopgtable_unmap", iova);
	for (i = 0; i < n; i++)
		xa_erase(&sp->held, (unsigned long)held[i]);
	iopgtable_prealloc_release(ops, &pa);
}

static void stress_pa_thread(void *ctx, unsigned int id)
{
	struct stress_pa *sp = ctx;
	unsigned int k;

	for (k = 0; k < STRESS_PA_BINDS && !stress_stopping(&sp->st); k++) {
		/* Slots of each thread interleaved in one 1G span. */
		unsigned int slot = (k % STRESS_PA_SLOTS) * STRESS_PA_THREADS +
				    id;

		stress_pa_bind(sp, id, STRESS_BASE + (u64)slot * SZ_2M);
		cond_resched();
	}
}

static void stress_pa_cleanup(void *data)
{
	struct stress_pa *sp = data;

	if (sp->ops) {
		iopgtable_free_ops(sp->ops);
		sp->ops = NULL;
	}
	xa_destroy(&sp->held);
}

/*
 * Four threads bind 2M blocks in interleaved slots of one 1G span of one
 * table with the default allocator, each reserving for every bind: after
 * the first binds the tables are there, so each reservation goes back
 * whole and is freed while the other threads allocate theirs. No table
 * may be in two reservations or come back dirty, every bind must
 * translate, and no call may break the contract.
 */
static void stress_reservations(struct kunit *test)
{
	struct iopgtable_cfg cfg = iopgtable_test_cfg(IOPGTABLE_ARM_64_LPAE_S1);
	struct iopgtable_test_count *violations;
	unsigned long tables = 0;
	struct stress_pa *sp;
	unsigned int i;

	sp = kunit_kzalloc(test, sizeof(*sp), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sp);
	xa_init(&sp->held);
	cfg.alloc = NULL;
	cfg.free = NULL;
	cfg.tlb = NULL;
	cfg.quirks &= ~IOPGTABLE_QUIRK_NO_WARN;
	violations = kunit_kzalloc(test, sizeof(*violations), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, violations);
	sp->ops = iopgtable_alloc_ops(IOPGTABLE_ARM_64_LPAE_S1, &cfg, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sp->ops);
	violations->ops = sp->ops;
	iopgtable_test_count_violations(test, violations);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, stress_pa_cleanup, sp),
			0);
	sp->st = (struct stress_threads) {
		.ctx = sp, .writer = stress_pa_thread,
		.writers = STRESS_PA_THREADS, .name = "iopgtable-pa",
	};
	stress_threads_init(test, &sp->st);
	stress_threads_run(test, &sp->st);

	for (i = 0; i < STRESS_PA_THREADS; i++) {
		KUNIT_EXPECT_EQ_MSG(test, sp->errors[i], 0,
				    "thread %u: %s at IOVA %#llx", i, sp->what[i],
				    sp->iova[i]);
		tables += sp->tables[i];
	}
	KUNIT_EXPECT_TRUE(test, xa_empty(&sp->held));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&violations->n), 0);
	kunit_info(test,
		   "%u CPUs: %d threads made %d binds each, %lu tables reserved",
		   num_online_cpus(), STRESS_PA_THREADS, STRESS_PA_BINDS,
		   tables);
}

#define STRESS_DUMP_WRITERS	2
#define STRESS_DUMP_ROUNDS	400	/* per writer */
#define STRESS_DUMP_SIZE	SZ_16M	/* 4K pages a round maps: 8 tables */

/**
 * struct stress_dump - the debugfs dump against unmaps that free tables
 * @ops: the table, with the default allocator.
 * @lock: the driver's lock, held around every map and unmap.
 * @m: the reader's seq_file.
 * @st: the writers, then the reader.
 * @errors: wrong results.
 * @dumps: the dumps the reader made.
 */
struct stress_dump {
	struct iopgtable_ops *ops;
	struct mutex lock;	/* the driver's: held around its updates */
	struct seq_file m;
	struct stress_threads st;
	struct stress_errors errors;
	unsigned long dumps;
};

/*
 * A writer maps 16M of 4K pages (their physical addresses are not 2M
 * aligned) in a 1G span of its own, then unmaps the whole span, which
 * frees its level-2 table and the 8 leaf tables below: each under the
 * driver's lock, as a driver's updates are. A dump reads 4096 leaves a
 * writer has mapped, long enough to be preempted in the middle.
 */
static void stress_dump_writer(void *ctx, unsigned int id)
{
	struct stress_dump *sd = ctx;
	u64 span = STRESS_BASE + (id + 1) * (u64)SZ_1G;
	unsigned int k;

	for (k = 0; k < STRESS_DUMP_ROUNDS && !stress_stopping(&sd->st); k++) {
		u64 iova = span + (u64)(k % 64) * STRESS_DUMP_SIZE;
		size_t unmapped;
		int ret;

		mutex_lock(&sd->lock);
		ret = iopgtable_map(sd->ops, iova, SZ_4G + SZ_4K,
				    STRESS_DUMP_SIZE, STRESS_PROT, GFP_KERNEL);
		mutex_unlock(&sd->lock);
		if (ret)
			stress_fail(&sd->errors, "iopgtable_map at %#llx: %d",
				    iova, ret);
		cond_resched();
		mutex_lock(&sd->lock);
		unmapped = iopgtable_unmap(sd->ops, span, SZ_1G, NULL);
		mutex_unlock(&sd->lock);
		if (unmapped != SZ_1G)
			stress_fail(&sd->errors,
				    "iopgtable_unmap of the span at %#llx: %#zx",
				    span, unmapped);
		cond_resched();
	}
}

/* The reader dumps the table, as reading its debugfs file does. */
static void stress_dump_reader(void *ctx, unsigned int i)
{
	struct stress_dump *sd = ctx;

	do {
		sd->m.count = 0;
		if (iopgtable_debugfs_show(&sd->m, NULL))
			stress_fail(&sd->errors, "iopgtable_debugfs_show");
		sd->dumps++;
		cond_resched();
	} while (stress_writing(&sd->st));
}

/*
 * The debugfs file reads under the driver's lock: a thread dumping the
 * table in a loop while others unmap whole spans, freeing tables, never
 * follows a freed table. Without the lock, on several CPUs (the smp-stress
 * lane), dumps run while unmaps free the tables they read: the serialisation
 * checks report each such overlap (counted here), and a dump that follows
 * a freed table reads whatever the page holds next.
 */
static void stress_debugfs_dump(struct kunit *test)
{
	struct iopgtable_cfg cfg = iopgtable_test_cfg(IOPGTABLE_ARM_64_LPAE_S1);
	struct iopgtable_test_count *violations;
	struct stress_dump *sd;

	if (!IS_ENABLED(CONFIG_IOPGTABLE_DEBUGFS))
		kunit_skip(test, "CONFIG_IOPGTABLE_DEBUGFS is not set");
	sd = kunit_kzalloc(test, sizeof(*sd), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sd);
	sd->m.size = SZ_4K;
	sd->m.buf = kunit_kzalloc(test, sd->m.size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sd->m.buf);
	mutex_init(&sd->lock);
	cfg.alloc = NULL;
	cfg.free = NULL;
	cfg.tlb = NULL;
	violations = kunit_kzalloc(test, sizeof(*violations), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, violations);
	sd->ops = iopgtable_alloc_ops(IOPGTABLE_ARM_64_LPAE_S1, &cfg, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sd->ops);
	violations->ops = sd->ops;
	iopgtable_test_count_violations(test, violations);
	sd->m.private = sd->ops;
	stress_free_ops_at_exit(test, &sd->ops);
	iopgtable_debugfs_add(sd->ops, "iopgtable_stress_dump", NULL,
			      &sd->lock);

	sd->st = (struct stress_threads) {
		.ctx = sd, .writer = stress_dump_writer,
		.reader = stress_dump_reader, .writers = STRESS_DUMP_WRITERS,
		.readers = 1, .name = "iopgtable-dump",
	};
	stress_threads_init(test, &sd->st);
	stress_threads_run(test, &sd->st);

	stress_expect_no_errors(test, &sd->errors);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&violations->n), 0);
	KUNIT_EXPECT_GT(test, sd->dumps, 0UL);
	kunit_info(test, "%u CPUs: %d writers made %d rounds each, %lu dumps meanwhile",
		   num_online_cpus(), STRESS_DUMP_WRITERS, STRESS_DUMP_ROUNDS,
		   sd->dumps);
}

#define STRESS_ATOMIC_THREADS	2
#define STRESS_ATOMIC_ROUNDS	100	/* per thread, and for the timer */
#define STRESS_ATOMIC_TIMER	(8ULL * SZ_1G)	/* the timer's IOVA */

/**
 * struct stress_atomic - running calls where nothing may sleep
 * @ops: the table, with the default allocator.
 * @lock: a driver's lock, taken with interrupts off around the updates.
 * @timer: maps and unmaps a page from softirq context, then re-arms.
 * @timer_left: the timer's rounds still to run.
 * @timer_done: completed by the timer's last round.
 * @st: the threads.
 * @errors: wrong results.
 * @enomem: GFP_ATOMIC allocations that failed (allowed, counted).
 */
struct stress_atomic {
	struct iopgtable_ops *ops;
	spinlock_t lock;	/* a driver's, taken with interrupts off */
	struct timer_list timer;
	unsigned int timer_left;
	struct completion timer_done;
	struct stress_threads st;
	struct stress_errors errors;
	atomic_long_t enomem;
};

/* A page mapped and unmapped with GFP_ATOMIC, from a timer (softirq). */
static void stress_atomic_timer(struct timer_list *timer)
{
	struct stress_atomic *sa = container_of(timer, struct stress_atomic,
						timer);
	u64 iova = STRESS_ATOMIC_TIMER + (u64)(sa->timer_left % 512) * SZ_4K;
	int ret;

	ret = iopgtable_map(sa->ops, iova, SZ_4G, SZ_4K, STRESS_PROT,
			    GFP_ATOMIC);
	if (ret == -ENOMEM)
		atomic_long_inc(&sa->enomem);
	else if (ret || sa->ops->iova_to_phys(sa->ops, iova) != SZ_4G)
		stress_fail(&sa->errors, "map from a timer");
	else if (iopgtable_unmap(sa->ops, iova, SZ_4K, NULL) != SZ_4K)
		stress_fail(&sa->errors, "unmap from a timer");
	if (--sa->timer_left)
		mod_timer(&sa->timer, jiffies + 1);
	else
		complete(&sa->timer_done);
}

/*
 * A thread reserves for 2M of 4K pages in process context, then, under
 * the driver's spinlock with interrupts off, maps them from the
 * reservation, splits and unmaps a page, unmaps the whole span (freeing
 * its leaf table) and releases the reservation.
 */
static void stress_atomic_thread(void *ctx, unsigned int id)
{
	struct stress_atomic *sa = ctx;
	unsigned int k;

	for (k = 0; k < STRESS_ATOMIC_ROUNDS && !stress_stopping(&sa->st); k++) {
		u64 iova = SZ_4G + id * (u64)SZ_1G + (u64)(k % 64) * SZ_2M;
		struct iopgtable_prealloc pa;
		unsigned long flags;

		iopgtable_prealloc_init(&pa);
		if (iopgtable_prealloc_map(sa->ops, &pa, iova, SZ_2M,
					   GFP_KERNEL)) {
			stress_fail(&sa->errors, "iopgtable_prealloc_map at %#llx",
				    iova);
			break;
		}
		spin_lock_irqsave(&sa->lock, flags);
		if (iopgtable_map_prealloc(sa->ops, iova, SZ_4G + SZ_4K, SZ_2M,
					   STRESS_PROT, &pa))
			stress_fail(&sa->errors, "iopgtable_map_prealloc at %#llx",
				    iova);
		else if (iopgtable_unmap_split(sa->ops, iova + SZ_8K, SZ_4K,
					       &pa, NULL) != SZ_4K)
			stress_fail(&sa->errors, "iopgtable_unmap_split at %#llx",
				    iova + SZ_8K);
		else if (sa->ops->iova_to_phys(sa->ops, iova + SZ_8K) ||
			 sa->ops->iova_to_phys(sa->ops, iova + SZ_4K) !=
			 SZ_4G + SZ_8K)
			stress_fail(&sa->errors, "iova_to_phys at %#llx",
				    iova + SZ_4K);
		else if (iopgtable_unmap(sa->ops, iova, SZ_2M, NULL) != SZ_2M)
			stress_fail(&sa->errors, "iopgtable_unmap at %#llx",
				    iova);
		iopgtable_prealloc_release(sa->ops, &pa);
		spin_unlock_irqrestore(&sa->lock, flags);
		cond_resched();
	}
}

static void stress_atomic_cleanup(void *data)
{
	struct stress_atomic *sa = data;

	timer_shutdown_sync(&sa->timer);
	if (sa->ops) {
		iopgtable_free_ops(sa->ops);
		sa->ops = NULL;
	}
}

/*
 * The running calls may run in any context: under a spinlock with
 * interrupts off (reservations, splits, unmaps that free tables, the
 * release) and from a timer with GFP_ATOMIC, on several CPUs at once.
 * CONFIG_DEBUG_ATOMIC_SLEEP (sanitizers, smp-stress) reports one that
 * may sleep, lockdep one that takes a lock wrongly.
 */
static void stress_atomic_contexts(struct kunit *test)
{
	struct iopgtable_cfg cfg = iopgtable_test_cfg(IOPGTABLE_ARM_64_LPAE_S1);
	struct iopgtable_test_count *violations;
	struct stress_atomic *sa;

	sa = kunit_kzalloc(test, sizeof(*sa), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sa);
	violations = kunit_kzalloc(test, sizeof(*violations), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, violations);
	spin_lock_init(&sa->lock);
	init_completion(&sa->timer_done);
	timer_setup(&sa->timer, stress_atomic_timer, 0);
	sa->timer_left = STRESS_ATOMIC_ROUNDS;
	cfg.alloc = NULL;
	cfg.free = NULL;
	cfg.tlb = NULL;
	sa->ops = iopgtable_alloc_ops(IOPGTABLE_ARM_64_LPAE_S1, &cfg, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sa->ops);
	violations->ops = sa->ops;
	iopgtable_test_count_violations(test, violations);
	/* Cleanup runs in reverse: the threads, then the timer and table. */
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, stress_atomic_cleanup,
						  sa), 0);
	sa->st = (struct stress_threads) {
		.ctx = sa, .writer = stress_atomic_thread,
		.writers = STRESS_ATOMIC_THREADS, .name = "iopgtable-atomic",
	};
	stress_threads_init(test, &sa->st);

	mod_timer(&sa->timer, jiffies + 1);
	stress_threads_run(test, &sa->st);
	wait_for_completion(&sa->timer_done);

	stress_expect_no_errors(test, &sa->errors);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&violations->n), 0);
	kunit_info(test, "%u CPUs: %d threads made %d rounds under a spinlock, a timer %d (%ld without memory)",
		   num_online_cpus(), STRESS_ATOMIC_THREADS,
		   STRESS_ATOMIC_ROUNDS, STRESS_ATOMIC_ROUNDS,
		   atomic_long_read(&sa->enomem));
}

/* The attributes of KUNIT_CASE_SLOW, for the parameterised cases. */
#define STRESS_SLOW	{ .speed = KUNIT_SPEED_SLOW }

static struct kunit_case stress_test_cases[] = {
	KUNIT_CASE_PARAM_ATTR(stress_test, stress_gen_params, STRESS_SLOW),
	KUNIT_CASE_SLOW(stress_reservations),
	KUNIT_CASE_SLOW(stress_debugfs_dump),
	KUNIT_CASE_SLOW(stress_atomic_contexts),
	{}
};

static struct kunit_suite stress_suite = {
	.name = "iopgtable_smp_stress",
	.test_cases = stress_test_cases,
};

kunit_test_suites(&stress_suite);
