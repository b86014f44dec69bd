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
#include <linux/printk.h>
#include <linux/seq_file.h>

#include "iopgtable-internal.h"

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
 * Context: As iopgtable_walk(): reads the entries under no lock. A map or
 * unmap running meanwhile may show in part: a run cut short or split, a
 * table counted that holds nothing yet. It must not free tables under the
 * dump, which iopgtable_free_ops() and unmaps of whole table spans do.
 */
void iopgtable_dump(struct iopgtable_ops *ops, struct seq_file *m)
{
	struct iopgtable *iop = to_iopgtable(ops);
	struct iopgtable_dump_run run = {
		.v.leaf = iopgtable_dump_leaf,
		.m = m,
	};
	const unsigned long *tables = run.v.tables;
	const char *sep = "tables:";
	unsigned int lvl = 0;

	iop->format->visit(iop, &run.v);
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

#ifdef CONFIG_IOPGTABLE_DEBUGFS
static struct dentry *iopgtable_debugfs_dir;

static int iopgtable_debugfs_show(struct seq_file *m, void *unused)
{
	iopgtable_dump(m->private, m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(iopgtable_debugfs);
#endif

/**
 * iopgtable_debugfs_add() - show a table in debugfs
 * @ops: the table.
 * @name: the file's name.
 * @parent: the debugfs directory to put it in, e.g. the driver's; NULL for
 *	the library's, iopgtable/ in debugfs.
 *
 * Creates a read-only file whose contents are iopgtable_dump() of the
 * table, read when the file is. A second call moves the table to the new
 * name. iopgtable_free_ops() removes the file. Without
 * CONFIG_IOPGTABLE_DEBUGFS it does nothing. As with debugfs itself, the
 * caller has nothing to check: a table without its file works the same.
 *
 * Reading the file takes no lock that map or unmap take; what a concurrent
 * update may show is what iopgtable_dump() says. A driver that unmaps whole
 * table spans while the file may be read serialises the two itself.
 *
 * Context: Process context; sleeps.
 */
void iopgtable_debugfs_add(struct iopgtable_ops *ops, const char *name,
			   struct dentry *parent)
{
#ifdef CONFIG_IOPGTABLE_DEBUGFS
	struct iopgtable *iop = to_iopgtable(ops);

	iopgtable_debugfs_remove(iop);
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

#ifdef CONFIG_IOPGTABLE_DEBUGFS
static int __init iopgtable_debugfs_init(void)
{
	iopgtable_debugfs_dir = debugfs_create_dir("iopgtable", NULL);
	return 0;
}

static void __exit iopgtable_debugfs_exit(void)
{
	debugfs_remove(iopgtable_debugfs_dir);
}

module_init(iopgtable_debugfs_init);
module_exit(iopgtable_debugfs_exit);
#endif
