// SPDX-License-Identifier: GPL-2.0-only
/*
 * init of the arm64 module-load test (scripts/arm64-load.sh): loads the
 * out-of-tree modules given on the kernel command line as init arguments,
 * in order, unloads them in the reverse order, reports each result
 * through /dev/kmsg and powers off. KUnit runs the test module's suites
 * while it loads, so the console holds their KTAP when this is done; the
 * unloads show that nothing they allocated is left behind.
 *
 * Freestanding, for aarch64 only: raw system calls, no C library, so that
 * the cross compiler alone builds it.
 */

#define NR_OPENAT		56
#define NR_CLOSE		57
#define NR_WRITE		64
#define NR_DELETE_MODULE	106
#define NR_REBOOT		142
#define NR_FINIT_MODULE		273

#define AT_FDCWD		-100
#define O_RDONLY		0
#define O_WRONLY		1
#define O_NONBLOCK		04000
#define REBOOT_MAGIC1		0xfee1dead
#define REBOOT_MAGIC2		672274793
#define REBOOT_POWER_OFF	0x4321fedc

static long syscall5(long nr, long a, long b, long c, long d, long e)
{
	register long x8 asm("x8") = nr;
	register long x0 asm("x0") = a;
	register long x1 asm("x1") = b;
	register long x2 asm("x2") = c;
	register long x3 asm("x3") = d;
	register long x4 asm("x4") = e;

	asm volatile("svc #0"
		     : "+r" (x0)
		     : "r" (x8), "r" (x1), "r" (x2), "r" (x3), "r" (x4)
		     : "memory");
	return x0;
}

static unsigned long str_len(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	return n;
}

static char *append(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

static char *append_num(char *p, long v)
{
	char digits[24];
	int n = 0;

	if (v < 0) {
		*p++ = '-';
		v = -v;
	}
	do {
		digits[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (n)
		*p++ = digits[--n];
	return p;
}

/* One line to the kernel log: "iopgtable-load: <what> <name>: <ret>". */
static void report(long kmsg, const char *what, const char *name, long ret)
{
	char line[256], *p = line;

	p = append(p, "iopgtable-load: ");
	p = append(p, what);
	p = append(p, " ");
	if (str_len(name) < 160)
		p = append(p, name);
	p = append(p, ": ");
	p = append_num(p, ret);
	*p++ = '\n';
	syscall5(NR_WRITE, kmsg, (long)line, p - line, 0, 0);
}

static long load(long kmsg, const char *path)
{
	long fd = syscall5(NR_OPENAT, AT_FDCWD, (long)path, O_RDONLY, 0, 0);
	long ret = fd;

	if (fd >= 0) {
		ret = syscall5(NR_FINIT_MODULE, fd, (long)"", 0, 0, 0);
		syscall5(NR_CLOSE, fd, 0, 0, 0, 0);
	}
	report(kmsg, "load", path, ret);
	return ret;
}

/* Unload the module loaded from @path: "/dir/a-b.ko" is module a_b. */
static long unload(long kmsg, const char *path)
{
	const char *base = path, *s;
	char name[64];
	unsigned long n = 0;
	long ret;

	for (s = path; *s; s++)
		if (*s == '/')
			base = s + 1;
	for (s = base; *s && *s != '.' && n < sizeof(name) - 1; s++)
		name[n++] = *s == '-' ? '_' : *s;
	name[n] = 0;
	ret = syscall5(NR_DELETE_MODULE, (long)name, O_NONBLOCK, 0, 0, 0);
	report(kmsg, "unload", name, ret);
	return ret;
}

void start_c(long *sp);

void start_c(long *sp)
{
	long argc = sp[0], kmsg, i, failed = 0;
	char **argv = (char **)(sp + 1);

	kmsg = syscall5(NR_OPENAT, AT_FDCWD, (long)"/dev/kmsg", O_WRONLY, 0, 0);
	for (i = 1; i < argc; i++)
		if (load(kmsg, argv[i]) < 0)
			failed++;
	for (i = argc - 1; i >= 1; i--)
		if (unload(kmsg, argv[i]) < 0)
			failed++;
	report(kmsg, "done,", "modules failed", failed);
	syscall5(NR_REBOOT, REBOOT_MAGIC1, REBOOT_MAGIC2, REBOOT_POWER_OFF, 0, 0);
	for (;;)
		;
}

/* The kernel enters here with argc, argv and envp on the stack. */
asm(".globl _start\n"
	"_start:\n"
	"	mov x0, sp\n"
	"	bl start_c\n");
