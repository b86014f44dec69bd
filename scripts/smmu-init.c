// SPDX-License-Identifier: GPL-2.0-only
/*
 * init of the smmu lane (scripts/smmu.sh): real DMA through arm-smmu-v3 on
 * iopgtable. Writes a pseudo-random pattern over the first MiB given as
 * its first argument of /dev/nvme0n1 with O_DIRECT, in requests of mixed
 * sizes from 4K to 2M at varying buffer offsets, reads it back in other
 * sizes, compares, reports through /dev/kmsg and powers off. Every byte
 * the NVMe device moves is translated by the SMMU through the tables.
 *
 * With "fault" as its second argument it then makes QEMU's edu device, at
 * EDU_DEV and bound to pci-stub (so behind an empty DMA domain), read
 * from FAULT_IOVA, which nothing maps: the SMMU reports a translation
 * fault for it.
 *
 * With "bench" as its first argument it instead binds the PCI function at
 * BENCH_DEV to dma_map_benchmark and runs /dma_map_benchmark (the kernel's
 * tools/testing/selftests/dma tool) once per further argument, each
 * argument being that run's options separated by commas, e.g. -t4,-g16,-s5.
 *
 * Freestanding, for aarch64 only: raw system calls, no C library, so that
 * the cross compiler alone builds it.
 */

#define NR_MKDIRAT		34
#define NR_MOUNT		40
#define NR_OPENAT		56
#define NR_CLOSE		57
#define NR_READ			63
#define NR_WRITE		64
#define NR_PREAD64		67
#define NR_PWRITE64		68
#define NR_NANOSLEEP		101
#define NR_REBOOT		142
#define NR_CLONE		220
#define NR_EXECVE		221
#define NR_MMAP			222
#define NR_WAIT4		260

#define AT_FDCWD		-100
#define O_RDONLY		0
#define O_WRONLY		1
#define O_RDWR			2
#define O_DIRECT		0200000		/* arm64 */
#define PROT_RW			3
#define MAP_SHARED		0x01
#define MAP_PRIVATE_ANON	0x22
#define REBOOT_MAGIC1		0xfee1dead
#define REBOOT_MAGIC2		672274793
#define REBOOT_POWER_OFF	0x4321fedc

#define SZ_4K			4096UL
#define SZ_2M			(2UL << 20)
#define BUF_SIZE		(4UL << 20)	/* a 2M request at up to 2M in */

#define EDU_DEV			"/sys/bus/pci/devices/0000:00:03.0/"
#define EDU_ID			0x00
#define EDU_DMA_SRC		0x80
#define EDU_DMA_DST		0x88
#define EDU_DMA_COUNT		0x90
#define EDU_DMA_CMD		0x98
#define EDU_DMA_START		1	/* direction 0: from the bus */
#define EDU_BUF			0x40000
#define FAULT_IOVA		0xbadb000UL	/* below edu's 28-bit DMA mask */
#define PCI_COMMAND		4
#define BENCH_DEV		"0000:00:04.0"
#define SIGCHLD			17
#define PCI_COMMAND_MEM_MASTER	0x6

static long kmsg = -1;

static long syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long x8 asm("x8") = nr;
	register long x0 asm("x0") = a;
	register long x1 asm("x1") = b;
	register long x2 asm("x2") = c;
	register long x3 asm("x3") = d;
	register long x4 asm("x4") = e;
	register long x5 asm("x5") = f;

	asm volatile("svc #0"
		     : "+r" (x0)
		     : "r" (x8), "r" (x1), "r" (x2), "r" (x3), "r" (x4),
		       "r" (x5)
		     : "memory");
	return x0;
}

static char *append(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

static char *append_num(char *p, unsigned long v)
{
	char digits[24];
	int n = 0;

	do {
		digits[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (n)
		*p++ = digits[--n];
	return p;
}

static char *append_hex(char *p, unsigned long v)
{
	int shift;

	p = append(p, "0x");
	for (shift = 60; shift >= 0; shift -= 4)
		*p++ = "0123456789abcdef"[(v >> shift) & 0xf];
	return p;
}

/* One line to the kernel log: "smmu-dma: <text> <num> <text> <num>". */
static void report(const char *a, long x, const char *b, long y)
{
	char line[256], *p = line;

	p = append(p, "smmu-dma: ");
	p = append(p, a);
	p = append_num(p, x);
	if (b) {
		p = append(p, b);
		p = append_num(p, y);
	}
	*p++ = '\n';
	syscall6(NR_WRITE, kmsg, (long)line, p - line, 0, 0, 0);
}

static void report_text(const char *a, const char *b)
{
	char line[256], *p = line;

	p = append(p, "smmu-dma: ");
	p = append(p, a);
	p = append(p, b);
	*p++ = '\n';
	syscall6(NR_WRITE, kmsg, (long)line, p - line, 0, 0, 0);
}

static unsigned long parse_num(const char *s)
{
	unsigned long v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (unsigned long)(*s++ - '0');
	return v;
}

static void power_off(void)
{
	syscall6(NR_REBOOT, REBOOT_MAGIC1, REBOOT_MAGIC2, REBOOT_POWER_OFF,
		 0, 0, 0);
	for (;;)
		;
}

/* splitmix64: the pattern's word at each disk offset, and request sizes. */
static unsigned long mix(unsigned long x)
{
	x += 0x9e3779b97f4a7c15UL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9UL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebUL;
	return x ^ (x >> 31);
}

static unsigned long pattern(unsigned long seed, unsigned long off)
{
	return mix(seed ^ (off >> 3));
}

/*
 * A request size in 4K units: half of them powers of two from 4K to 2M,
 * half any multiple of 4K up to 2M.
 */
static unsigned long request_size(unsigned long *rng)
{
	unsigned long r = mix((*rng)++);

	if (r & 1)
		return SZ_4K << ((r >> 1) % 10);
	return SZ_4K * (1 + (r >> 1) % 512);
}

static unsigned long buffer_offset(unsigned long *rng, unsigned long len)
{
	unsigned long room = (BUF_SIZE - len) / SZ_4K;

	return SZ_4K * (mix((*rng)++) % (room + 1));
}

struct pass {
	unsigned long requests;
	unsigned long bytes;
	unsigned long mismatches;
	unsigned long first_bad;
	long error;
};

/* Writes (or reads back and compares) [0, total) in mixed request sizes. */
static void run(long fd, char *buf, unsigned long total, unsigned long seed,
		unsigned long rng, int write, struct pass *ps)
{
	unsigned long off = 0, len, at, i, *w, expect;
	long ret;

	ps->first_bad = ~0UL;
	while (off < total) {
		len = request_size(&rng);
		if (len > total - off)
			len = total - off;
		at = buffer_offset(&rng, len);
		w = (unsigned long *)(buf + at);
		if (write)
			for (i = 0; i < len / 8; i++)
				w[i] = pattern(seed, off + 8 * i);
		ret = syscall6(write ? NR_PWRITE64 : NR_PREAD64, fd,
			       (long)(buf + at), len, off, 0, 0);
		if (ret != (long)len) {
			ps->error = ret < 0 ? ret : -5;
			report(write ? "write failed at " : "read failed at ",
			       off, ", returned ", ret);
			return;
		}
		if (!write) {
			for (i = 0; i < len / 8; i++) {
				expect = pattern(seed, off + 8 * i);
				if (w[i] == expect)
					continue;
				if (ps->first_bad == ~0UL)
					ps->first_bad = off + 8 * i;
				ps->mismatches++;
			}
			/* Stale data must not pass the next compare. */
			for (i = 0; i < len / 8; i++)
				w[i] = ~w[i];
		}
		ps->requests++;
		ps->bytes += len;
		off += len;
	}
}

static long open_disk(const char *path)
{
	long fd, i;
	long ts[2] = { 0, 100000000 };

	/* The NVMe namespace appears when the controller's reset work ends. */
	for (i = 0; i < 300; i++) {
		fd = syscall6(NR_OPENAT, AT_FDCWD, (long)path,
			      O_RDWR | O_DIRECT, 0, 0, 0);
		if (fd >= 0)
			return fd;
		syscall6(NR_NANOSLEEP, (long)ts, 0, 0, 0, 0, 0);
	}
	return fd;
}

/* "<label><the first line of path>", or "<label>none". */
static void report_file(const char *label, const char *path)
{
	char text[32];
	long fd, n;

	fd = syscall6(NR_OPENAT, AT_FDCWD, (long)path, O_RDONLY, 0, 0, 0);
	n = fd < 0 ? -1 : syscall6(NR_READ, fd, (long)text, sizeof(text) - 1,
				   0, 0, 0);
	if (fd >= 0)
		syscall6(NR_CLOSE, fd, 0, 0, 0, 0, 0);
	if (n <= 0) {
		report_text(label, "none");
		return;
	}
	if (text[n - 1] == '\n')
		n--;
	text[n] = 0;
	report_text(label, text);
}

static void sleep_ms(long ms)
{
	long ts[2] = { ms / 1000, (ms % 1000) * 1000000 };

	syscall6(NR_NANOSLEEP, (long)ts, 0, 0, 0, 0, 0);
}

static void mmio_write(long addr, unsigned long v)
{
	asm volatile("str %0, [%1]" : : "r" (v), "r" (addr) : "memory");
}

/* edu's registers below 0x80 take 32-bit accesses only. */
static unsigned int mmio_read32(long addr)
{
	unsigned int v;

	asm volatile("ldr %w0, [%1]" : "=r" (v) : "r" (addr) : "memory");
	return v;
}

/* A DMA read by the edu device from FAULT_IOVA, which nothing maps. */
static void fault_dma(void)
{
	unsigned short cmd = 0;
	char line[128], *p;
	long fd, bar;

	fd = syscall6(NR_OPENAT, AT_FDCWD, (long)EDU_DEV "config", O_RDWR,
		      0, 0, 0);
	if (fd < 0 ||
	    syscall6(NR_PREAD64, fd, (long)&cmd, 2, PCI_COMMAND, 0, 0) != 2) {
		report("fault: no edu device: ", -fd, (const char *)0, 0);
		return;
	}
	cmd |= PCI_COMMAND_MEM_MASTER;
	syscall6(NR_PWRITE64, fd, (long)&cmd, 2, PCI_COMMAND, 0, 0);
	syscall6(NR_CLOSE, fd, 0, 0, 0, 0, 0);

	fd = syscall6(NR_OPENAT, AT_FDCWD, (long)EDU_DEV "resource0", O_RDWR,
		      0, 0, 0);
	bar = fd < 0 ? fd : syscall6(NR_MMAP, 0, SZ_4K, PROT_RW, MAP_SHARED,
				     fd, 0);
	if ((unsigned long)bar > -4096UL) {
		report("fault: cannot map edu's BAR0: ", -bar,
		       (const char *)0, 0);
		return;
	}
	mmio_write(bar + EDU_DMA_SRC, FAULT_IOVA);
	mmio_write(bar + EDU_DMA_DST, EDU_BUF);
	mmio_write(bar + EDU_DMA_COUNT, 8);
	mmio_write(bar + EDU_DMA_CMD, EDU_DMA_START);
	p = append(line, "smmu-dma: fault: edu ");
	p = append_hex(p, mmio_read32(bar + EDU_ID));
	p = append(p, " reads from iova ");
	p = append_hex(p, FAULT_IOVA);
	*p++ = '\n';
	syscall6(NR_WRITE, kmsg, (long)line, p - line, 0, 0, 0);
	/* edu starts its DMA from a 100 ms timer; the event follows. */
	sleep_ms(2000);
	syscall6(NR_CLOSE, fd, 0, 0, 0, 0, 0);
}

static void write_file(const char *path, const char *text)
{
	long fd = syscall6(NR_OPENAT, AT_FDCWD, (long)path, O_WRONLY, 0, 0, 0);
	unsigned long n = 0;
	long ret = fd;

	while (text[n])
		n++;
	if (fd >= 0) {
		ret = syscall6(NR_WRITE, fd, (long)text, n, 0, 0, 0);
		syscall6(NR_CLOSE, fd, 0, 0, 0, 0, 0);
	}
	if (ret < 0)
		report_text("bench: cannot write ", path);
}

/* Runs /dma_map_benchmark with @opts split at commas, and waits for it. */
static void bench_run(char *opts)
{
	char *argv[16] = { "/dma_map_benchmark" };
	char *envp[1] = { 0 };
	int argc = 1;
	long pid, status = 0;

	while (*opts && argc < 15) {
		argv[argc++] = opts;
		while (*opts && *opts != ',')
			opts++;
		while (*opts == ',')
			*opts++ = 0;
	}
	argv[argc] = 0;
	pid = syscall6(NR_CLONE, SIGCHLD, 0, 0, 0, 0, 0);
	if (pid == 0) {
		syscall6(NR_EXECVE, (long)argv[0], (long)argv, (long)envp,
			 0, 0, 0);
		report_text("bench: cannot run ", argv[0]);
		syscall6(93 /* exit */, 1, 0, 0, 0, 0, 0);
	}
	syscall6(NR_WAIT4, pid, (long)&status, 0, 0, 0, 0);
	report("bench: run exited with status ", status >> 8,
	       (const char *)0, 0);
}

static void bench(long argc, char **argv)
{
	long i;

	syscall6(NR_MOUNT, (long)"debugfs", (long)"/sys/kernel/debug",
		 (long)"debugfs", 0, 0, 0);
	write_file("/sys/bus/pci/devices/" BENCH_DEV "/driver_override",
		   "dma_map_benchmark");
	write_file("/sys/bus/pci/drivers_probe", BENCH_DEV);
	for (i = 2; i < argc; i++)
		bench_run(argv[i]);
	report_text("done", "");
	power_off();
}

void start_c(long *sp);

void start_c(long *sp)
{
	long argc = sp[0], fd;
	char **argv = (char **)(sp + 1);
	unsigned long mib = argc > 1 ? parse_num(argv[1]) : 256;
	unsigned long total = mib << 20, seed = mix(0x5eed + mib);
	struct pass wr = { 0 }, rd = { 0 };
	char line[128], *p;
	char *buf;

	syscall6(NR_MOUNT, (long)"devtmpfs", (long)"/dev", (long)"devtmpfs",
		 0, 0, 0);
	syscall6(NR_MKDIRAT, AT_FDCWD, (long)"/sys", 0755, 0, 0, 0);
	syscall6(NR_MOUNT, (long)"sysfs", (long)"/sys", (long)"sysfs", 0, 0, 0);
	kmsg = syscall6(NR_OPENAT, AT_FDCWD, (long)"/dev/kmsg", O_WRONLY,
			0, 0, 0);
	if (argc > 1 && argv[1][0] == 'b')
		bench(argc, argv);

	buf = (char *)syscall6(NR_MMAP, 0, BUF_SIZE, PROT_RW,
			       MAP_PRIVATE_ANON, -1, 0);
	fd = open_disk("/dev/nvme0n1");
	if (fd < 0 || (unsigned long)buf > -4096UL) {
		report("cannot open /dev/nvme0n1 or map the buffer: ", -fd,
		       (const char *)0, 0);
		power_off();
	}
	/* The IOMMU domain type of the disk's PCI function: DMA, DMA-FQ */
	report_file("iommu domain: ",
		    "/sys/block/nvme0n1/device/device/iommu_group/type");
	/* The largest request the block layer sends, hence maps at once */
	report_file("max request KiB: ",
		    "/sys/block/nvme0n1/queue/max_sectors_kb");

	run(fd, buf, total, seed, 1, 1, &wr);
	report("wrote ", wr.bytes, " bytes in requests: ", wr.requests);
	if (!wr.error) {
		run(fd, buf, total, seed, 2, 0, &rd);
		report("read ", rd.bytes, " bytes in requests: ", rd.requests);
	}
	if (rd.mismatches) {
		p = append(line, "smmu-dma: first mismatch at disk offset ");
		p = append_hex(p, rd.first_bad);
		*p++ = '\n';
		syscall6(NR_WRITE, kmsg, (long)line, p - line, 0, 0, 0);
	}
	report("mismatched words: ", rd.mismatches, (const char *)0, 0);
	if (!wr.error && !rd.error && !rd.mismatches && rd.bytes == total)
		report("verified bytes: ", rd.bytes, (const char *)0, 0);
	syscall6(NR_CLOSE, fd, 0, 0, 0, 0, 0);
	if (argc > 2 && argv[2][0] == 'f')
		fault_dma();
	report_text("done", "");
	power_off();
}

/* The kernel enters here with argc, argv and envp on the stack. */
asm(".globl _start\n"
	"_start:\n"
	"	mov x0, sp\n"
	"	bl start_c\n");
