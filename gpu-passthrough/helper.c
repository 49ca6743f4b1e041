/* tessera-gpu-helper: the privileged steps of a GPU handoff, one per run,
 * so the compositor's event loop never blocks in a sysfs write that waits
 * for a driver, and so the code that rebinds PCI devices is small enough to
 * audit. Run by the compositor with an explicit argv and an empty
 * environment; every argument is checked again here.
 *
 *   tessera-gpu-helper unbind-consoles
 *   tessera-gpu-helper unbind-driver      BDF DRM_DRIVER
 *   tessera-gpu-helper bind-passthrough   BDF pci-stub|vfio-pci|pciback xl|none
 *   tessera-gpu-helper attach             BDF DOMAIN          (xl pci-attach)
 *   tessera-gpu-helper detach             BDF DOMAIN          (xl pci-detach)
 *   tessera-gpu-helper unbind-passthrough BDF pci-stub|vfio-pci|pciback xl|none
 *   tessera-gpu-helper bind-driver        BDF DRM_DRIVER
 *
 * Exit 0 on success; the last line of output says what happened (the
 * compositor logs it). Steps are idempotent where that is safe: unbinding
 * an unbound device or binding one already bound to the wanted driver
 * succeeds, so a retried reclaim resumes where the last one stopped. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pci_address.h"

#define SYSFS "/sys"

extern char **environ;

static int failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int failf(const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	vprintf(fmt, args);
	va_end(args);
	putchar('\n');
	return 1;
}

static bool valid_name(const char *text, bool allow_upper)
{
	size_t len = strlen(text);
	if (len == 0 || len > 31)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			  c == '_' || (allow_upper && ((c >= 'A' && c <= 'Z') || c == '.'));
		if (!ok)
			return false;
	}
	return text[0] != '-' && text[0] != '.';
}

static bool valid_passthrough(const char *driver)
{
	return strcmp(driver, "pci-stub") == 0 || strcmp(driver, "vfio-pci") == 0 ||
	       strcmp(driver, "pciback") == 0;
}

static int write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	size_t len = strlen(value);
	ssize_t written = write(fd, value, len);
	int err = written < 0 ? errno : (size_t)written != len ? EIO : 0;
	if (close(fd) != 0 && !err)
		err = errno;
	return err;
}

/* The driver bound to the device: "" when none, NULL if no such device. */
static const char *current_driver(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	snprintf(path, sizeof(path), SYSFS "/bus/pci/devices/%s", bdf);
	if (access(path, F_OK) != 0)
		return NULL;
	snprintf(path, sizeof(path), SYSFS "/bus/pci/devices/%s/driver", bdf);
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		buf[0] = '\0';
		return buf;
	}
	target[n] = '\0';
	const char *base = strrchr(target, '/');
	snprintf(buf, len, "%.*s", (int)len - 1, base ? base + 1 : target);
	return buf;
}

static int unbind_from(const char *bdf, const char *driver)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), SYSFS "/bus/pci/drivers/%s/unbind", driver);
	int err = write_file(path, bdf);
	if (err)
		return failf("cannot unbind %s from %s: %s", bdf, driver, strerror(err));
	char now[64];
	if (!current_driver(bdf, now, sizeof(now)) || now[0])
		return failf("%s is still bound to %s after the unbind", bdf, now);
	return 0;
}

/* The last non-empty line of text, for error messages. */
static void last_line(const char *text, char *out, size_t out_len)
{
	size_t len = strlen(text);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	size_t start = len;
	while (start > 0 && text[start - 1] != '\n')
		start--;
	snprintf(out, out_len, "%.*s", (int)(len - start), text + start);
}

/* Runs a program (found on the fixed PATH) and waits. Its output is passed
 * on, and its last line goes into the failure message (xl says why there). */
static int run(const char *const argv[])
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		return failf("pipe: %s", strerror(errno));
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
	posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &actions, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		return failf("cannot run %s: %s", argv[0], strerror(rc));
	}
	char output[4096] = "", chunk[512];
	size_t used = 0;
	ssize_t n;
	while ((n = read(fds[0], chunk, sizeof(chunk))) > 0 || (n < 0 && errno == EINTR)) {
		if (n <= 0)
			continue;
		fwrite(chunk, 1, (size_t)n, stdout);
		/* Keep the tail (chunk is smaller than output): the reason
		 * is at the end. */
		if (used + (size_t)n >= sizeof(output)) {
			size_t drop = used + (size_t)n - (sizeof(output) - 1);
			memmove(output, output + drop, used - drop);
			used -= drop;
		}
		memcpy(output + used, chunk, (size_t)n);
		used += (size_t)n;
		output[used] = '\0';
	}
	close(fds[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return failf("waiting for %s: %s", argv[0], strerror(errno));
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char reason[256];
		last_line(output, reason, sizeof(reason));
		return failf("%s %s failed (status %d): %s", argv[0], argv[1],
			     WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			     reason[0] ? reason : "no message");
	}
	return 0;
}

static int unbind_consoles(void)
{
	int unbound = 0;
	DIR *dir = opendir(SYSFS "/class/vtconsole");
	if (dir) {
		struct dirent *entry;
		while ((entry = readdir(dir))) {
			if (strncmp(entry->d_name, "vtcon", 5) != 0)
				continue;
			char path[PATH_MAX], name[128] = "";
			snprintf(path, sizeof(path), SYSFS "/class/vtconsole/%s/name",
				 entry->d_name);
			FILE *file = fopen(path, "re");
			if (file) {
				if (!fgets(name, sizeof(name), file))
					name[0] = '\0';
				fclose(file);
			}
			/* Only the framebuffer console holds the GPU; the dummy
			 * console must stay. */
			if (!strstr(name, "frame buffer"))
				continue;
			snprintf(path, sizeof(path), SYSFS "/class/vtconsole/%s/bind",
				 entry->d_name);
			char bound[8] = "";
			file = fopen(path, "re");
			if (file) {
				if (!fgets(bound, sizeof(bound), file))
					bound[0] = '\0';
				fclose(file);
			}
			if (bound[0] == '0')
				continue;
			int err = write_file(path, "0");
			if (err) {
				closedir(dir);
				return failf("cannot unbind %s: %s", entry->d_name, strerror(err));
			}
			unbound++;
		}
		closedir(dir);
	}
	const char *efifb = SYSFS "/bus/platform/drivers/efi-framebuffer/efi-framebuffer.0";
	bool had_efifb = access(efifb, F_OK) == 0;
	if (had_efifb) {
		int err = write_file(SYSFS "/bus/platform/drivers/efi-framebuffer/unbind",
				     "efi-framebuffer.0");
		if (err)
			return failf("cannot unbind efifb: %s", strerror(err));
	}
	printf("%d framebuffer console(s) unbound; efifb %s\n", unbound,
	       had_efifb ? "unbound" : "absent");
	return 0;
}

static int unbind_driver(const char *bdf, const char *driver)
{
	char now[64];
	if (!current_driver(bdf, now, sizeof(now)))
		return failf("no PCI device %s", bdf);
	if (!now[0]) {
		printf("%s was not bound\n", bdf);
		return 0;
	}
	if (strcmp(now, driver) != 0)
		return failf("%s is bound to %s, not %s: refusing to unbind it", bdf, now, driver);
	if (unbind_from(bdf, driver))
		return 1;
	printf("%s unbound from %s\n", bdf, driver);
	return 0;
}

static int bind_passthrough(const char *bdf, const char *driver, const char *toolstack)
{
	char now[64], path[PATH_MAX];
	if (!current_driver(bdf, now, sizeof(now)))
		return failf("no PCI device %s", bdf);
	if (strcmp(now, driver) == 0) {
		printf("%s already bound to %s\n", bdf, driver);
		return 0;
	}
	if (now[0])
		return failf("%s is still bound to %s", bdf, now);
	if (strcmp(toolstack, "xl") == 0) {
		const char *argv[] = {"xl", "pci-assignable-add", bdf, NULL};
		if (run(argv))
			return 1;
	} else {
		snprintf(path, sizeof(path), SYSFS "/bus/pci/drivers/%s", driver);
		if (access(path, F_OK) != 0)
			return failf("driver %s is not loaded (modprobe %s)", driver,
				     strcmp(driver, "pciback") == 0 ? "xen-pciback" : driver);
		/* driver_override binds exactly this device, whatever ids the
		 * driver's table has, and keeps other drivers off it. */
		snprintf(path, sizeof(path), SYSFS "/bus/pci/devices/%s/driver_override", bdf);
		int err = write_file(path, driver);
		if (err)
			return failf("cannot set driver_override of %s: %s", bdf, strerror(err));
		err = write_file(SYSFS "/bus/pci/drivers_probe", bdf);
		if (err)
			return failf("drivers_probe %s failed: %s", bdf, strerror(err));
	}
	if (!current_driver(bdf, now, sizeof(now)) || strcmp(now, driver) != 0)
		return failf("%s did not bind to %s (bound to '%s')", bdf, driver, now);
	printf("%s bound to %s\n", bdf, driver);
	return 0;
}

static int unbind_passthrough(const char *bdf, const char *driver, const char *toolstack)
{
	char now[64], path[PATH_MAX];
	if (!current_driver(bdf, now, sizeof(now)))
		return failf("no PCI device %s", bdf);
	if (strcmp(toolstack, "xl") == 0) {
		/* -r rebinds the driver the device had before (the DRM one). */
		if (strcmp(now, driver) == 0) {
			const char *argv[] = {"xl", "pci-assignable-remove", "-r", bdf, NULL};
			if (run(argv))
				return 1;
		}
	} else if (strcmp(now, driver) == 0) {
		if (unbind_from(bdf, driver))
			return 1;
	} else if (now[0]) {
		printf("%s is bound to %s, not %s: left as it is\n", bdf, now, driver);
		return 0;
	}
	snprintf(path, sizeof(path), SYSFS "/bus/pci/devices/%s/driver_override", bdf);
	int err = write_file(path, "\n");
	if (err && err != ENOENT)
		return failf("cannot clear driver_override of %s: %s", bdf, strerror(err));
	printf("%s released by %s\n", bdf, driver);
	return 0;
}

static int bind_driver(const char *bdf, const char *driver)
{
	char now[64], path[PATH_MAX];
	if (!current_driver(bdf, now, sizeof(now)))
		return failf("no PCI device %s", bdf);
	if (strcmp(now, driver) == 0) {
		printf("%s already bound to %s\n", bdf, driver);
		return 0;
	}
	if (now[0])
		return failf("%s is bound to %s, not %s", bdf, now, driver);
	snprintf(path, sizeof(path), SYSFS "/bus/pci/drivers/%s", driver);
	if (access(path, F_OK) != 0)
		return failf("driver %s is not loaded: cannot bind %s to it", driver, bdf);
	snprintf(path, sizeof(path), SYSFS "/bus/pci/drivers/%s/bind", driver);
	int err = write_file(path, bdf);
	if (err)
		return failf("cannot bind %s to %s: %s (see dmesg)", bdf, driver, strerror(err));
	if (!current_driver(bdf, now, sizeof(now)) || strcmp(now, driver) != 0)
		return failf("%s did not bind to %s", bdf, driver);
	printf("%s bound to %s\n", bdf, driver);
	return 0;
}

static int usage(void)
{
	return failf("usage: tessera-gpu-helper unbind-consoles | unbind-driver BDF DRIVER | "
		     "bind-passthrough BDF DRIVER TOOLSTACK | attach BDF DOMAIN | detach BDF "
		     "DOMAIN | unbind-passthrough BDF DRIVER TOOLSTACK | bind-driver BDF DRIVER");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return usage();
	const char *command = argv[1];
	if (strcmp(command, "unbind-consoles") == 0 && argc == 2)
		return unbind_consoles();
	if (argc < 4 || !tsr_pci_address_valid(argv[2]))
		return usage();
	const char *bdf = argv[2], *name = argv[3];
	if (argc == 4 && (strcmp(command, "attach") == 0 || strcmp(command, "detach") == 0)) {
		if (!valid_name(name, true))
			return failf("bad domain name");
		const char *xl_argv[] = {"xl", command[0] == 'a' ? "pci-attach" : "pci-detach",
					 name, bdf, NULL};
		if (run(xl_argv))
			return 1;
		printf("%s %s domain %s\n", bdf,
		       command[0] == 'a' ? "attached to" : "detached from", name);
		return 0;
	}
	if (!valid_name(name, false))
		return failf("bad driver name");
	if (argc == 4 && strcmp(command, "unbind-driver") == 0)
		return unbind_driver(bdf, name);
	if (argc == 4 && strcmp(command, "bind-driver") == 0)
		return bind_driver(bdf, name);
	if (argc != 5 || !valid_passthrough(name) ||
	    (strcmp(argv[4], "xl") != 0 && strcmp(argv[4], "none") != 0))
		return usage();
	if (strcmp(command, "bind-passthrough") == 0)
		return bind_passthrough(bdf, name, argv[4]);
	if (strcmp(command, "unbind-passthrough") == 0)
		return unbind_passthrough(bdf, name, argv[4]);
	return usage();
}
