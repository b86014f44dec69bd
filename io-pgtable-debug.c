// SPDX-License-Identifier: GPL-2.0-only
/*
 * iopgtable debugging: a walk printed in the format's own terms, a dump of
 * everything a table maps, and that dump as a debugfs file.
 *
 * The decoding is the format's (&iopgtable_format.describe and
 * .visit); this file only lays out the lines.
 */

#include <linux/debugfs.h>
#include <linux/export.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/seq_file.h>

#include "iopgtable-internal.h"

#include <trace/events/iopgtable.h>

/* Room for one line of a walk: the longest S1 leaf takes about 110. */
#define IOPGTABLE_LINE_SIZE	192

/* One line to @m, else to the kernel log at KERN_ERR. */
static void iopgtable_emit(struct seq_file *m, const char *prefix,
			   const char *line)
{
	if (m)
		seq_printf(m, "%s%s%s\n", prefix ?: "", prefix ? ": " : "",
			   line);
	else
		pr_err("%s: %s\n", prefix ?: "iopgtable", line);
}

/**
 * iopgtable_walk_print() - print the walk to an IOVA, decoded
 * @ops: the table.
 * @iova: the address, as for iopgtable_walk().
 * @m: where to print; NULL for the kernel log at KERN_ERR, as a fault
 *	handler wants.
 * @prefix: put before every line, e.g. dev_name() of the GPU; NULL for none
 *	in @m and "iopgtable" in the log.
 *
 * Prints a line naming @iova and the levels walked, then one line per
 * entry read, root first: its level, its raw value and what it means in the
 * format's terms: for a table entry the next table's address; for a leaf
 * "page" or "block", its size, output address, memory attribute (index and
 * the MAIR or MEMATTR value it selects), shareability, permissions (S1:
 * AP RO/RW and EL0 for unprivileged access; Mali: R, W) and the flags set
 * among AF, nG, NS and XN; else "invalid". Documentation/iopgtable.rst
 * shows an example.
 *
 * Context: As iopgtable_walk().
 * Return: what iopgtable_walk() returned; for -ERANGE one line says so.
 */
int iopgtable_walk_print(struct iopgtable_ops *ops, u64 iova,
			 struct seq_file *m, const char *prefix)
{
	struct iopgtable *iop = to_iopgtable(ops);
	char line[IOPGTABLE_LINE_SIZE];
	struct iopgtable_walk walk;
	unsigned int i;
	int ret, n;

	ret = iopgtable_walk(ops, iova, &walk);
	if (ret) {
		scnprintf(line, sizeof(line),
			  "walk %#llx: outside the input range", iova);
		iopgtable_emit(m, prefix, line);
		return ret;
	}

	scnprintf(line, sizeof(line), "walk %#llx: %u level%s from level %u",
		  iova, walk.nr, walk.nr == 1 ? "" : "s", walk.start_level);
	iopgtable_emit(m, prefix, line);
	for (i = 0; i < walk.nr; i++) {
		unsigned int lvl = walk.start_level + i;

		n = scnprintf(line, sizeof(line), "  level %u: %#018llx ", lvl,
			      walk.ptes[i]);
		iop->format->describe(iop, lvl, walk.ptes[i], line + n,
				      sizeof(line) - n);
		iopgtable_emit(m, prefix, line);
	}
	return 0;
}
EXPORT_SYMBOL_GPL(iopgtable_walk_print);

/**
 * struct iopgtable_dump_run - the run of leaves the dump has not printed
 * @v: what the format reports to.
 * @m: where the dump goes.
 * @first: the run's first leaf.
 * @size: bytes the run maps; 0 for no run.
 */
struct iopgtable_dump_run {
	struct iopgtable_visitor v;
	struct seq_file *m;
	struct iopgtable_leaf first;
	u64 size;
};

static void iopgtable_dump_flush(struct iopgtable_dump_run *run)
{
	const struct iopgtable_leaf *l = &run->first;
	char size[8];

	if (!run->size)
		return;
	iopgtable_size_str(size, sizeof(size), l->size_lg2);
	seq_printf(run->m, "%#llx-%#llx -> %#llx %s %s %s%s%s%s%s%s\n",
		   l->iova, l->iova + run->size - 1, l->paddr, size, l->type,
		   l->prot & IOPGTABLE_READ ? "r" : "-",
		   l->prot & IOPGTABLE_WRITE ? "w" : "-",
		   l->prot & IOPGTABLE_CACHE ? " cache" : "",
		   l->prot & IOPGTABLE_MMIO ? " mmio" : "",
		   l->prot & IOPGTABLE_NOEXEC ? " noexec" : "",
		   l->prot & IOPGTABLE_PRIVILEGED ? " priv" : "");
	run->size = 0;
}

static void iopgtable_dump_leaf(struct iopgtable_visitor *v,
				const struct iopgtable_leaf *leaf)
{
	struct iopgtable_dump_run *run =
		container_of(v, struct iopgtable_dump_run, v);
	const struct iopgtable_leaf *l = &run->first;

	if (run->size && leaf->iova == l->iova + run->size &&
	    leaf->paddr == l->paddr + run->size &&
	    leaf->size_lg2 == l->size_lg2 && leaf->attrs == l->attrs) {
		run->size += BIT_ULL(leaf->size_lg2);
		return;
	}
	iopgtable_dump_flush(run);
	run->first = *leaf;
	run->size = BIT_ULL(leaf->size_lg2);
}

/**
 * iopgtable_dump() - list what a table maps
 * @ops: the table.
 * @m: where to print.
 *
 * One line per run of leaves that follow each other in IOVA with
 * contiguous output addresses, the same size and the same attributes:
 * the run's first and last IOVA, its first output address, the leaf size
 * and type, and the protection the entries encode (r, w, then cache, mmio,
 * noexec, priv where they apply)::
 *
 *	0x100000000-0x1001fffff -> 0x80000000 4K page rw cache
 *	0x100200000-0x103ffffff -> 0x80200000 2M block rw cache
 *	tables: 1 at level 0, 1 at level 1, 1 at level 2, 1 at level 3
 *
 * The last line counts the tables at each level from the root down. This
 * is what the table's debugfs file shows (iopgtable_debugfs_add()).
 *
 * Context: Any context; reads the entries under no lock. No map or unmap
 * may run meanwhile (either may free tables the dump follows): the caller
 * holds the lock that orders its updates, as the debugfs file does with
 * the lock given to iopgtable_debugfs_add().
 */
void iopgtable_dump(struct iopgtable_ops *ops, struct seq_file *m)
{
	struct iopgtable *iop = to_iopgtable(ops);
	struct iopgtable_dump_run run = {
		.v.leaf = iopgtable_dump_leaf,
		.m = m,
	};
	const unsigned long *tables = run.v.tables;
	struct iopgtable_inflight call;
	const char *sep = "tables:";
	unsigned int lvl = 0;

	iopgtable_inflight_begin(iop, &call, IOPGTABLE_ACCESS_READ,
				 iop->iova_first,
				 iop->iova_last - iop->iova_first + 1);
	iop->format->visit(iop, &run.v);
	iopgtable_inflight_end(iop, &call);
	iopgtable_dump_flush(&run);

	while (lvl < IOPGTABLE_MAX_LEVELS - 1 && !tables[lvl])
		lvl++;
	for (; lvl < IOPGTABLE_MAX_LEVELS; lvl++) {
		seq_printf(m, "%s %lu at level %u", sep, tables[lvl], lvl);
		sep = ",";
	}
	seq_putc(m, '\n');
}
EXPORT_SYMBOL_GPL(iopgtable_dump);

#ifdef CONFIG_IOPGTABLE_DEBUG
static const char *const iopgtable_access_names[] = {
	[IOPGTABLE_ACCESS_READ] = "a read",
	[IOPGTABLE_ACCESS_WRITE] = "an update",
};

/**
 * iopgtable_inflight_begin() - record a call in flight, and check it
 * @iop: the table.
 * @call: the record, on the caller's stack until iopgtable_inflight_end().
 * @access: what the call does in its range.
 * @iova: where its range starts.
 * @size: the bytes of its range; not 0.
 *
 * The contract leaves the serialisation of calls to the caller: no two
 * updates of overlapping ranges, and no read (iova_to_phys, a walk, the
 * dump) of a range an update may free tables in. CONFIG_IOPGTABLE_DEBUG
 * keeps the ranges of the calls in flight on each table and reports a call
 * that breaks the rule against one of them, as lockdep reports a lock
 * order: traced as an %IOPGTABLE_VIOLATION_OVERLAP violation and WARNed,
 * rate-limited, whatever IOPGTABLE_QUIRK_NO_WARN says.
 *
 * Context: Any context.
 */
void iopgtable_inflight_begin(struct iopgtable *iop,
			      struct iopgtable_inflight *call,
			      enum iopgtable_access access, u64 iova, u64 size)
{
	struct iopgtable_inflight *other, clash;
	bool found = false, warn;
	unsigned long flags;

	call->first = iova;
	call->last = iova + size - 1;
	call->access = access;
	raw_spin_lock_irqsave(&iop->inflight_lock, flags);
	list_for_each_entry(other, &iop->inflight, node) {
		if (other->first > call->last || call->first > other->last ||
		    (access == IOPGTABLE_ACCESS_READ &&
		     other->access == IOPGTABLE_ACCESS_READ))
			continue;
		clash = *other;
		found = true;
		break;
	}
	list_add(&call->node, &iop->inflight);
	raw_spin_unlock_irqrestore(&iop->inflight_lock, flags);
	if (!found)
		return;

	warn = __ratelimit(&iop->warn_rs);
	trace_iopgtable_violation(&iop->ops, IOPGTABLE_VIOLATION_OVERLAP, iova,
				  warn);
	WARN(warn, "iopgtable: %s of [%#llx, %#llx] overlaps %s of [%#llx, %#llx] in flight\n",
	     iopgtable_access_names[access], call->first, call->last,
	     iopgtable_access_names[clash.access], clash.first, clash.last);
}

/**
 * iopgtable_inflight_end() - the call iopgtable_inflight_begin() recorded
 *	is over
 * @iop: the table.
 * @call: its record.
 *
 * Context: Any context.
 */
void iopgtable_inflight_end(struct iopgtable *iop,
			    struct iopgtable_inflight *call)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&iop->inflight_lock, flags);
	list_del(&call->node);
	raw_spin_unlock_irqrestore(&iop->inflight_lock, flags);
}
#endif

/*
 * What reading a table's debugfs file shows: the dump, under the driver's
 * lock. @m->private is the table's ops.
 */
int iopgtable_debugfs_show(struct seq_file *m, void *unused)
{
	struct iopgtable *iop = to_iopgtable(m->private);
	int ret;

	ret = mutex_lock_killable(iop->debugfs_lock);
	if (ret)
		return ret;
	iopgtable_dump(&iop->ops, m);
	mutex_unlock(iop->debugfs_lock);
	return 0;
}

#if IS_ENABLED(CONFIG_IOPGTABLE_KUNIT_TEST)
/* The suites read the file this way: no user buffer in a kernel thread. */
EXPORT_SYMBOL_GPL(iopgtable_debugfs_show);
#endif

#ifdef CONFIG_IOPGTABLE_DEBUGFS
static struct dentry *iopgtable_debugfs_dir;

DEFINE_SHOW_ATTRIBUTE(iopgtable_debugfs);
#endif

/**
 * iopgtable_debugfs_add() - show a table in debugfs
 * @ops: the table.
 * @name: the file's name.
 * @parent: the debugfs directory to put it in, e.g. the driver's; NULL for
 *	the library's, iopgtable/ in debugfs.
 * @lock: a mutex the driver holds around every call on the table that may
 *	free tables below the root (unmaps, and maps over empty tables);
 *	Panthor's VM op_lock, for example. Required.
 *
 * Creates a read-only file whose contents are iopgtable_dump() of the
 * table, read under @lock when the file is. A second call moves the table
 * to the new name. iopgtable_free_ops() removes the file, waiting for its
 * readers. Without CONFIG_IOPGTABLE_DEBUGFS it does nothing. As with
 * debugfs itself, the caller has nothing to check: a table without its
 * file works the same.
 *
 * The dump follows table pointers: a reader that raced an unmap of a whole
 * table span would read a freed table. The library cannot delay the free
 * (an unmap may run where nothing can wait) without keeping tables of its
 * own, so the file reads under the lock that already orders the driver's
 * updates. A NULL @lock is refused with a WARN: nothing changes.
 *
 * Context: Process context; sleeps.
 */
void iopgtable_debugfs_add(struct iopgtable_ops *ops, const char *name,
			   struct dentry *parent, struct mutex *lock)
{
#ifdef CONFIG_IOPGTABLE_DEBUGFS
	struct iopgtable *iop = to_iopgtable(ops);

	if (WARN_ONCE(!lock, "iopgtable: no lock for the debugfs file %s\n",
		      name))
		return;
	iopgtable_debugfs_remove(iop);
	iop->debugfs_lock = lock;
	iop->debugfs = debugfs_create_file(name, 0400,
					   parent ?: iopgtable_debugfs_dir,
					   ops, &iopgtable_debugfs_fops);
#endif
}
EXPORT_SYMBOL_GPL(iopgtable_debugfs_add);

/*
 * Remove the table's debugfs file, if it has one, waiting for its readers:
 * iopgtable_free_ops() calls this before freeing anything.
 */
void iopgtable_debugfs_remove(struct iopgtable *iop)
{
#ifdef CONFIG_IOPGTABLE_DEBUGFS
	if (!iop->debugfs)
		return;
	debugfs_remove(iop->debugfs);
	iop->debugfs = NULL;
#endif
}

/* The folder of the files: at module load, and gone at its unload. */
void __init iopgtable_debugfs_init(void)
{
#ifdef CONFIG_IOPGTABLE_DEBUGFS
	iopgtable_debugfs_dir = debugfs_create_dir("iopgtable", NULL);
#endif
}

void iopgtable_debugfs_exit(void)
{
#ifdef CONFIG_IOPGTABLE_DEBUGFS
	debugfs_remove(iopgtable_debugfs_dir);
#endif
}
