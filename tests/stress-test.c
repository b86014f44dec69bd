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
 * The other cases each aim at one path of the concurrency contract:
 * reservations made on several CPUs at once (stress_reservations()), the
 * debugfs dump beside unmaps that free tables (stress_debugfs_dump()), the
 * running calls in atomic context (stress_atomic_contexts()), threads held
 * in the allocator until all have read the same empty entry, so that each
 * table is installed by one and freed by the others (stress_install_race()),
 * whole 1G spans freed beside maps and unmaps in the other spans of their
 * level-1 table (stress_span_frees()), reservations, splits and sg_table
 * maps in every granule, coherent or not (stress_prealloc_split()), walks
 * of holes and pages beside maps and unmaps (stress_walk_holes()), and raw
 * 64-bit entry reads against the writes of those entries and splits of the
 * block under them (stress_entry_atomicity()). All start their threads
 * with stress_threads_run().
 */

#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/bitfield.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/prandom.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "test-util.h"

#include <trace/events/iopgtable.h>

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

/**
 * struct stress_table_events - a table's allocations and frees as its
 *	tracepoints report them, which counts with the default allocator
 * @ops: the table; NULL until it is known: then every table's.
 * @tables: the counts.
 */
struct stress_table_events {
	const void *ops;
	struct stress_tables tables;
};

static bool stress_events_mine(struct stress_table_events *ev,
			       const void *ops)
{
	const void *mine = READ_ONCE(ev->ops);

	return !mine || mine == ops;
}

static void stress_on_table_alloc(void *data, const void *ops,
				  unsigned int level, u64 paddr, size_t size)
{
	struct stress_table_events *ev = data;

	if (!stress_events_mine(ev, ops))
		return;
	atomic_long_inc(&ev->tables.allocs);
	atomic_long_add(size, &ev->tables.live_bytes);
}

static void stress_on_table_free(void *data, const void *ops,
				 unsigned int level, u64 paddr, size_t size)
{
	struct stress_table_events *ev = data;

	if (!stress_events_mine(ev, ops))
		return;
	atomic_long_inc(&ev->tables.frees);
	atomic_long_sub(size, &ev->tables.live_bytes);
}

static void stress_count_tables_stop(void *data)
{
	unregister_trace_iopgtable_table_free(stress_on_table_free, data);
	unregister_trace_iopgtable_table_alloc(stress_on_table_alloc, data);
	tracepoint_synchronize_unregister();
}

/* Count in @ev the tables allocated and freed until the test ends. */
static void stress_count_tables(struct kunit *test,
				struct stress_table_events *ev)
{
	KUNIT_ASSERT_EQ(test,
			register_trace_iopgtable_table_alloc(stress_on_table_alloc,
							     ev), 0);
	if (register_trace_iopgtable_table_free(stress_on_table_free, ev)) {
		stress_count_tables_stop(ev);
		KUNIT_FAIL_AND_ABORT(test, "cannot count table frees");
	}
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, stress_count_tables_stop,
						  ev), 0);
}

/*
 * The suites' view of a table a stress case made, for the walks of
 * test-util.c and the device-view checks of test-dma.c. It owns nothing:
 * never give it to iopgtable_test_release(). With a non-coherent walker's
 * device, tells the device where the root is.
 */
static void stress_view_init(struct kunit *test, struct iopgtable_test_table *t,
			     enum iopgtable_fmt fmt, struct iopgtable_ops *ops,
			     const struct iopgtable_cfg *cfg)
{
	struct iopgtable_test_geometry g;

	memset(t, 0, sizeof(*t));
	t->test = test;
	t->fmt = fmt;
	t->ops = ops;
	t->cfg = *cfg;
	t->shadow = iopgtable_test_shadow_of(cfg->iommu_dev);
	if (t->shadow) {
		iopgtable_test_geometry(t, &g);
		iopgtable_test_shadow_set_root(t->shadow, g.root, g.start);
	}
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

/* Buffers mapped to a non-coherent walker's device: its tables. */
static unsigned long stress_dma_mapped(const struct iopgtable_cfg *cfg)
{
	struct iopgtable_test_shadow *sh = iopgtable_test_shadow_of(cfg->iommu_dev);

	return sh ? iopgtable_test_shadow_nr(sh) : 0;
}

/* Once a table is freed, its device has no more mapped than @before. */
static void stress_expect_dma_unmapped(struct kunit *test,
				       const struct iopgtable_cfg *cfg,
				       unsigned long before, const char *when)
{
	KUNIT_EXPECT_EQ_MSG(test, stress_dma_mapped(cfg), before,
			    "%s: tables left mapped for DMA", when);
}

/* The walker's own reading of an entry (test-dma.c, test-util.c). */
#define STRESS_PTE_TYPE		GENMASK_ULL(1, 0)
#define STRESS_PTE_TABLE	3
#define STRESS_PTE_OA		GENMASK_ULL(47, 12)
/* Software bits: the walker ignores them, a sync marks table entries. */
#define STRESS_PTE_SW		GENMASK_ULL(58, 55)

/*
 * Read the entry at @ptep as the walker does: one 64-bit single-copy
 * atomic load. READ_ONCE() of a u64 may be two loads on a 32-bit kernel;
 * atomic64_read() is LDRD there, single-copy atomic with LPAE.
 */
static u64 stress_read_pte(const u64 *ptep)
{
#ifdef CONFIG_64BIT
	return READ_ONCE(*ptep);
#else
	return atomic64_read((const atomic64_t *)ptep);
#endif
}

/* Write @pte at @ptep as the library does: one 64-bit store. */
static void stress_write_pte(u64 *ptep, u64 pte)
{
#ifdef CONFIG_64BIT
	WRITE_ONCE(*ptep, pte);
#else
	atomic64_set((atomic64_t *)ptep, pte);
#endif
}

/* Whether @pte is a table entry at level @lvl. */
static bool stress_is_table(u64 pte, int lvl)
{
	return lvl < 3 && FIELD_GET(STRESS_PTE_TYPE, pte) == STRESS_PTE_TABLE;
}

/* Whether @pte is a table entry at level @lvl that links @table. */
static bool stress_links(u64 pte, int lvl, phys_addr_t table)
{
	return stress_is_table(pte, lvl) && (pte & STRESS_PTE_OA) == table;
}

/*
 * The address of the entry at level @lvl on the way to @iova, or NULL
 * where the walk ends above that level. Reads no table below @lvl: the
 * caller knows that the tables it crosses stay.
 */
static u64 *stress_entry_ptr(struct iopgtable_test_table *t, u64 iova,
			     int lvl)
{
	struct iopgtable_test_geometry g;
	phys_addr_t table;
	int l;

	iopgtable_test_geometry(t, &g);
	table = g.root;
	for (l = g.start; ; l++) {
		unsigned int shift = g.granule_lg2 + (3 - l) * g.bits;
		unsigned int ibits = l == g.start ? g.root_bits : g.bits;
		u64 *ptep = (u64 *)phys_to_virt(table) +
			    ((iova >> shift) & (BIT_ULL(ibits) - 1));
		u64 pte;

		if (l == lvl)
			return ptep;
		pte = stress_read_pte(ptep);
		if (!stress_is_table(pte, l))
			return NULL;
		table = pte & STRESS_PTE_OA;
	}
}

/* The entry at level @lvl on the way to @iova, or 0: stress_entry_ptr(). */
static u64 stress_entry(struct iopgtable_test_table *t, u64 iova, int lvl)
{
	u64 *ptep = stress_entry_ptr(t, iova, lvl);

	return ptep ? stress_read_pte(ptep) : 0;
}

/**
 * struct stress_granule - a format, granule and walker the cases run in
 * @desc: the parameter's name.
 * @fmt: the format.
 * @pgsize_bitmap: the granule and the block sizes.
 * @coherent: the walker snoops the CPU's caches; else it reads the tables
 *	through the copy tests/test-dma.c keeps (where the kernel has it).
 */
struct stress_granule {
	const char *desc;
	enum iopgtable_fmt fmt;
	unsigned long pgsize_bitmap;
	bool coherent;
};

static const struct stress_granule stress_granules[] = {
	{ "arm_64_lpae_s1 4K", IOPGTABLE_ARM_64_LPAE_S1,
	  SZ_4K | SZ_2M | SZ_1G, true },
	{ "arm_64_lpae_s1 16K", IOPGTABLE_ARM_64_LPAE_S1, SZ_16K | SZ_32M, true },
	{ "arm_64_lpae_s1 64K", IOPGTABLE_ARM_64_LPAE_S1, SZ_64K | SZ_512M,
	  true },
	{ "mali_lpae 4K", IOPGTABLE_ARM_MALI_LPAE, SZ_4K | SZ_2M | SZ_1G, true },
	{ "arm_64_lpae_s1 4K, non-coherent", IOPGTABLE_ARM_64_LPAE_S1,
	  SZ_4K | SZ_2M | SZ_1G, false },
	{ "arm_64_lpae_s1 16K, non-coherent", IOPGTABLE_ARM_64_LPAE_S1,
	  SZ_16K | SZ_32M, false },
	{ "arm_64_lpae_s1 64K, non-coherent", IOPGTABLE_ARM_64_LPAE_S1,
	  SZ_64K | SZ_512M, false },
};

static void stress_granule_desc(const struct stress_granule *g, char *desc)
{
	strscpy(desc, g->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(stress_granule, stress_granules, stress_granule_desc);

/*
 * The configuration for @g: no TLB callbacks, the default allocator, and
 * for a non-coherent walker a device that keeps the walker's copy (the
 * case skips where the kernel cannot have one).
 */
static struct iopgtable_cfg stress_granule_cfg(struct kunit *test,
					       const struct stress_granule *g)
{
	struct iopgtable_cfg cfg = iopgtable_test_cfg(g->fmt);

	cfg.pgsize_bitmap = g->pgsize_bitmap;
	cfg.coherent_walk = g->coherent;
	if (!g->coherent)
		cfg.iommu_dev = iopgtable_test_shadow_device(test,
							     "iopgtable-stress");
	return cfg;
}

/* The levels of a walk in @fmt with @cfg, as the architecture counts them. */
static unsigned int stress_levels(enum iopgtable_fmt fmt,
				  const struct iopgtable_cfg *cfg)
{
	unsigned int lg2 = __ffs(cfg->pgsize_bitmap);

	if (fmt == IOPGTABLE_ARM_MALI_LPAE)
		return 4;
	return DIV_ROUND_UP(cfg->ias - lg2, lg2 - 3);
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

#define STRESS_RACE_THREADS	4
#define STRESS_RACE_ROUNDS	8

/**
 * struct stress_race - threads that race to install the same tables
 * @test: the test.
 * @fmt: the format.
 * @st: the threads.
 * @tables: the allocations, counted; in the table's cookie.
 * @ops: the round's table.
 * @granule_lg2: log2 of the granule, the size of the pages mapped.
 * @iova: where the round's pages go: thread i maps the page i pages on.
 * @phys: what they map to: thread i's page at @phys + i pages.
 * @holding: the allocator holds each call until every thread has made one.
 * @arrived: the allocator calls held so far in the round.
 * @wq: where they wait.
 * @errors: wrong results.
 */
struct stress_race {
	struct kunit *test;
	enum iopgtable_fmt fmt;
	struct stress_threads st;
	struct stress_tables tables;
	struct iopgtable_ops *ops;
	unsigned int granule_lg2;
	u64 iova;
	u64 phys;
	bool holding;
	atomic_t arrived;
	wait_queue_head_t wq;
	struct stress_errors errors;
};

/*
 * Hold each allocation until every thread has asked for one. A thread
 * allocates after reading the entry empty, and none can install its table
 * before all have allocated: so every thread has read the same empty
 * entry, and all of them try to install a table there. One wins, the
 * others lose and must free theirs; each level of the walk again.
 */
static void *stress_race_alloc(void *cookie, size_t size, gfp_t gfp)
{
	struct stress_race *sr = container_of(cookie, struct stress_race,
					      tables);

	if (READ_ONCE(sr->holding)) {
		int n = atomic_inc_return(&sr->arrived);
		int all = roundup(n, STRESS_RACE_THREADS);

		wake_up_all(&sr->wq);
		wait_event(sr->wq,
			   atomic_read(&sr->arrived) >= all ||
			   stress_stopping(&sr->st));
	}
	return stress_tables_alloc(&sr->tables, size, gfp);
}

static void stress_race_thread(void *ctx, unsigned int i)
{
	struct stress_race *sr = ctx;
	struct iopgtable_ops *ops = sr->ops;
	u64 iova = sr->iova + ((u64)i << sr->granule_lg2);
	u64 phys = sr->phys + ((u64)i << sr->granule_lg2);
	size_t granule = BIT(sr->granule_lg2), mapped = 0;
	int ret;

	ret = ops->map_pages(ops, iova, phys, granule, 1, STRESS_PROT,
			     GFP_KERNEL, &mapped);
	if (ret || mapped != granule)
		stress_fail(&sr->errors,
			    "thread %u: map_pages at %#llx returned %d, mapped %#zx",
			    i, iova, ret, mapped);
}

/* Cleanup: release the threads the allocator holds. */
static void stress_race_release(void *data)
{
	struct stress_race *sr = data;

	WRITE_ONCE(sr->st.stop, true);
	wake_up_all(&sr->wq);
}

/*
 * One round on a new table made with @base; returns the tables the losers
 * freed.
 */
static unsigned long stress_race_round(struct stress_race *sr,
				       const struct iopgtable_cfg *base,
				       struct rnd_state *rnd, unsigned int round)
{
	struct kunit *test = sr->test;
	struct iopgtable_cfg cfg = *base;
	struct iopgtable_test_table view;
	unsigned int levels, span_lg2, i;
	unsigned long before, lost, want;
	long root;

	before = stress_dma_mapped(&cfg);
	stress_tables_reset(&sr->tables);
	cfg.alloc = stress_race_alloc;
	cfg.free = stress_tables_free;
	sr->ops = iopgtable_alloc_ops(sr->fmt, &cfg, &sr->tables);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sr->ops);
	stress_view_init(test, &view, sr->fmt, sr->ops, &cfg);
	levels = stress_levels(sr->fmt, &cfg);
	root = atomic_long_read(&sr->tables.allocs);

	/* Neighbouring pages of one leaf table, anywhere in the range. */
	sr->granule_lg2 = __ffs(cfg.pgsize_bitmap);
	span_lg2 = 2 * sr->granule_lg2 - 3;
	sr->iova = iopgtable_test_rand64(rnd, BIT_ULL(cfg.ias - span_lg2)) <<
		   span_lg2;
	sr->iova += iopgtable_test_rand64(rnd, BIT(sr->granule_lg2 - 3) -
					  STRESS_RACE_THREADS) <<
		    sr->granule_lg2;
	sr->phys = (u64)(round + 1) << 32;
	atomic_set(&sr->arrived, 0);
	WRITE_ONCE(sr->holding, true);
	stress_threads_run(test, &sr->st);
	WRITE_ONCE(sr->holding, false);

	for (i = 0; i < STRESS_RACE_THREADS; i++) {
		u64 iova = sr->iova + ((u64)i << sr->granule_lg2);
		u64 want_pa = sr->phys + ((u64)i << sr->granule_lg2) + 8;

		KUNIT_EXPECT_EQ_MSG(test, sr->ops->iova_to_phys(sr->ops, iova + 8),
				    want_pa, "round %u: thread %u's page at %#llx",
				    round, i, iova);
	}
	iopgtable_test_device_view_ok(&view);
	/* Each level below the root: one table installed, the others lost. */
	lost = atomic_long_read(&sr->tables.frees);
	want = (levels - 1) * (STRESS_RACE_THREADS - 1);
	KUNIT_EXPECT_EQ_MSG(test, atomic_long_read(&sr->tables.allocs) - root,
			    (long)((levels - 1) * STRESS_RACE_THREADS),
			    "round %u: tables allocated", round);
	KUNIT_EXPECT_EQ_MSG(test, lost, want,
			    "round %u: tables freed by the threads that lost the race to install them",
			    round);

	iopgtable_free_ops(sr->ops);
	sr->ops = NULL;
	stress_expect_all_freed(test, &sr->tables, "after the round");
	stress_expect_dma_unmapped(test, &cfg, before, "after the round");
	return lost;
}

/*
 * Four threads released together map neighbouring pages of one empty span
 * of a new table, so each walks through the same empty entries at every
 * level. The allocator holds them until all have read the entry empty
 * (stress_race_alloc()), so that every level's table is fought over by
 * all of them, whatever the CPUs and their timing: exactly one table per
 * level is installed and every other thread must free the one it made
 * (its loser path), and every page must map. The counts are exact: a
 * loser that keeps its table leaks it, an install that overwrites the
 * winner's loses its pages.
 */
static void stress_install_race(struct kunit *test)
{
	const struct stress_granule *p = test->param_value;
	struct iopgtable_cfg cfg = stress_granule_cfg(test, p);
	unsigned long lost = 0;
	struct stress_race *sr;
	struct rnd_state rnd;
	unsigned int round;

	sr = kunit_kzalloc(test, sizeof(*sr), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sr);
	sr->test = test;
	sr->fmt = p->fmt;
	init_waitqueue_head(&sr->wq);
	prandom_seed_state(&rnd, stress_seed ^ (u64)(p - stress_granules) << 40);
	stress_free_ops_at_exit(test, &sr->ops);
	sr->st = (struct stress_threads) {
		.ctx = sr, .writer = stress_race_thread,
		.writers = STRESS_RACE_THREADS, .name = "iopgtable-race",
	};
	stress_threads_init(test, &sr->st);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, stress_race_release, sr),
			0);

	for (round = 0; round < STRESS_RACE_ROUNDS; round++)
		lost += stress_race_round(sr, &cfg, &rnd, round);

	stress_expect_no_errors(test, &sr->errors);
	kunit_info(test,
		   "seed %#lx, %u CPUs: %u rounds of %d threads mapping neighbouring pages of an empty span, %lu tables freed by the losers of install races",
		   stress_seed, num_online_cpus(), STRESS_RACE_ROUNDS,
		   STRESS_RACE_THREADS, lost);
}

#define STRESS_SPAN_BASE	SZ_512G	/* the level-1 table of [512G, 1T) */
#define STRESS_SPAN_FREER	0	/* the 1G span the freer empties */
#define STRESS_SPAN_WORKERS	2	/* in spans 1 and 2 */
#define STRESS_SPAN_READER	3	/* the reader's span */
#define STRESS_SPAN_HOLE	4	/* a span never mapped */
#define STRESS_SPAN_SPANS	5
#define STRESS_SPAN_THREADS	(1 + STRESS_SPAN_WORKERS + 1)
#define STRESS_SPAN_REGIONS	16	/* 2M regions of tables in a span */
#define STRESS_SPAN_BLOCKS	4	/* then 2M regions of blocks (freer) */
#define STRESS_SPAN_FREES	48	/* the freer's spans */
#define STRESS_SPAN_OPS		256	/* per worker */
#define STRESS_SPAN_RUN		32	/* pages of a run, at most */
#define STRESS_SPAN_FIXED	8	/* the reader's pages */
#define STRESS_SPAN_HOLE_REGION	300	/* a 2M region no one maps */

static const struct stress_granule stress_span_cases[] = {
	{ "arm_64_lpae_s1 4K", IOPGTABLE_ARM_64_LPAE_S1,
	  SZ_4K | SZ_2M | SZ_1G, true },
	{ "mali_lpae 4K", IOPGTABLE_ARM_MALI_LPAE, SZ_4K | SZ_2M | SZ_1G, true },
	{ "arm_64_lpae_s1 4K, non-coherent", IOPGTABLE_ARM_64_LPAE_S1,
	  SZ_4K | SZ_2M | SZ_1G, false },
};

KUNIT_ARRAY_PARAM(stress_span, stress_span_cases, stress_granule_desc);

/* What a worker's 2M region holds. */
enum stress_span_state {
	STRESS_SPAN_EMPTY,	/* nothing, no table */
	STRESS_SPAN_EMPTY_TABLE,	/* an empty level-3 table */
	STRESS_SPAN_BLOCK,	/* a 2M block */
	STRESS_SPAN_PAGES,	/* pages from its start, in a table */
};

/**
 * struct stress_span_thread - the freer, a worker or the reader
 * @rnd: its random state.
 * @state: workers: what each region holds.
 * @gen: workers: the generation of each region's last map.
 * @pages: workers: the pages mapped from a region's start.
 * @calls: map and unmap calls made.
 * @removed: tables its calls removed, by the contract's rules.
 * @frees: tables freed while it ran a call (by the free callback).
 * @flushes: tlb_flush_walk calls made while it ran a call.
 * @call_flushes: @flushes when its current call began.
 * @reads: the reader: translations and walks checked.
 * @seen: the reader: each span's level-1 entry once it links a table.
 */
struct stress_span_thread {
	struct rnd_state rnd;
	u8 state[STRESS_SPAN_REGIONS];
	u8 gen[STRESS_SPAN_REGIONS];
	u16 pages[STRESS_SPAN_REGIONS];
	unsigned long calls;
	unsigned long removed;
	unsigned long frees;
	unsigned long flushes;
	unsigned long call_flushes;
	unsigned long reads;
	u64 seen[STRESS_SPAN_SPANS];
};

/**
 * struct stress_span_addr - an address the reader checks, and its walk
 * @iova: the address.
 * @phys: what it translates to; 0 for a hole.
 * @walk: the entries iopgtable_walk() reads, taken before the threads
 *	start: nothing on its way changes while they run.
 */
struct stress_span_addr {
	u64 iova;
	u64 phys;
	struct iopgtable_walk walk;
};

/**
 * struct stress_span - whole 1G spans freed beside work in other spans
 * @tables: the allocations, counted; in the table's cookie.
 * @ops: the table.
 * @view: the suites' view of it, for the raw walks.
 * @st: the freer, the workers, then the reader.
 * @threads: their state.
 * @addrs: the reader's addresses: pages, holes beside them, a hole in an
 *	empty 2M region of its span and one in the span never mapped.
 * @naddrs: how many.
 * @errors: wrong results.
 * @bad_frees: tables freed that the walker could still reach, or before
 *	the flush of the walk caches.
 * @bad_flushes: walk caches flushed before the entry was cleared.
 */
struct stress_span {
	struct stress_tables tables;
	struct iopgtable_ops *ops;
	struct iopgtable_test_table view;
	struct stress_threads st;
	struct stress_span_thread threads[STRESS_SPAN_THREADS];
	struct stress_span_addr addrs[2 * STRESS_SPAN_FIXED + 2];
	unsigned int naddrs;
	struct stress_errors errors;
	struct stress_errors bad_frees;
	struct stress_errors bad_flushes;
};

static u64 stress_span_iova(unsigned int span, unsigned int region)
{
	return STRESS_SPAN_BASE + span * (u64)SZ_1G + region * (u64)SZ_2M;
}

/* The thread making the current call, or NULL (the test itself). */
static struct stress_span_thread *stress_span_self(struct stress_span *ss)
{
	unsigned int i;

	for (i = 0; i < STRESS_SPAN_THREADS; i++)
		if (ss->st.tasks[i] == current)
			return &ss->threads[i];
	return NULL;
}

/*
 * Whether a level-1 entry of the spans in use, or a level-2 entry of their
 * regions, links @table. The freer's level-2 table is read only from the
 * freer: it may be freed at any time.
 */
static bool stress_span_linked(struct stress_span *ss,
			       struct stress_span_thread *self,
			       phys_addr_t table)
{
	unsigned int span, r;

	for (span = 0; span < STRESS_SPAN_SPANS; span++) {
		u64 iova = stress_span_iova(span, 0);

		if (stress_links(stress_entry(&ss->view, iova, 1), 1, table))
			return true;
		if (span == STRESS_SPAN_HOLE ||
		    (span == STRESS_SPAN_FREER &&
		     self != &ss->threads[STRESS_SPAN_FREER]))
			continue;
		for (r = 0; r < STRESS_SPAN_REGIONS + STRESS_SPAN_BLOCKS; r++)
			if (stress_links(stress_entry(&ss->view,
						      stress_span_iova(span, r), 2),
					 2, table))
				return true;
	}
	return false;
}

/*
 * A table the walker could still reach must not be freed, and not before
 * the walk caches were told: the call that frees it must have called
 * tlb_flush_walk first.
 */
static void stress_span_free(void *cookie, void *pages, size_t size)
{
	struct stress_span *ss = container_of(cookie, struct stress_span,
					      tables);
	struct stress_span_thread *self = stress_span_self(ss);
	phys_addr_t table = virt_to_phys(pages);

	if (self) {
		self->frees++;
		if (stress_span_linked(ss, self, table))
			stress_fail(&ss->bad_frees,
				    "thread %td: table %pa freed while an entry links it",
				    self - ss->threads, &table);
		if (self->flushes == self->call_flushes)
			stress_fail(&ss->bad_frees,
				    "thread %td: table %pa freed before tlb_flush_walk",
				    self - ss->threads, &table);
	}
	stress_tables_free(cookie, pages, size);
}

/*
 * The span's entry must be clear when its walk caches are invalidated,
 * for a non-coherent walker in its copy too: else the walker reloads it.
 */
static void stress_span_flush_walk(u64 iova, u64 size, size_t granule,
				   void *cookie)
{
	struct stress_span *ss = container_of(cookie, struct stress_span,
					      tables);
	struct stress_span_thread *self = stress_span_self(ss);
	int lvl = size == SZ_1G ? 1 : 2;
	u64 *ptep, pte = 0, seen = 0;

	if (!self)
		return;
	self->flushes++;
	ptep = stress_entry_ptr(&ss->view, iova, lvl);
	if (ptep) {
		pte = stress_read_pte(ptep);
		seen = pte;
		if (ss->view.shadow)
			iopgtable_test_read_pte(&ss->view, true,
						virt_to_phys(ptep), &seen);
	}
	if (pte || seen)
		stress_fail(&ss->bad_flushes,
			    "thread %td: tlb_flush_walk of %#llx+%#llx with its level %d entry %#llx, %#llx as the walker reads it",
			    self - ss->threads, iova, size, lvl, pte, seen);
}

static const struct iopgtable_flush_ops stress_span_flush_ops = {
	.tlb_flush_walk	= stress_span_flush_walk,
};

static void stress_span_map(struct stress_span *ss,
			    struct stress_span_thread *th, u64 iova, u64 phys,
			    size_t pgsize, size_t pgcount)
{
	size_t mapped = 0;
	int ret;

	th->calls++;
	th->call_flushes = th->flushes;
	ret = ss->ops->map_pages(ss->ops, iova, phys, pgsize, pgcount,
				 STRESS_PROT, GFP_KERNEL, &mapped);
	if (ret || mapped != pgsize * pgcount)
		stress_fail(&ss->errors,
			    "thread %td: map_pages at %#llx returned %d, mapped %#zx of %#zx",
			    th - ss->threads, iova, ret, mapped,
			    pgsize * pgcount);
}

static void stress_span_unmap(struct stress_span *ss,
			      struct stress_span_thread *th, u64 iova,
			      size_t pgsize, size_t pgcount)
{
	size_t unmapped;

	th->calls++;
	th->call_flushes = th->flushes;
	unmapped = ss->ops->unmap_pages(ss->ops, iova, pgsize, pgcount, NULL);
	if (unmapped != pgsize * pgcount)
		stress_fail(&ss->errors,
			    "thread %td: unmap_pages at %#llx unmapped %#zx of %#zx",
			    th - ss->threads, iova, unmapped, pgsize * pgcount);
}

static void stress_span_expect(struct stress_span *ss,
			       struct stress_span_thread *th, u64 iova,
			       u64 want)
{
	u64 got = ss->ops->iova_to_phys(ss->ops, iova);

	if (got != want)
		stress_fail(&ss->errors,
			    "thread %td: IOVA %#llx translates to %#llx, wanted %#llx",
			    th - ss->threads, iova, got, want);
}

static u64 stress_span_phys(unsigned int gen, unsigned int span,
			    unsigned int region)
{
	return (u64)gen << 32 | (u64)(span * 32 + region) << 21;
}

/*
 * Fill the freer's span: runs of pages in the regions of @mask, each in a
 * level-3 table of its own, and 2M blocks in some of the others. Returns
 * the tables made: the level-2 table and one per run.
 */
static unsigned int stress_span_fill(struct stress_span *ss,
				     struct stress_span_thread *th,
				     unsigned int gen, u32 mask, u16 *off,
				     u16 *len, bool unmap_runs)
{
	unsigned int r, runs = 0;

	for (r = 0; r < STRESS_SPAN_REGIONS; r++) {
		u64 iova = stress_span_iova(STRESS_SPAN_FREER, r);
		u64 phys = stress_span_phys(gen, STRESS_SPAN_FREER, r);

		if (!(mask & BIT(r)))
			continue;
		len[r] = 1 + prandom_u32_state(&th->rnd) % STRESS_SPAN_RUN;
		off[r] = prandom_u32_state(&th->rnd) % (512 - len[r]);
		iova += off[r] * SZ_4K;
		phys += off[r] * SZ_4K;
		stress_span_map(ss, th, iova, phys, SZ_4K, len[r]);
		stress_span_expect(ss, th, iova, phys);
		stress_span_expect(ss, th, iova + (len[r] - 1) * SZ_4K + 8,
				   phys + (len[r] - 1) * SZ_4K + 8);
		if (unmap_runs)
			stress_span_unmap(ss, th, iova, SZ_4K, len[r]);
		runs++;
	}
	for (r = 0; r < STRESS_SPAN_BLOCKS && !unmap_runs; r++) {
		u64 iova = stress_span_iova(STRESS_SPAN_FREER,
					    STRESS_SPAN_REGIONS + r);

		if (prandom_u32_state(&th->rnd) % 2)
			stress_span_map(ss, th, iova,
					stress_span_phys(gen, STRESS_SPAN_FREER,
							 STRESS_SPAN_REGIONS + r),
					SZ_2M, 1);
	}
	return 1 + runs;
}

/*
 * The freer fills its 1G span and empties it with one unmap of the whole
 * span, which clears its level-1 entry and frees the level-2 table and the
 * level-3 tables below; or maps a 1G block there, over nothing or over
 * tables that unmaps of their pages left empty, which the map frees.
 */
static void stress_span_freer(struct stress_span *ss, struct stress_span_thread *th)
{
	u64 span = stress_span_iova(STRESS_SPAN_FREER, 0);
	u16 off[STRESS_SPAN_REGIONS], len[STRESS_SPAN_REGIONS];
	unsigned int k;

	for (k = 0; k < STRESS_SPAN_FREES && !stress_stopping(&ss->st); k++) {
		unsigned int gen = k + 1, kind = prandom_u32_state(&th->rnd) % 4;
		u32 mask = 1 + prandom_u32_state(&th->rnd) %
			   (BIT(STRESS_SPAN_REGIONS) - 1);
		u64 block = (u64)gen << 32;

		if (kind < 2) {
			th->removed += stress_span_fill(ss, th, gen, mask, off,
							len, false);
		} else {
			if (kind == 3)
				th->removed += stress_span_fill(ss, th, gen,
								mask, off, len,
								true);
			stress_span_map(ss, th, span, block, SZ_1G, 1);
			stress_span_expect(ss, th, span + SZ_1G - 8,
					   block + SZ_1G - 8);
		}
		stress_span_unmap(ss, th, span, SZ_1G, 1);
		stress_span_expect(ss, th, span + 8, 0);
		cond_resched();
	}
}

/* A worker maps and unmaps blocks and pages in the 2M regions of its span. */
static void stress_span_worker(struct stress_span *ss,
			       struct stress_span_thread *th,
			       unsigned int span)
{
	unsigned int k;

	for (k = 0; k < STRESS_SPAN_OPS && !stress_stopping(&ss->st); k++) {
		unsigned int r = prandom_u32_state(&th->rnd) % STRESS_SPAN_REGIONS;
		u64 iova = stress_span_iova(span, r), phys;
		unsigned int n;

		switch (th->state[r]) {
		case STRESS_SPAN_EMPTY:
		case STRESS_SPAN_EMPTY_TABLE:
			th->gen[r] = th->gen[r] % 255 + 1;
			phys = stress_span_phys(th->gen[r], span, r);
			if (prandom_u32_state(&th->rnd) % 3) {
				n = prandom_u32_state(&th->rnd) % 3 ?
				    1 + prandom_u32_state(&th->rnd) %
				    STRESS_SPAN_RUN : 512;
				stress_span_map(ss, th, iova, phys, SZ_4K, n);
				stress_span_expect(ss, th, iova + (n - 1) * SZ_4K,
						   phys + (n - 1) * SZ_4K);
				th->state[r] = STRESS_SPAN_PAGES;
				th->pages[r] = n;
				break;
			}
			/* A block over an empty table frees the table. */
			stress_span_map(ss, th, iova, phys, SZ_2M, 1);
			stress_span_expect(ss, th, iova + SZ_1M, phys + SZ_1M);
			th->removed += th->state[r] == STRESS_SPAN_EMPTY_TABLE;
			th->state[r] = STRESS_SPAN_BLOCK;
			break;
		case STRESS_SPAN_BLOCK:
			stress_span_unmap(ss, th, iova, SZ_2M, 1);
			th->state[r] = STRESS_SPAN_EMPTY;
			break;
		default:
			/*
			 * The whole 2M removes the table, as the pages do
			 * when they are all of them; a run leaves it.
			 */
			if (th->pages[r] == 512 ||
			    prandom_u32_state(&th->rnd) % 2) {
				stress_span_unmap(ss, th, iova, SZ_2M, 1);
				th->state[r] = STRESS_SPAN_EMPTY;
				th->removed++;
			} else {
				stress_span_unmap(ss, th, iova, SZ_4K,
						  th->pages[r]);
				th->state[r] = STRESS_SPAN_EMPTY_TABLE;
			}
			break;
		}
		cond_resched();
	}
}

static void stress_span_writer(void *ctx, unsigned int i)
{
	struct stress_span *ss = ctx;

	if (i == STRESS_SPAN_FREER)
		stress_span_freer(ss, &ss->threads[i]);
	else
		stress_span_worker(ss, &ss->threads[i], i);
}

/*
 * The reader translates and walks its pages and holes, whose walks do not
 * change, and holes in the workers' spans, whose level-1 entry goes from
 * empty to a table once and then stays.
 */
static void stress_span_reader(void *ctx, unsigned int i)
{
	struct stress_span *ss = ctx;
	struct stress_span_thread *th = &ss->threads[i];
	struct iopgtable_walk walk;

	do {
		unsigned int k = prandom_u32_state(&th->rnd) %
				 (ss->naddrs + STRESS_SPAN_WORKERS);
		u64 iova, got;

		if (k < ss->naddrs) {
			struct stress_span_addr *a = &ss->addrs[k];

			iova = a->iova;
			got = ss->ops->iova_to_phys(ss->ops, iova);
			iopgtable_walk(ss->ops, iova, &walk);
			if (got != a->phys ||
			    memcmp(&walk, &a->walk, sizeof(walk)))
				stress_fail(&ss->errors,
					    "reader: IOVA %#llx translates to %#llx, wanted %#llx; walk of %u entries, the last %#llx, wanted %u, %#llx",
					    iova, got, a->phys, walk.nr,
					    walk.ptes[walk.nr - 1], a->walk.nr,
					    a->walk.ptes[a->walk.nr - 1]);
		} else {
			unsigned int span = 1 + k - ss->naddrs;
			u64 *seen = &th->seen[span];

			iova = stress_span_iova(span, STRESS_SPAN_HOLE_REGION) +
			       SZ_64K;
			got = ss->ops->iova_to_phys(ss->ops, iova);
			iopgtable_walk(ss->ops, iova, &walk);
			if (walk.nr == 3 && !*seen &&
			    stress_is_table(walk.ptes[1], 1))
				*seen = walk.ptes[1];
			if (got || walk.nr != (*seen ? 3 : 2) ||
			    (walk.ptes[1] ^ *seen) & ~STRESS_PTE_SW ||
			    walk.ptes[walk.nr - 1])
				stress_fail(&ss->errors,
					    "reader: hole %#llx translates to %#llx, walk of %u entries: level 1 %#llx (seen %#llx), last %#llx",
					    iova, got, walk.nr, walk.ptes[1],
					    *seen, walk.ptes[walk.nr - 1]);
		}
		th->reads++;
		cond_resched();
	} while (stress_writing(&ss->st));
}

/* Map the reader's pages, and note what it must see at them and beside. */
static void stress_span_setup_reader(struct kunit *test, struct stress_span *ss)
{
	unsigned int j;

	for (j = 0; j < STRESS_SPAN_FIXED; j++) {
		u64 iova = stress_span_iova(STRESS_SPAN_READER, j % 4) +
			   (1 + 61 * j) * (u64)SZ_4K;
		u64 phys = stress_span_phys(255, STRESS_SPAN_READER, j) +
			   (1 + 61 * j) * (u64)SZ_4K;
		size_t mapped = 0;

		KUNIT_ASSERT_EQ(test,
				ss->ops->map_pages(ss->ops, iova, phys, SZ_4K, 1,
						   STRESS_PROT, GFP_KERNEL,
						   &mapped), 0);
		ss->addrs[ss->naddrs++] = (struct stress_span_addr) {
			.iova = iova + 8, .phys = phys + 8,
		};
		ss->addrs[ss->naddrs++].iova = iova + SZ_4K;
	}
	ss->addrs[ss->naddrs++].iova =
		stress_span_iova(STRESS_SPAN_READER, STRESS_SPAN_HOLE_REGION);
	ss->addrs[ss->naddrs++].iova = stress_span_iova(STRESS_SPAN_HOLE, 0);
	for (j = 0; j < ss->naddrs; j++)
		KUNIT_ASSERT_EQ(test, iopgtable_walk(ss->ops, ss->addrs[j].iova,
						     &ss->addrs[j].walk), 0);
}

/*
 * One thread fills a 1G span and empties it whole, again and again, so
 * that tables above the last level are freed (its level-2 table, from the
 * level-1 table all the threads share) while two others map and unmap
 * blocks and pages in their own 1G spans of the same 512G table and one
 * reads addresses in a span of its own and holes in the workers' spans.
 * The allocator's free checks that the freed table is linked from no
 * entry and that its call flushed the walk caches first; the flush checks
 * that the entry was cleared, and for a non-coherent walker synced,
 * first. Each thread must free exactly the tables its calls removed,
 * every translation and walk must be exact, and every table must be freed
 * with the page table.
 */
static void stress_span_frees(struct kunit *test)
{
	const struct stress_granule *p = test->param_value;
	struct iopgtable_cfg cfg = stress_granule_cfg(test, p);
	struct iopgtable_test_count *violations;
	unsigned long removed = 0, frees, calls = 0, reads = 0, before;
	struct stress_span *ss;
	unsigned int i, r;

	ss = kunit_kzalloc(test, sizeof(*ss), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ss);
	violations = kunit_kzalloc(test, sizeof(*violations), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, violations);
	before = stress_dma_mapped(&cfg);
	cfg.alloc = stress_tables_alloc;
	cfg.free = stress_span_free;
	cfg.tlb = &stress_span_flush_ops;
	ss->ops = iopgtable_alloc_ops(p->fmt, &cfg, &ss->tables);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ss->ops);
	violations->ops = ss->ops;
	iopgtable_test_count_violations(test, violations);
	stress_free_ops_at_exit(test, &ss->ops);
	stress_view_init(test, &ss->view, p->fmt, ss->ops, &cfg);
	for (i = 0; i < STRESS_SPAN_THREADS; i++)
		prandom_seed_state(&ss->threads[i].rnd,
				   stress_seed ^ ((u64)(p - stress_span_cases) << 40 | i));
	stress_span_setup_reader(test, ss);
	ss->st = (struct stress_threads) {
		.ctx = ss, .writer = stress_span_writer,
		.reader = stress_span_reader,
		.writers = STRESS_SPAN_THREADS - 1, .readers = 1,
		.name = "iopgtable-span",
	};
	stress_threads_init(test, &ss->st);
	frees = atomic_long_read(&ss->tables.frees);
	stress_threads_run(test, &ss->st);
	frees = atomic_long_read(&ss->tables.frees) - frees;

	stress_expect_no_errors(test, &ss->errors);
	stress_expect_no_errors(test, &ss->bad_frees);
	stress_expect_no_errors(test, &ss->bad_flushes);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&violations->n), 0);
	for (i = 0; i < STRESS_SPAN_THREADS; i++) {
		struct stress_span_thread *th = &ss->threads[i];

		KUNIT_EXPECT_EQ_MSG(test, th->frees, th->removed,
				    "thread %u: tables freed by its calls", i);
		removed += th->removed;
		calls += th->calls;
		reads += th->reads;
	}
	KUNIT_EXPECT_EQ_MSG(test, frees, removed,
			    "tables freed while the threads ran");
	/* What each worker left, and the freer's span empty. */
	for (i = 1; i <= STRESS_SPAN_WORKERS; i++) {
		struct stress_span_thread *th = &ss->threads[i];

		for (r = 0; r < STRESS_SPAN_REGIONS; r++) {
			u64 iova = stress_span_iova(i, r);
			u64 phys = stress_span_phys(th->gen[r], i, r);
			u64 last = th->state[r] == STRESS_SPAN_BLOCK ? SZ_2M :
				   th->state[r] == STRESS_SPAN_PAGES ?
				   th->pages[r] * (u64)SZ_4K : 0;

			KUNIT_EXPECT_EQ_MSG(test,
					    ss->ops->iova_to_phys(ss->ops, iova + 8),
					    last ? phys + 8 : 0,
					    "worker %u, region %u", i, r);
			if (!last || last == SZ_2M)
				continue;
			KUNIT_EXPECT_EQ_MSG(test,
					    ss->ops->iova_to_phys(ss->ops,
								  iova + last - 8),
					    phys + last - 8,
					    "worker %u, region %u, its last page",
					    i, r);
			KUNIT_EXPECT_EQ_MSG(test,
					    ss->ops->iova_to_phys(ss->ops,
								  iova + last),
					    0, "worker %u, region %u, after its pages",
					    i, r);
		}
	}
	KUNIT_EXPECT_EQ(test, stress_entry(&ss->view,
					   stress_span_iova(STRESS_SPAN_FREER, 0),
					   1), 0);
	iopgtable_test_device_view_ok(&ss->view);

	iopgtable_free_ops(ss->ops);
	ss->ops = NULL;
	stress_expect_all_freed(test, &ss->tables, "after the table");
	stress_expect_dma_unmapped(test, &cfg, before, "after the table");
	kunit_info(test,
		   "seed %#lx, %u CPUs: %d spans emptied whole beside %d workers, %lu calls, %lu tables removed and freed, %lu reads",
		   stress_seed, num_online_cpus(), STRESS_SPAN_FREES,
		   STRESS_SPAN_WORKERS, calls, removed, reads);
}

#define STRESS_SG_BASE		SZ_64G
#define STRESS_SG_THREADS	4
#define STRESS_SG_BINDS		24	/* per thread */
#define STRESS_SG_REGIONS	4	/* per thread, used in turn */
#define STRESS_SG_PAGES		16	/* granule pages before the block, at most */
#define STRESS_SG_PIECES	4	/* the pieces they come in, at most */

/**
 * struct stress_sg_bind - what one bind mapped
 * @iova: where it starts.
 * @size: its bytes.
 * @n: its pieces: up to %STRESS_SG_PIECES of pages, then the block.
 * @piova: each piece's IOVA.
 * @pphys: what it maps to.
 * @plen: its bytes.
 * @cut: the range unmap_split() took out of the block.
 * @cut_size: its bytes.
 */
struct stress_sg_bind {
	u64 iova;
	u64 size;
	unsigned int n;
	u64 piova[STRESS_SG_PIECES + 1];
	u64 pphys[STRESS_SG_PIECES + 1];
	u64 plen[STRESS_SG_PIECES + 1];
	u64 cut;
	u64 cut_size;
};

/**
 * struct stress_sg_thread - one thread of stress_prealloc_split()
 * @rnd: its random state.
 * @last: its last bind, left mapped.
 * @reserved: tables its reservations held.
 * @taken: those of them its maps and splits took.
 */
struct stress_sg_thread {
	struct rnd_state rnd;
	struct stress_sg_bind last;
	unsigned long reserved;
	unsigned long taken;
};

/**
 * struct stress_sg - reservations, splits and sg_table maps at once
 * @ops: the table, with the default allocator.
 * @events: its tables, counted from the tracepoints.
 * @view: the suites' view of it.
 * @granule_lg2: log2 of the granule.
 * @block_lg2: log2 of the block one level up.
 * @st: the threads.
 * @threads: their state.
 * @errors: wrong results.
 */
struct stress_sg {
	struct iopgtable_ops *ops;
	struct stress_table_events events;
	struct iopgtable_test_table view;
	unsigned int granule_lg2;
	unsigned int block_lg2;
	struct stress_threads st;
	struct stress_sg_thread threads[STRESS_SG_THREADS];
	struct stress_errors errors;
};

/* Thread @t's region @j: two blocks' span, interleaved with the others'. */
static u64 stress_sg_region(struct stress_sg *sg, unsigned int t,
			    unsigned int j)
{
	return STRESS_SG_BASE +
	       ((u64)(j * STRESS_SG_THREADS + t) << (sg->block_lg2 + 1));
}

/* Expect @iova to translate to @want; false, with the error, if not. */
static bool stress_sg_expect(struct stress_sg *sg, unsigned int t,
			     const char *when, u64 iova, u64 want)
{
	u64 got = sg->ops->iova_to_phys(sg->ops, iova);

	if (got == want)
		return true;
	stress_fail(&sg->errors,
		    "thread %u, %s: IOVA %#llx translates to %#llx, wanted %#llx",
		    t, when, iova, got, want);
	return false;
}

/* Every piece of @b at its ends, the cut out of the block and beside it. */
static void stress_sg_check(struct stress_sg *sg, unsigned int t,
			    const struct stress_sg_bind *b, bool cut,
			    const char *when)
{
	u64 g = BIT_ULL(sg->granule_lg2);
	unsigned int i;

	for (i = 0; i < b->n; i++) {
		if (!stress_sg_expect(sg, t, when, b->piova[i] + 8,
				      b->pphys[i] + 8) ||
		    !stress_sg_expect(sg, t, when,
				      b->piova[i] + b->plen[i] - 8,
				      b->pphys[i] + b->plen[i] - 8))
			return;
	}
	if (!cut)
		return;
	i = b->n - 1;
	stress_sg_expect(sg, t, when, b->cut, 0);
	stress_sg_expect(sg, t, when, b->cut + b->cut_size - 8, 0);
	stress_sg_expect(sg, t, when, b->cut - g,
			 b->pphys[i] + (b->cut - g - b->piova[i]));
	stress_sg_expect(sg, t, when, b->cut + b->cut_size,
			 b->pphys[i] + (b->cut + b->cut_size - b->piova[i]));
}

/*
 * Build bind @k of thread @t in @sgt: granule pages in pieces, then a
 * block; the first piece starts @offset bytes into the sg_table. Fills
 * @b but for the cut.
 */
static void stress_sg_build(struct stress_sg *sg, unsigned int t,
			    unsigned int k, struct sg_table *sgt, u64 *offset,
			    struct stress_sg_bind *b)
{
	struct stress_sg_thread *th = &sg->threads[t];
	unsigned int g_lg2 = sg->granule_lg2, i;
	u64 rb = stress_sg_region(sg, t, k % STRESS_SG_REGIONS);
	u64 gen = k % 100 + 1, block = BIT_ULL(sg->block_lg2);
	unsigned int pages = prandom_u32_state(&th->rnd) % (STRESS_SG_PAGES + 1);
	unsigned int skip = pages ? prandom_u32_state(&th->rnd) % 3 : 0;
	struct scatterlist *s;
	int ret;

	memset(b, 0, sizeof(*b));
	b->iova = rb + block - ((u64)pages << g_lg2);
	b->size = ((u64)pages << g_lg2) + block;
	b->n = pages ? 1 + prandom_u32_state(&th->rnd) %
			   min(pages, STRESS_SG_PIECES) : 0;
	for (i = 0; i < b->n; i++) {
		unsigned int left = b->n - 1 - i;
		unsigned int len = i == b->n - 1 ? pages :
				   1 + prandom_u32_state(&th->rnd) %
				   (pages - left);

		b->piova[i] = i ? b->piova[i - 1] + b->plen[i - 1] : b->iova;
		b->pphys[i] = gen << 32 | BIT_ULL(31) | (u64)t << 27 |
			      (u64)i << 22;
		b->plen[i] = (u64)len << g_lg2;
		pages -= len;
	}
	b->piova[b->n] = rb + block;
	b->pphys[b->n] = gen << 32 | (u64)t << sg->block_lg2;
	b->plen[b->n] = block;
	b->n++;

	ret = sg_alloc_table(sgt, b->n, GFP_KERNEL);
	if (ret) {
		stress_fail(&sg->errors, "thread %u: sg_alloc_table: %d", t, ret);
		b->n = 0;
		return;
	}
	*offset = (u64)skip << g_lg2;
	for_each_sg(sgt->sgl, s, b->n, i) {
		u64 before = i ? 0 : *offset;

		sg_dma_address(s) = b->pphys[i] - before;
		sg_dma_len(s) = b->plen[i] + before;
	}
	sgt->nents = b->n;
}

/*
 * One bind: reserve for the sg_table and for a split inside its block,
 * map it from the reservation, split a range out of the block, then,
 * unless it is the thread's last, unmap what is left (the whole region at
 * once, or what the bind mapped) and give the reservation back.
 */
static void stress_sg_bind(struct stress_sg *sg, unsigned int t,
			   unsigned int k)
{
	struct stress_sg_thread *th = &sg->threads[t];
	struct iopgtable_ops *ops = sg->ops;
	u64 g = BIT_ULL(sg->granule_lg2), block = BIT_ULL(sg->block_lg2);
	struct iopgtable_prealloc pa;
	struct stress_sg_bind b;
	struct sg_table sgt;
	unsigned int held, pages;
	u64 offset, end;
	size_t done;
	int ret;

	stress_sg_build(sg, t, k, &sgt, &offset, &b);
	if (!b.n)
		return;
	pages = (block >> sg->granule_lg2) - 6;
	b.cut = b.piova[b.n - 1] +
		((u64)(1 + prandom_u32_state(&th->rnd) % pages) <<
		 sg->granule_lg2);
	b.cut_size = (1 + prandom_u32_state(&th->rnd) % 4) * g;
	end = b.iova + b.size;

	iopgtable_prealloc_init(&pa);
	ret = iopgtable_prealloc_map_sgtable(ops, &pa, b.iova, &sgt, offset,
					     b.size, GFP_KERNEL);
	if (!ret)
		ret = iopgtable_prealloc_unmap(ops, &pa, b.cut, b.cut_size,
					       GFP_KERNEL);
	held = iopgtable_prealloc_count(&pa);
	th->reserved += held;
	if (!ret)
		ret = iopgtable_map_sgtable_prealloc(ops, b.iova, &sgt, offset,
						     b.size, STRESS_PROT, &pa);
	sg_free_table(&sgt);
	if (ret) {
		stress_fail(&sg->errors, "thread %u: bind at %#llx+%#llx: %d",
			    t, b.iova, b.size, ret);
		goto release;
	}
	stress_sg_check(sg, t, &b, false, "mapped");
	done = iopgtable_unmap_split(ops, b.cut, b.cut_size, &pa, NULL);
	if (done != b.cut_size)
		stress_fail(&sg->errors,
			    "thread %u: unmap_split at %#llx unmapped %#zx of %#llx",
			    t, b.cut, done, b.cut_size);
	stress_sg_check(sg, t, &b, true, "split");
	th->taken += held - iopgtable_prealloc_count(&pa);
	if (k == STRESS_SG_BINDS - 1) {
		th->last = b;
		goto release;
	}
	if (prandom_u32_state(&th->rnd) % 2) {
		/* Both blocks' spans whole: their tables go, holes and all. */
		u64 rb = b.piova[b.n - 1] - block;

		done = iopgtable_unmap(ops, rb, 2 * block, NULL);
		if (done != 2 * block)
			stress_fail(&sg->errors,
				    "thread %u: unmap of the region at %#llx: %#zx",
				    t, rb, done);
	} else if (iopgtable_unmap(ops, b.iova, b.cut - b.iova, NULL) !=
		   b.cut - b.iova ||
		   iopgtable_unmap(ops, b.cut + b.cut_size,
				   end - b.cut - b.cut_size, NULL) !=
		   end - b.cut - b.cut_size) {
		stress_fail(&sg->errors, "thread %u: unmap of %#llx+%#llx",
			    t, b.iova, b.size);
	}
release:
	iopgtable_prealloc_release(ops, &pa);
}

static void stress_sg_thread(void *ctx, unsigned int t)
{
	struct stress_sg *sg = ctx;
	unsigned int k;

	for (k = 0; k < STRESS_SG_BINDS && !stress_stopping(&sg->st); k++) {
		stress_sg_bind(sg, t, k);
		cond_resched();
	}
}

/*
 * Four threads bind sg_tables in regions of two blocks interleaved with
 * the other threads' regions, so that they share the tables above:
 * granule pages in pieces, then a block, with a reservation made for each
 * bind and a split inside the block. Each bind's translations must be
 * exact, before and after the split; no reservation may run short (a
 * contract violation); a non-coherent walker's copy of the tables must
 * equal memory once the threads are done; and every table must be freed,
 * reserved or not, counted from the tracepoints as the default allocator
 * gives them.
 */
static void stress_prealloc_split(struct kunit *test)
{
	const struct stress_granule *p = test->param_value;
	struct iopgtable_cfg cfg = stress_granule_cfg(test, p);
	struct iopgtable_test_count *violations;
	unsigned long reserved = 0, taken = 0, before;
	struct stress_sg *sg;
	unsigned int t;

	sg = kunit_kzalloc(test, sizeof(*sg), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sg);
	violations = kunit_kzalloc(test, sizeof(*violations), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, violations);
	before = stress_dma_mapped(&cfg);
	stress_count_tables(test, &sg->events);
	iopgtable_test_count_violations(test, violations);
	sg->ops = iopgtable_alloc_ops(p->fmt, &cfg, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sg->ops);
	WRITE_ONCE(sg->events.ops, sg->ops);
	violations->ops = sg->ops;
	stress_free_ops_at_exit(test, &sg->ops);
	stress_view_init(test, &sg->view, p->fmt, sg->ops, &cfg);
	sg->granule_lg2 = __ffs(cfg.pgsize_bitmap);
	sg->block_lg2 = 2 * sg->granule_lg2 - 3;
	for (t = 0; t < STRESS_SG_THREADS; t++)
		prandom_seed_state(&sg->threads[t].rnd,
				   stress_seed ^ ((u64)(p - stress_granules) << 40 | t));
	sg->st = (struct stress_threads) {
		.ctx = sg, .writer = stress_sg_thread,
		.writers = STRESS_SG_THREADS, .name = "iopgtable-sg",
	};
	stress_threads_init(test, &sg->st);
	stress_threads_run(test, &sg->st);

	for (t = 0; t < STRESS_SG_THREADS; t++) {
		struct stress_sg_thread *th = &sg->threads[t];

		stress_sg_check(sg, t, &th->last, true, "after the threads");
		reserved += th->reserved;
		taken += th->taken;
	}
	stress_expect_no_errors(test, &sg->errors);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&violations->n), 0);
	iopgtable_test_device_view_ok(&sg->view);

	iopgtable_free_ops(sg->ops);
	sg->ops = NULL;
	stress_expect_all_freed(test, &sg->events.tables, "after the table");
	stress_expect_dma_unmapped(test, &cfg, before, "after the table");
	kunit_info(test,
		   "seed %#lx, %u CPUs: %d threads made %d binds each with a split; %lu tables reserved, %lu of them taken",
		   stress_seed, num_online_cpus(), STRESS_SG_THREADS,
		   STRESS_SG_BINDS, reserved, taken);
}

#define STRESS_WALK_BASE	SZ_1G	/* the span; the next one is a hole */
#define STRESS_WALK_HOLE_SPAN	(STRESS_WALK_BASE + (u64)SZ_1G)
#define STRESS_WALK_WRITERS	2
#define STRESS_WALK_READERS	2
#define STRESS_WALK_ROUNDS	8
#define STRESS_WALK_OPS		128	/* per writer and round */
#define STRESS_WALK_REGIONS	16
#define STRESS_WALK_PAGES	64	/* pages used in a region of pages */
#define STRESS_WALK_ADDRS	(STRESS_WALK_REGIONS / 4 * 2 * 4 + \
				 STRESS_WALK_REGIONS / 4 + 1)

/*
 * The kinds of 2M region, by region number modulo 4. In regions of pages,
 * page p belongs to writer p % 4 (0 or 1) or, 2 and 3, to the readers.
 */
enum stress_walk_region {
	STRESS_WALK_FIXED,	/* the readers' page 3 of 4 is mapped */
	STRESS_WALK_LATE,	/* holes only: a writer installs the table */
	STRESS_WALK_BLOCK,	/* a writer's block, or its 512 pages */
	STRESS_WALK_HOLE,	/* never mapped */
};

/**
 * struct stress_walk_thread - a writer or a reader of stress_walk_holes()
 * @rnd: its random state.
 * @gen: a writer: per region and page of its own, the generation mapped
 *	there, 0 for none.
 * @block: a writer: per block region, 0 when unmapped, 1 when a block,
 *	2 when 512 pages.
 * @ops: a writer: map and unmap calls made.
 * @reads: a reader: translations and walks checked.
 * @seen: a reader: per late region, its level-2 entry once it links a
 *	table.
 */
struct stress_walk_thread {
	struct rnd_state rnd;
	u8 gen[STRESS_WALK_REGIONS][STRESS_WALK_PAGES / 4];
	u8 block[STRESS_WALK_REGIONS];
	unsigned long ops;
	unsigned long reads;
	u64 seen[STRESS_WALK_REGIONS];
};

/**
 * struct stress_walk - walks and translations of holes beside updates
 * @ops: the round's table, with the default allocator.
 * @events: its tables, counted from the tracepoints.
 * @view: the suites' view of it.
 * @st: the writers, then the readers.
 * @threads: their state.
 * @addrs: the readers' pages and the holes whose walks never change,
 *	with those walks.
 * @naddrs: how many.
 * @errors: wrong results.
 */
struct stress_walk {
	struct iopgtable_ops *ops;
	struct stress_table_events events;
	struct iopgtable_test_table view;
	struct stress_threads st;
	struct stress_walk_thread threads[STRESS_WALK_WRITERS +
					  STRESS_WALK_READERS];
	struct stress_span_addr addrs[STRESS_WALK_ADDRS];
	unsigned int naddrs;
	struct stress_errors errors;
};

static u64 stress_walk_iova(unsigned int r, unsigned int p)
{
	return STRESS_WALK_BASE + r * (u64)SZ_2M + p * (u64)SZ_4K;
}

static u64 stress_walk_phys(unsigned int gen, unsigned int r, unsigned int p)
{
	return (u64)gen << 32 | (u64)r << 21 | (u64)p << 12;
}

static void stress_walk_call(struct stress_walk *sw, unsigned int w,
			     bool map, u64 iova, u64 phys, size_t pgsize,
			     size_t pgcount)
{
	struct iopgtable_ops *ops = sw->ops;
	size_t done = 0;
	int ret = 0;

	if (map)
		ret = ops->map_pages(ops, iova, phys, pgsize, pgcount,
				     STRESS_PROT, GFP_KERNEL, &done);
	else
		done = ops->unmap_pages(ops, iova, pgsize, pgcount, NULL);
	sw->threads[w].ops++;
	if (ret || done != pgsize * pgcount)
		stress_fail(&sw->errors,
			    "writer %u: %s at %#llx returned %d, did %#zx of %#zx",
			    w, map ? "map_pages" : "unmap_pages", iova, ret,
			    done, pgsize * pgcount);
}

/*
 * A writer maps and unmaps single pages of its own beside the readers'
 * pages and holes, and blocks or 512 pages in its block regions.
 */
static void stress_walk_writer(void *ctx, unsigned int w)
{
	struct stress_walk *sw = ctx;
	struct stress_walk_thread *th = &sw->threads[w];
	unsigned int k;

	for (k = 0; k < STRESS_WALK_OPS && !stress_stopping(&sw->st); k++) {
		unsigned int r = prandom_u32_state(&th->rnd) % STRESS_WALK_REGIONS;
		unsigned int i = prandom_u32_state(&th->rnd) %
				 (STRESS_WALK_PAGES / 4);
		unsigned int p = i * 4 + w;
		u8 *gen;

		if (r % 4 == STRESS_WALK_HOLE)
			r--;
		if (r % 4 == STRESS_WALK_BLOCK && (r / 4) % 2 == w) {
			u64 iova = stress_walk_iova(r, 0);
			u64 phys = stress_walk_phys(w + 1, r, 0);

			if (th->block[r]) {
				stress_walk_call(sw, w, false, iova, 0, SZ_2M, 1);
				th->block[r] = 0;
			} else if (prandom_u32_state(&th->rnd) % 2) {
				stress_walk_call(sw, w, true, iova, phys, SZ_2M, 1);
				th->block[r] = 1;
			} else {
				stress_walk_call(sw, w, true, iova, phys, SZ_4K,
						 512);
				th->block[r] = 2;
			}
		} else {
			if (r % 4 == STRESS_WALK_BLOCK)
				r--;
			gen = &th->gen[r][i];
			if (*gen) {
				stress_walk_call(sw, w, false,
						 stress_walk_iova(r, p), 0,
						 SZ_4K, 1);
				*gen = 0;
			} else {
				*gen = k % 255 + 1;
				stress_walk_call(sw, w, true,
						 stress_walk_iova(r, p),
						 stress_walk_phys(*gen, r, p),
						 SZ_4K, 1);
			}
		}
		cond_resched();
	}
}

/*
 * A hole in a late region: nothing translates, and the walk ends at its
 * empty level-2 entry or, once a writer has installed the table (which
 * then stays), at its empty level-3 entry.
 */
static void stress_walk_late(struct stress_walk *sw,
			     struct stress_walk_thread *th, unsigned int r,
			     unsigned int p)
{
	u64 iova = stress_walk_iova(r, p) + 8, got;
	struct iopgtable_walk walk;
	unsigned int last;

	got = sw->ops->iova_to_phys(sw->ops, iova);
	iopgtable_walk(sw->ops, iova, &walk);
	/* The level of the entry the walk ended at. */
	last = walk.start_level + walk.nr - 1;
	if (last == 3 && !th->seen[r] &&
	    stress_is_table(walk.ptes[walk.nr - 2], 2))
		th->seen[r] = walk.ptes[walk.nr - 2];
	if (got || last != (th->seen[r] ? 3 : 2) || walk.ptes[walk.nr - 1] ||
	    (th->seen[r] &&
	     (walk.ptes[walk.nr - 2] ^ th->seen[r]) & ~STRESS_PTE_SW))
		stress_fail(&sw->errors,
			    "reader: hole %#llx translates to %#llx, walk ends at level %u with %#llx after %#llx (level 2 seen %#llx)",
			    iova, got, last, walk.ptes[walk.nr - 1],
			    walk.nr > 1 ? walk.ptes[walk.nr - 2] : 0,
			    th->seen[r]);
}

static void stress_walk_reader(void *ctx, unsigned int i)
{
	struct stress_walk *sw = ctx;
	struct stress_walk_thread *th = &sw->threads[i];
	struct iopgtable_walk walk;

	do {
		unsigned int k = prandom_u32_state(&th->rnd) % (4 * sw->naddrs);

		if (k < sw->naddrs) {
			struct stress_span_addr *a = &sw->addrs[k];
			u64 got = sw->ops->iova_to_phys(sw->ops, a->iova);

			iopgtable_walk(sw->ops, a->iova, &walk);
			if (got != a->phys || memcmp(&walk, &a->walk, sizeof(walk)))
				stress_fail(&sw->errors,
					    "reader: IOVA %#llx translates to %#llx, wanted %#llx; walk of %u entries, the last %#llx, wanted %u, %#llx",
					    a->iova, got, a->phys, walk.nr,
					    walk.ptes[walk.nr - 1], a->walk.nr,
					    a->walk.ptes[a->walk.nr - 1]);
		} else {
			/* A readers' page of a late region: 2 or 3 of 4. */
			u32 v = prandom_u32_state(&th->rnd);
			unsigned int r = v % (STRESS_WALK_REGIONS / 4) * 4 +
					 STRESS_WALK_LATE;

			v /= STRESS_WALK_REGIONS / 4;
			stress_walk_late(sw, th, r,
					 v % (STRESS_WALK_PAGES / 4) * 4 + 2 +
					 v / (STRESS_WALK_PAGES / 4) % 2);
		}
		th->reads++;
		cond_resched();
	} while (stress_writing(&sw->st));
}

/* The readers' pages, and the addresses whose walks must not change. */
static void stress_walk_setup(struct kunit *test, struct stress_walk *sw)
{
	unsigned int r, j;

	sw->naddrs = 0;
	for (r = 0; r < STRESS_WALK_REGIONS; r++) {
		if (r % 4 == STRESS_WALK_HOLE) {
			sw->addrs[sw->naddrs++] = (struct stress_span_addr) {
				.iova = stress_walk_iova(r, 5) + 8,
			};
			continue;
		}
		if (r % 4 != STRESS_WALK_FIXED)
			continue;
		for (j = 0; j < 4; j++) {
			unsigned int p = j * 16 + 3;
			u64 phys = stress_walk_phys(255, r, p);
			size_t mapped = 0;

			KUNIT_ASSERT_EQ(test,
					sw->ops->map_pages(sw->ops,
							   stress_walk_iova(r, p),
							   phys, SZ_4K, 1,
							   STRESS_PROT,
							   GFP_KERNEL, &mapped),
					0);
			sw->addrs[sw->naddrs++] = (struct stress_span_addr) {
				.iova = stress_walk_iova(r, p) + 8,
				.phys = phys + 8,
			};
			sw->addrs[sw->naddrs++] = (struct stress_span_addr) {
				.iova = stress_walk_iova(r, p - 1) + 8,
			};
		}
	}
	sw->addrs[sw->naddrs++] = (struct stress_span_addr) {
		.iova = STRESS_WALK_HOLE_SPAN + SZ_2M,
	};
	for (j = 0; j < sw->naddrs; j++)
		KUNIT_ASSERT_EQ(test, iopgtable_walk(sw->ops, sw->addrs[j].iova,
						     &sw->addrs[j].walk), 0);
}

/* After the round: every page and block as its writer left it. */
static void stress_walk_check(struct kunit *test, struct stress_walk *sw,
			      unsigned int round)
{
	unsigned int w, r, i, fails = 0;

	for (w = 0; w < STRESS_WALK_WRITERS; w++) {
		struct stress_walk_thread *th = &sw->threads[w];

		for (r = 0; r < STRESS_WALK_REGIONS; r++) {
			for (i = 0; i < STRESS_WALK_PAGES / 4 &&
			     r % 4 < STRESS_WALK_BLOCK; i++) {
				unsigned int p = i * 4 + w;
				u64 want = th->gen[r][i] ?
					   stress_walk_phys(th->gen[r][i], r, p) : 0;
				u64 got = sw->ops->iova_to_phys(sw->ops,
								stress_walk_iova(r, p));

				if (got != want && fails++ < STRESS_MAX_REPORTS)
					KUNIT_FAIL(test,
						   "round %u: writer %u's page at %#llx translates to %#llx, wanted %#llx",
						   round, w, stress_walk_iova(r, p),
						   got, want);
			}
			if (r % 4 == STRESS_WALK_BLOCK && (r / 4) % 2 == w)
				KUNIT_EXPECT_EQ_MSG(test,
						    sw->ops->iova_to_phys(sw->ops,
									  stress_walk_iova(r, 100)),
						    th->block[r] ?
						    stress_walk_phys(w + 1, r, 100) : 0,
						    "round %u: writer %u's block region %u",
						    round, w, r);
		}
	}
}

/*
 * Two readers translate and walk, with iova_to_phys() and
 * iopgtable_walk(), pages mapped before the round and holes beside them
 * and in empty 2M regions and 1G spans, while two writers map and unmap
 * single pages next to them and blocks in the regions beside; and holes
 * in regions whose level-3 table a writer installs while they read. Each
 * round builds a new table, so the tables above are installed during the
 * round too. Every translation and walk must be exact: a hole translates
 * nothing and its walk ends at an empty entry, whatever is installed or
 * written beside it; and every table must be freed with the page table.
 */
static void stress_walk_holes(struct kunit *test)
{
	const struct stress_granule *p = test->param_value;
	struct iopgtable_cfg cfg = stress_granule_cfg(test, p);
	struct iopgtable_test_count *violations;
	unsigned long ops = 0, reads = 0, before;
	struct stress_walk *sw;
	unsigned int round, i;

	sw = kunit_kzalloc(test, sizeof(*sw), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sw);
	violations = kunit_kzalloc(test, sizeof(*violations), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, violations);
	before = stress_dma_mapped(&cfg);
	stress_count_tables(test, &sw->events);
	iopgtable_test_count_violations(test, violations);
	stress_free_ops_at_exit(test, &sw->ops);
	sw->st = (struct stress_threads) {
		.ctx = sw, .writer = stress_walk_writer,
		.reader = stress_walk_reader, .writers = STRESS_WALK_WRITERS,
		.readers = STRESS_WALK_READERS, .name = "iopgtable-walk",
	};
	stress_threads_init(test, &sw->st);

	for (round = 0; round < STRESS_WALK_ROUNDS; round++) {
		memset(sw->threads, 0, sizeof(sw->threads));
		for (i = 0; i < ARRAY_SIZE(sw->threads); i++)
			prandom_seed_state(&sw->threads[i].rnd, stress_seed ^
					   ((u64)(p - stress_span_cases) << 40 |
					    round << 8 | i));
		WRITE_ONCE(sw->events.ops, NULL);
		stress_tables_reset(&sw->events.tables);
		sw->ops = iopgtable_alloc_ops(p->fmt, &cfg, NULL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sw->ops);
		WRITE_ONCE(sw->events.ops, sw->ops);
		violations->ops = sw->ops;
		stress_view_init(test, &sw->view, p->fmt, sw->ops, &cfg);
		stress_walk_setup(test, sw);

		stress_threads_run(test, &sw->st);

		stress_walk_check(test, sw, round);
		for (i = 0; i < ARRAY_SIZE(sw->threads); i++) {
			ops += sw->threads[i].ops;
			reads += sw->threads[i].reads;
		}
		iopgtable_test_device_view_ok(&sw->view);
		iopgtable_free_ops(sw->ops);
		sw->ops = NULL;
		stress_expect_all_freed(test, &sw->events.tables,
					"after the round");
		stress_expect_dma_unmapped(test, &cfg, before,
					   "after the round");
	}
	stress_expect_no_errors(test, &sw->errors);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&violations->n), 0);
	kunit_info(test,
		   "seed %#lx, %u CPUs: %u rounds, %d writers made %lu calls, %d readers checked %lu translations and walks meanwhile",
		   stress_seed, num_online_cpus(), STRESS_WALK_ROUNDS,
		   STRESS_WALK_WRITERS, ops, STRESS_WALK_READERS, reads);
}

#define STRESS_ATOM_BASE	SZ_4G	/* the leaf table of the hammer */
#define STRESS_ATOM_BLOCK	(SZ_4G + SZ_2M)	/* the block that is split */
#define STRESS_ATOM_SLOTS	16	/* pages: the writer's are the odd ones */
#define STRESS_ATOM_PAIRS	4096	/* the writer's map and unmap pairs */
#define STRESS_ATOM_SPLIT_EVERY	16	/* pairs between two splits */
#define STRESS_ATOM_READERS	3	/* at most: one CPU each */
#define STRESS_ATOM_CONTROL	16384	/* changes the control's readers see */
#define STRESS_ATOM_CONTROL_SECS 20	/* at most, for them to see them */
#define STRESS_ATOM_CONTROL_PTE	0x5a40000e41ULL	/* a block: both halves set */

/**
 * struct stress_atom_reader - what one reader of stress_entry_atomicity()
 *	checked
 * @rnd: its random state.
 * @entry_reads: raw reads of the entry being written and its neighbours.
 * @split_reads: translations and walks through the block being split.
 * @control_reads: reads of &stress_atom.control.
 * @control_changes: those that saw another value than the reader's last.
 * @control_torn: those that saw half of a store.
 */
struct stress_atom_reader {
	struct rnd_state rnd;
	unsigned long entry_reads;
	unsigned long split_reads;
	unsigned long control_reads;
	unsigned long control_changes;
	unsigned long control_torn;
};

/**
 * struct stress_atom - 64-bit entries read while they are written
 * @ops: the table.
 * @tables: its allocations, counted; its cookie.
 * @view: the suites' view of it.
 * @st: the writer, then the readers.
 * @leaf: the leaf table's entries at %STRESS_ATOM_BASE.
 * @fixed: the entries of the even slots, mapped before the threads start.
 * @attrs: the attribute bits of every leaf written, the type included.
 * @block_pte: the block's entry.
 * @cur: the slot the writer is writing now.
 * @split_page: the page the writer splits out of the block.
 * @phase: odd while the readers read through the block, which the writer
 *	is splitting; even while they read @leaf.
 * @acks: phases the readers have seen, summed over the readers.
 * @readers: their state.
 * @errors: wrong results.
 * @control: the control's word: stored and read with the accesses the
 *	library uses for entries, by the test alone.
 * @controlling: the threads run the control, not the hammer.
 * @control_stores: the control's stores.
 */
struct stress_atom {
	struct iopgtable_ops *ops;
	struct stress_tables tables;
	struct iopgtable_test_table view;
	struct stress_threads st;
	u64 *leaf;
	u64 fixed[STRESS_ATOM_SLOTS];
	u64 attrs;
	u64 block_pte;
	unsigned int cur;
	unsigned int split_page;
	unsigned int phase;
	atomic_t acks;
	struct stress_atom_reader readers[STRESS_ATOM_READERS];
	struct stress_errors errors;
	u64 control ____cacheline_aligned;
	bool controlling;
	unsigned long control_stores;
};

/* High bits in every output address: a half-written entry shows. */
static u64 stress_atom_phys(unsigned int gen, unsigned int slot)
{
	return (u64)gen << 32 | (u64)(slot + 1) << 12;
}

static u64 stress_atom_block_phys(void)
{
	return 0x5aULL << 32 | SZ_1G;
}

/* Start the next phase; wait until every reader has seen it. */
static void stress_atom_next_phase(struct stress_atom *sa)
{
	unsigned int phase = sa->phase + 1;

	/* What the readers read in the phase is set before it starts. */
	smp_store_release(&sa->phase, phase);
	while (atomic_read(&sa->acks) < (int)(phase * sa->st.readers) &&
	       !stress_stopping(&sa->st))
		cond_resched();
}

static void stress_atom_call(struct stress_atom *sa, bool map, u64 iova,
			     u64 phys, size_t pgsize)
{
	size_t done = 0;
	int ret = 0;

	if (map)
		ret = sa->ops->map_pages(sa->ops, iova, phys, pgsize, 1,
					 STRESS_PROT, GFP_KERNEL, &done);
	else
		done = sa->ops->unmap_pages(sa->ops, iova, pgsize, 1, NULL);
	if (ret || done != pgsize)
		stress_fail(&sa->errors,
			    "writer: %s at %#llx returned %d, did %#zx",
			    map ? "map_pages" : "unmap_pages", iova, ret, done);
}

/*
 * The control's writer stores its two values in turn until the readers
 * have seen it change %STRESS_ATOM_CONTROL times, or seen half a store,
 * or time is up: a fixed number of stores can all land while the readers'
 * CPUs are not running (the host's threads are busy elsewhere), and a
 * control that saw nothing proves nothing.
 */
static void stress_atom_control(struct stress_atom *sa)
{
	unsigned long end = jiffies + STRESS_ATOM_CONTROL_SECS * HZ;
	unsigned long k, changes, torn;
	unsigned int r;

	for (k = 0; !stress_stopping(&sa->st); k++) {
		stress_write_pte(&sa->control,
				 k % 2 ? STRESS_ATOM_CONTROL_PTE : 0);
		if (k % 256)
			continue;
		changes = 0;
		torn = 0;
		for (r = 0; r < sa->st.readers; r++) {
			changes += READ_ONCE(sa->readers[r].control_changes);
			torn += READ_ONCE(sa->readers[r].control_torn);
		}
		if (torn || changes >= STRESS_ATOM_CONTROL ||
		    time_after(jiffies, end))
			break;
		cond_resched();
	}
	sa->control_stores = k;
}

/*
 * The writer maps and unmaps its slots in turn, each time at another
 * output address, and now and then maps the block, splits a page out of
 * it while the readers translate the rest, and unmaps it.
 */
static void stress_atom_writer(void *ctx, unsigned int i)
{
	struct stress_atom *sa = ctx;
	struct rnd_state rnd;
	unsigned int k;
	size_t done;

	if (sa->controlling) {
		stress_atom_control(sa);
		return;
	}
	prandom_seed_state(&rnd, stress_seed);
	for (k = 0; k < STRESS_ATOM_PAIRS && !stress_stopping(&sa->st); k++) {
		unsigned int slot = 1 + 2 * (k % (STRESS_ATOM_SLOTS / 2));
		u64 iova = STRESS_ATOM_BASE + slot * (u64)SZ_4K;

		WRITE_ONCE(sa->cur, slot);
		stress_atom_call(sa, true, iova,
				 stress_atom_phys(k % 255 + 1, slot), SZ_4K);
		stress_atom_call(sa, false, iova, 0, SZ_4K);
		if (k % STRESS_ATOM_SPLIT_EVERY)
			continue;

		stress_atom_call(sa, true, STRESS_ATOM_BLOCK,
				 stress_atom_block_phys(), SZ_2M);
		WRITE_ONCE(sa->split_page, 1 + prandom_u32_state(&rnd) % 510);
		stress_atom_next_phase(sa);
		done = iopgtable_unmap_split(sa->ops, STRESS_ATOM_BLOCK +
					     sa->split_page * (u64)SZ_4K,
					     SZ_4K, NULL, NULL);
		if (done != SZ_4K)
			stress_fail(&sa->errors,
				    "writer: unmap_split of page %u: %#zx",
				    sa->split_page, done);
		stress_atom_next_phase(sa);
		/* The whole block's span: the split table goes. */
		stress_atom_call(sa, false, STRESS_ATOM_BLOCK, 0, SZ_2M);
	}
}

/* Whether @pte is what slot @slot may hold: nothing, or a whole leaf. */
static bool stress_atom_valid(struct stress_atom *sa, unsigned int slot,
			      u64 pte)
{
	u64 oa = pte & STRESS_PTE_OA;

	return !pte ||
	       ((pte & ~STRESS_PTE_OA) == sa->attrs &&
		(oa & GENMASK_ULL(31, 0)) == stress_atom_phys(0, slot) &&
		oa >> 32 >= 1 && oa >> 32 <= 255);
}

/* A raw read of the entry being written, and of both its neighbours. */
static void stress_atom_read_entries(struct stress_atom *sa, unsigned int r)
{
	unsigned int slot = READ_ONCE(sa->cur);
	u64 pte = stress_read_pte(&sa->leaf[slot]);
	u64 before = stress_read_pte(&sa->leaf[slot - 1]);
	u64 after = slot + 1 < STRESS_ATOM_SLOTS ?
		    stress_read_pte(&sa->leaf[slot + 1]) : 0;
	u64 phys = stress_atom_phys(255, slot - 1) + 8;
	u64 got = sa->ops->iova_to_phys(sa->ops, STRESS_ATOM_BASE +
					(slot - 1) * (u64)SZ_4K + 8);

	if (!stress_atom_valid(sa, slot, pte))
		stress_fail(&sa->errors,
			    "reader %u: slot %u's entry read as %#llx: half written",
			    r, slot, pte);
	if (before != sa->fixed[slot - 1] || got != phys ||
	    (slot + 1 < STRESS_ATOM_SLOTS && after != sa->fixed[slot + 1]))
		stress_fail(&sa->errors,
			    "reader %u: slot %u's neighbours read %#llx and %#llx, translate to %#llx",
			    r, slot, before, after, got);
}

/*
 * A translation and a walk through the block being split, outside the
 * page split out: the block's entry or the new table's, never a mix.
 */
static void stress_atom_read_block(struct stress_atom *sa, unsigned int r)
{
	struct stress_atom_reader *th = &sa->readers[r];
	unsigned int split = READ_ONCE(sa->split_page), page;
	u64 off, iova, phys, leaf, got;
	struct iopgtable_walk walk;

	page = prandom_u32_state(&th->rnd) % 511;
	page += page >= split;
	off = (u64)page * SZ_4K + (prandom_u32_state(&th->rnd) % 512) * 8;
	iova = STRESS_ATOM_BLOCK + off;
	phys = stress_atom_block_phys() + off;
	leaf = (sa->block_pte & ~(STRESS_PTE_OA | STRESS_PTE_TYPE)) |
	       STRESS_PTE_TABLE | ((phys >> 12) << 12);
	got = sa->ops->iova_to_phys(sa->ops, iova);
	iopgtable_walk(sa->ops, iova, &walk);
	if (got != phys ||
	    !((walk.nr == 3 && walk.ptes[2] == sa->block_pte) ||
	      (walk.nr == 4 && stress_is_table(walk.ptes[2], 2) &&
	       walk.ptes[3] == leaf)))
		stress_fail(&sa->errors,
			    "reader %u: IOVA %#llx in the block being split translates to %#llx, walk of %u entries ends %#llx, %#llx",
			    r, iova, got, walk.nr,
			    walk.nr > 1 ? walk.ptes[walk.nr - 2] : 0,
			    walk.ptes[walk.nr - 1]);
}

static void stress_atom_reader_fn(void *ctx, unsigned int i)
{
	struct stress_atom *sa = ctx;
	unsigned int r = i - 1, seen = 0;
	struct stress_atom_reader *th = &sa->readers[r];
	u64 last = 0;

	while (sa->controlling && stress_writing(&sa->st)) {
		u64 v = stress_read_pte(&sa->control);

		/* Read by the control's writer, which stops on them. */
		if (v && v != STRESS_ATOM_CONTROL_PTE)
			WRITE_ONCE(th->control_torn, th->control_torn + 1);
		if (v != last)
			WRITE_ONCE(th->control_changes,
				   th->control_changes + 1);
		last = v;
		th->control_reads++;
	}
	while (!sa->controlling && stress_writing(&sa->st)) {
		/* Pairs with stress_atom_next_phase(): @split_page is set. */
		unsigned int phase = smp_load_acquire(&sa->phase);

		if (phase != seen) {
			seen = phase;
			atomic_inc(&sa->acks);
		}
		if (phase % 2) {
			stress_atom_read_block(sa, r);
			th->split_reads++;
		} else {
			stress_atom_read_entries(sa, r);
			th->entry_reads++;
		}
		cond_resched();
	}
}

/*
 * Entries are read and written as single 64-bit accesses, so a concurrent
 * walk never sees half an entry (on 32-bit ARM too: the arm32 lane runs
 * two CPUs). One thread, alone on its CPU, maps and unmaps the odd pages
 * of one leaf table in turn, each map at another output address above
 * 4G, so that both halves of the entry change; the readers, each on a CPU
 * of its own, read the entry being written as the walker does, with one
 * 64-bit load, and its two neighbours, which no one writes, and translate
 * one of them: the entry must be empty or a whole leaf, the neighbours
 * unchanged. Between, the writer splits a page out of a block above 4G
 * while the readers translate and walk the rest of the block: they must
 * see the block or the table that replaces it, whole. Needs two CPUs.
 *
 * First, as a control, the same threads store and read a word of the
 * test's own with the accesses the library uses, until the readers have
 * seen it change often enough to have caught half a store if the CPU
 * splits them. Where it does (QEMU 7.2 runs 32-bit ARM's LDRD and STRD as
 * two 32-bit accesses each on its threaded TCG), nothing could tell a
 * library that splits its own: the case skips. It skips too when the
 * readers saw too few changes to say.
 */
static void stress_entry_atomicity(struct kunit *test)
{
	struct iopgtable_cfg cfg = iopgtable_test_cfg(IOPGTABLE_ARM_64_LPAE_S1);
	struct iopgtable_test_count *violations;
	unsigned long entry_reads = 0, split_reads = 0, reads = 0, torn = 0;
	unsigned long changes = 0;
	struct iopgtable_walk walk;
	struct stress_atom *sa;
	unsigned int slot, r;

	if (num_online_cpus() < 2)
		kunit_skip(test, "one CPU: nothing runs beside the writer");
	sa = kunit_kzalloc(test, sizeof(*sa), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sa);
	violations = kunit_kzalloc(test, sizeof(*violations), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, violations);
	cfg.alloc = stress_tables_alloc;
	cfg.free = stress_tables_free;
	sa->ops = iopgtable_alloc_ops(IOPGTABLE_ARM_64_LPAE_S1, &cfg,
				      &sa->tables);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sa->ops);
	violations->ops = sa->ops;
	iopgtable_test_count_violations(test, violations);
	stress_free_ops_at_exit(test, &sa->ops);
	stress_view_init(test, &sa->view, IOPGTABLE_ARM_64_LPAE_S1, sa->ops,
			 &cfg);

	for (slot = 0; slot < STRESS_ATOM_SLOTS; slot += 2)
		KUNIT_ASSERT_EQ(test,
				iopgtable_map(sa->ops,
					      STRESS_ATOM_BASE + slot * (u64)SZ_4K,
					      stress_atom_phys(255, slot), SZ_4K,
					      STRESS_PROT, GFP_KERNEL), 0);
	sa->leaf = stress_entry_ptr(&sa->view, STRESS_ATOM_BASE, 3);
	KUNIT_ASSERT_NOT_NULL(test, sa->leaf);
	for (slot = 0; slot < STRESS_ATOM_SLOTS; slot += 2)
		sa->fixed[slot] = stress_read_pte(&sa->leaf[slot]);
	sa->attrs = sa->fixed[0] & ~STRESS_PTE_OA;
	KUNIT_ASSERT_EQ(test, iopgtable_map(sa->ops, STRESS_ATOM_BLOCK,
					    stress_atom_block_phys(), SZ_2M,
					    STRESS_PROT, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, iopgtable_walk(sa->ops, STRESS_ATOM_BLOCK, &walk),
			0);
	KUNIT_ASSERT_EQ(test, walk.nr, 3);
	sa->block_pte = walk.ptes[2];
	KUNIT_ASSERT_EQ(test, iopgtable_unmap(sa->ops, STRESS_ATOM_BLOCK, SZ_2M,
					      NULL), SZ_2M);

	for (r = 0; r < STRESS_ATOM_READERS; r++)
		prandom_seed_state(&sa->readers[r].rnd, stress_seed ^ (r + 1));
	sa->cur = 1;
	sa->st = (struct stress_threads) {
		.ctx = sa, .writer = stress_atom_writer,
		.reader = stress_atom_reader_fn, .writers = 1,
		.readers = min_t(unsigned int, num_online_cpus() - 1,
				 STRESS_ATOM_READERS),
		.name = "iopgtable-atom", .bind = true,
	};
	stress_threads_init(test, &sa->st);

	sa->controlling = true;
	stress_threads_run(test, &sa->st);
	for (r = 0; r < sa->st.readers; r++) {
		reads += sa->readers[r].control_reads;
		changes += sa->readers[r].control_changes;
		torn += sa->readers[r].control_torn;
	}
	if (torn)
		kunit_skip(test,
			   "%u CPUs: %lu of %lu reads of a 64-bit word (%lu changes seen) saw half of a 64-bit store: this CPU, or its emulation, splits them",
			   num_online_cpus(), torn, reads, changes);
	if (changes < STRESS_ATOM_CONTROL)
		kunit_skip(test,
			   "%u CPUs: in %d s the readers saw the control change %lu times in %lu stores: too few to tell whether the CPU splits them",
			   num_online_cpus(), STRESS_ATOM_CONTROL_SECS, changes,
			   sa->control_stores);
	sa->controlling = false;
	stress_threads_run(test, &sa->st);

	stress_expect_no_errors(test, &sa->errors);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&violations->n), 0);
	for (slot = 0; slot < STRESS_ATOM_SLOTS; slot++)
		KUNIT_EXPECT_EQ_MSG(test, stress_read_pte(&sa->leaf[slot]),
				    slot % 2 ? 0 : sa->fixed[slot],
				    "slot %u after the threads", slot);
	for (r = 0; r < sa->st.readers; r++) {
		entry_reads += sa->readers[r].entry_reads;
		split_reads += sa->readers[r].split_reads;
	}
	iopgtable_free_ops(sa->ops);
	sa->ops = NULL;
	stress_expect_all_freed(test, &sa->tables, "after the table");
	kunit_info(test,
		   "%u CPUs: %d map and unmap pairs and %d splits beside %u readers: %lu raw reads of the entry written and its neighbours, %lu translations and walks through the block being split; the control: %lu stores, %lu reads, %lu changes seen, none torn",
		   num_online_cpus(), STRESS_ATOM_PAIRS,
		   STRESS_ATOM_PAIRS / STRESS_ATOM_SPLIT_EVERY, sa->st.readers,
		   entry_reads, split_reads, sa->control_stores, reads,
		   changes);
}

/* The attributes of KUNIT_CASE_SLOW, for the parameterised cases. */
#define STRESS_SLOW	{ .speed = KUNIT_SPEED_SLOW }

static struct kunit_case stress_test_cases[] = {
	KUNIT_CASE_PARAM_ATTR(stress_test, stress_gen_params, STRESS_SLOW),
	KUNIT_CASE_SLOW(stress_reservations),
	KUNIT_CASE_SLOW(stress_debugfs_dump),
	KUNIT_CASE_SLOW(stress_atomic_contexts),
	KUNIT_CASE_PARAM_ATTR(stress_install_race, stress_granule_gen_params,
			      STRESS_SLOW),
	KUNIT_CASE_PARAM_ATTR(stress_span_frees, stress_span_gen_params,
			      STRESS_SLOW),
	KUNIT_CASE_PARAM_ATTR(stress_prealloc_split, stress_granule_gen_params,
			      STRESS_SLOW),
	KUNIT_CASE_PARAM_ATTR(stress_walk_holes, stress_span_gen_params,
			      STRESS_SLOW),
	KUNIT_CASE_SLOW(stress_entry_atomicity),
	{}
};

static struct kunit_suite stress_suite = {
	.name = "iopgtable_smp_stress",
	.test_cases = stress_test_cases,
};

kunit_test_suites(&stress_suite);
