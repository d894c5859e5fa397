/*
 * initmod: load one kernel module with the init_module(2) system call.
 *
 * busybox insmod uses finit_module(2).  On Linux 6.6+ finit_module goes
 * through idempotent_init_module(), which links an entry that lives on the
 * caller's stack into a global hash until the load completes.  When the
 * module's init Oopses, the task dies and the entry is never removed; a later
 * finit_module() that hashes to the same bucket then follows a dangling
 * pointer (seen on 6.12: an Oops in idempotent_init_module, then a soft
 * lockup).  init_module(2) does not take that path, so the oops modules are
 * loaded with this instead.  Built statically by harness.py.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct stat st;
	char *image;
	ssize_t got = 0, n;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: initmod MODULE.ko\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(argv[1]);
		return 1;
	}
	image = malloc(st.st_size);
	if (!image)
		return 1;
	while (got < st.st_size) {
		n = read(fd, image + got, st.st_size - got);
		if (n <= 0) {
			perror("read");
			return 1;
		}
		got += n;
	}
	close(fd);
	if (syscall(SYS_init_module, image, (unsigned long)st.st_size, "") != 0) {
		perror("init_module");
		return 1;
	}
	return 0;
}
