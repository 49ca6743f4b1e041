/* The control socket and start-up against a real tessera process:
 * screenshots to paths that must not block or be destroyed, idle clients
 * that must not lock tessera-ctl out, a bound on what control peers can make
 * Tessera log, socket paths that are not Tessera's to remove, and
 * --check-config. Waits poll with generous deadlines; nothing asserts how
 * long anything took. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "tessera/image.h"
#include "test.h"

#define DEADLINE_MS 30000

static const char config_text[] = "[output]\nwidth = 320\nheight = 200\n"
				  "[domain work]\ncolour = blue\n"
				  "[domain personal]\ncolour = green\n";

static struct harness harness;

static uint64_t now_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

static int connect_control(const char *path)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(address.sun_path))
		return -1;
	memcpy(address.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&address, sizeof(address)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads one line (without '\n') until the deadline; false on EOF/timeout. */
static bool read_line(int fd, char *line, size_t len, uint64_t deadline)
{
	size_t used = 0;
	while (used + 1 < len) {
		int64_t left = (int64_t)(deadline - now_ms());
		struct pollfd poll_fd = {.fd = fd, .events = POLLIN};
		if (left <= 0 || poll(&poll_fd, 1, (int)left) <= 0)
			break;
		ssize_t count = read(fd, line + used, 1);
		if (count <= 0)
			break;
		if (line[used] == '\n') {
			line[used] = '\0';
			return true;
		}
		used++;
	}
	line[used] = '\0';
	return false;
}

/* One command on a new connection; the reply within DEADLINE_MS. A
 * compositor frozen on a file would never answer. */
static bool command(const char *text, char *reply, size_t reply_len)
{
	reply[0] = '\0';
	int fd = connect_control(harness.control);
	if (fd < 0)
		return false;
	char line[700];
	snprintf(line, sizeof(line), "%s\n", text);
	bool ok = write(fd, line, strlen(line)) == (ssize_t)strlen(line) &&
		  read_line(fd, reply, reply_len, now_ms() + DEADLINE_MS);
	close(fd);
	return ok;
}

static bool screenshot_refused(const char *path, const char *expected)
{
	char text[600], reply[1024];
	snprintf(text, sizeof(text), "screenshot %s", path);
	bool answered = command(text, reply, sizeof(reply));
	if (!answered || strncmp(reply, "error ", 6) != 0 || !strstr(reply, expected)) {
		fprintf(stderr, "screenshot %s: answered=%d reply \"%s\" (expected \"%s\")\n", path,
			answered, reply, expected);
		return false;
	}
	return true;
}

static bool file_has(const char *path, const char *text)
{
	char buffer[256] = "";
	FILE *file = fopen(path, "r");
	if (!file)
		return false;
	size_t length = fread(buffer, 1, sizeof(buffer) - 1, file);
	fclose(file);
	buffer[length] = '\0';
	return strcmp(buffer, text) == 0;
}

static void write_text(const char *path, const char *text)
{
	FILE *file = fopen(path, "w");
	if (file) {
		fputs(text, file);
		fclose(file);
	}
}

/* Lines of DIR/<log>.log containing text. */
static int log_count(struct harness *h, const char *log, const char *text)
{
	char path[512], line[2048];
	snprintf(path, sizeof(path), "%s/%s.log", h->dir, log);
	FILE *file = fopen(path, "r");
	if (!file)
		return 0;
	int count = 0;
	while (fgets(line, sizeof(line), file))
		count += strstr(line, text) != NULL;
	fclose(file);
	return count;
}

static void test_start(void)
{
	CHECK(harness_start(&harness, "control", config_text));
	char reply[1024]; /* status: a long line */
	/* A first frame, so screenshots have something to write. */
	for (int waited = 0; waited < DEADLINE_MS; waited += 20) {
		if (command("status", reply, sizeof(reply)) && !strstr(reply, "frames=0 "))
			break;
		usleep(20000);
	}
	CHECK(strstr(reply, "ok ") == reply && !strstr(reply, "frames=0 "));
}

static void test_screenshot_new_and_existing_file(void)
{
	char path[512], link_path[512], text[600], reply[1024];
	harness_path(&harness, "shot.png", path, sizeof(path));
	snprintf(text, sizeof(text), "screenshot %s", path);
	CHECK(command(text, reply, sizeof(reply)));
	char expected[600];
	snprintf(expected, sizeof(expected), "ok %s", path);
	CHECK(strcmp(reply, expected) == 0);
	char err[256];
	struct tsr_buffer *image = tsr_png_read(path, err, sizeof(err));
	CHECK(image && image->width == 320 && image->height == 200);
	tsr_buffer_destroy(image);

	/* Replaced by a rename: a hard link to the old file keeps its content. */
	harness_path(&harness, "existing.png", path, sizeof(path));
	harness_path(&harness, "existing-link", link_path, sizeof(link_path));
	write_text(path, "old content");
	CHECK(link(path, link_path) == 0);
	snprintf(text, sizeof(text), "screenshot %s", path);
	CHECK(command(text, reply, sizeof(reply)));
	snprintf(expected, sizeof(expected), "ok %s", path);
	CHECK(strcmp(reply, expected) == 0);
	image = tsr_png_read(path, err, sizeof(err));
	CHECK(image && image->width == 320 && image->height == 200);
	tsr_buffer_destroy(image);
	CHECK(file_has(link_path, "old content"));

	/* tessera-ctl takes a relative path from its own working directory. */
	char ctl[512], cwd[512];
	snprintf(ctl, sizeof(ctl), "%s", harness_binary("compositor/tessera-ctl"));
	char *argv[] = {ctl, "--socket", harness.control, "screenshot", "relative.png", NULL};
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK(chdir(harness.dir) == 0);
	pid_t pid = harness_spawn(&harness, "ctl", argv);
	CHECK(chdir(cwd) == 0);
	CHECK_EQ_INT(harness_wait(pid, DEADLINE_MS), 0);
	harness_path(&harness, "relative.png", path, sizeof(path));
	image = tsr_png_read(path, err, sizeof(err));
	CHECK(image && image->width == 320 && image->height == 200);
	tsr_buffer_destroy(image);
}

static void test_screenshot_refuses_what_is_not_a_file(void)
{
	char path[512], target[512];
	/* A FIFO nobody reads used to freeze the compositor. */
	harness_path(&harness, "fifo", path, sizeof(path));
	CHECK(mkfifo(path, 0600) == 0);
	CHECK(screenshot_refused(path, "is a FIFO; refusing"));
	struct stat info;
	CHECK(lstat(path, &info) == 0 && S_ISFIFO(info.st_mode));

	/* As root this used to delete /dev/full. */
	CHECK(screenshot_refused("/dev/full", "/dev/full is a character device; refusing"));
	CHECK(lstat("/dev/full", &info) == 0 && S_ISCHR(info.st_mode));

	harness_path(&harness, "target.txt", target, sizeof(target));
	harness_path(&harness, "link.png", path, sizeof(path));
	write_text(target, "the target");
	CHECK(symlink(target, path) == 0);
	CHECK(screenshot_refused(path, "is a symbolic link; refusing"));
	CHECK(file_has(target, "the target"));
	CHECK(lstat(path, &info) == 0 && S_ISLNK(info.st_mode));

	harness_path(&harness, "subdir", path, sizeof(path));
	CHECK(mkdir(path, 0700) == 0);
	CHECK(screenshot_refused(path, "is a directory; refusing"));
	CHECK(lstat(path, &info) == 0 && S_ISDIR(info.st_mode));

	harness_path(&harness, "no-such-dir/x.png", path, sizeof(path));
	CHECK(screenshot_refused(path, "cannot open the directory"));

	char reply[1024]; /* status: a long line */
	CHECK(command("status", reply, sizeof(reply)) && strncmp(reply, "ok ", 3) == 0);
}

static void test_idle_clients_do_not_lock_out(void)
{
	/* More idle clients than slots (4), one with half a command. */
	int idle[6];
	for (int i = 0; i < 6; i++)
		idle[i] = connect_control(harness.control);
	CHECK(idle[0] >= 0 && idle[5] >= 0);
	CHECK(write(idle[1], "sta", 3) == 3);

	/* The answer comes once idle clients time out (a few seconds). */
	char reply[256] = "";
	uint64_t deadline = now_ms() + 60000;
	bool answered = false;
	while (!answered && now_ms() < deadline) {
		answered = command("list", reply, sizeof(reply));
		if (!answered)
			usleep(100000);
	}
	CHECK(answered && strncmp(reply, "ok ", 3) == 0);

	/* Each idle client was told why, then closed. */
	for (int i = 0; i < 6; i++) {
		if (idle[i] < 0)
			continue;
		char line[256];
		CHECK(read_line(idle[i], line, sizeof(line), now_ms() + 60000));
		CHECK(strcmp(line, "error idle for too long without a complete command line") == 0);
		CHECK(!read_line(idle[i], line, sizeof(line), now_ms() + 60000));
		close(idle[i]);
	}
}

static void test_log_is_bounded(void)
{
	/* Junk lines and focus flips as fast as a client can send them. */
	uint64_t start = now_ms();
	char junk[700];
	memset(junk, 'x', sizeof(junk));
	int junk_replies = 0;
	for (int i = 0; i < 200; i++) {
		int fd = connect_control(harness.control);
		if (fd < 0)
			continue;
		char line[256];
		if (write(fd, junk, sizeof(junk)) == (ssize_t)sizeof(junk) &&
		    read_line(fd, line, sizeof(line), now_ms() + DEADLINE_MS))
			junk_replies += strcmp(line, "error command line too long") == 0;
		close(fd);
	}
	CHECK_EQ_INT(junk_replies, 200);
	char reply[1024]; /* status: a long line */
	for (int i = 0; i < 200; i++)
		CHECK(command(i % 2 ? "focus work" : "focus personal", reply, sizeof(reply)));
	uint64_t elapsed_s = (now_ms() - start) / 1000;
	/* At most 10 control lines and 20 focus/layout lines per 10 s window. */
	int windows = (int)(elapsed_s / 10) + 2;
	int junk_lines = log_count(&harness, "tessera", "command line longer");
	int focus_lines = log_count(&harness, "tessera", "] focused");
	printf("log lines: %d for 200 junk clients, %d for 200 focus changes (%llu s)\n",
	       junk_lines, focus_lines, (unsigned long long)elapsed_s);
	CHECK(junk_lines >= 1 && junk_lines <= 10 * windows);
	CHECK(focus_lines >= 1 && focus_lines <= 20 * windows);
	CHECK(command("status", reply, sizeof(reply)) && strncmp(reply, "ok ", 3) == 0);
}

static void test_stop(void)
{
	CHECK(harness_stop(&harness));
	/* Its own sockets are gone, nothing else. */
	char path[512];
	CHECK(access(harness.control, F_OK) != 0);
	harness_path(&harness, "fifo", path, sizeof(path));
	CHECK(access(path, F_OK) == 0);
}

/* Starts tessera on config_text in a fresh directory of its own, and waits
 * for it to exit; returns the exit status. */
static int run_tessera(struct harness *h, const char *name, const char *text, const char *flag)
{
	char config_path[512], tessera[512];
	harness_path(h, name, config_path, sizeof(config_path));
	write_text(config_path, text);
	snprintf(tessera, sizeof(tessera), "%s", harness_binary("compositor/tessera"));
	char *argv[] = {tessera, (char *)flag, config_path, "--runtime-dir", h->dir, NULL};
	pid_t pid = harness_spawn(h, name, argv);
	return pid < 0 ? -3 : harness_wait(pid, DEADLINE_MS);
}

static bool fresh_dir(struct harness *h, const char *name)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->dir, sizeof(h->dir), "/tmp/tessera-test-%s-XXXXXX", name);
	if (!mkdtemp(h->dir))
		return false;
	harness_path(h, "control.sock", h->control, sizeof(h->control));
	return true;
}

static void test_startup_leaves_non_sockets_alone(void)
{
	struct harness h;
	CHECK(fresh_dir(&h, "sockets"));
	/* A regular file where the control socket goes: used to be deleted. */
	write_text(h.control, "keep me");
	CHECK_EQ_INT(run_tessera(&h, "control-file", config_text, "--config"), 1);
	CHECK(file_has(h.control, "keep me"));
	CHECK(harness_log_contains(&h, "control-file", "exists and is not a socket"));
	unlink(h.control);

	/* The same at a domain's socket. */
	char work[512];
	harness_path(&h, "work.sock", work, sizeof(work));
	write_text(work, "keep me too");
	CHECK_EQ_INT(run_tessera(&h, "domain-file", config_text, "--config"), 1);
	CHECK(file_has(work, "keep me too"));
	CHECK(harness_log_contains(&h, "domain-file", "work.sock exists and is not a socket"));
	unlink(work);

	/* A stale socket (its process is gone) is replaced. */
	int stale = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	memcpy(address.sun_path, h.control, strlen(h.control) + 1); /* short: under /tmp */
	CHECK(bind(stale, (struct sockaddr *)&address, sizeof(address)) == 0);
	close(stale);
	char config_path[512], tessera[512];
	harness_path(&h, "tessera.conf", config_path, sizeof(config_path));
	write_text(config_path, config_text);
	snprintf(tessera, sizeof(tessera), "%s", harness_binary("compositor/tessera"));
	char *argv[] = {tessera, "--config", config_path, "--runtime-dir", h.dir, NULL};
	h.compositor = harness_spawn(&h, "tessera", argv);
	char reply[256] = "";
	bool up = false;
	for (int waited = 0; !up && waited < DEADLINE_MS; waited += 20) {
		up = harness_control(&h, "status", reply, sizeof(reply));
		if (!up)
			usleep(20000);
	}
	CHECK(up);

	/* A socket a live tessera listens on is not taken over. */
	CHECK_EQ_INT(run_tessera(&h, "second", config_text, "--config"), 1);
	CHECK(harness_log_contains(&h, "second", "another process is listening on it"));
	CHECK(harness_control(&h, "status", reply, sizeof(reply)));
	CHECK(harness_stop(&h));
}

static void test_config_errors_at_startup(void)
{
	struct harness h;
	CHECK(fresh_dir(&h, "config"));
	/* Exit status 2 (also under ASan: a rejected configuration used to leak). */
	CHECK_EQ_INT(run_tessera(&h, "two",
				 "[domain a]\ncolour = red\n[domain b]\ncolour = blue\n"
				 "socket = a.sock\n",
				 "--config"),
		     2);
	CHECK(harness_log_contains(&h, "two",
				   "two:5: socket: 'a.sock' of domain 'b' is already "
				   "the socket of domain 'a' (line 1)"));
	/* Relative against absolute: caught once the runtime directory is known. */
	char text[600], ctl[512];
	harness_path(&h, "ctl.sock", ctl, sizeof(ctl));
	snprintf(text, sizeof(text),
		 "[control]\nsocket = %s\n[domain a]\ncolour = red\n"
		 "socket = ctl.sock\n",
		 ctl);
	CHECK_EQ_INT(run_tessera(&h, "mixed", text, "--config"), 2);
	CHECK(harness_log_contains(&h, "mixed",
				   "mixed:5: socket: 'ctl.sock' of domain 'a' is the "
				   "control socket"));
	CHECK(access(ctl, F_OK) != 0);
}

static void test_check_config(void)
{
	struct harness h;
	CHECK(fresh_dir(&h, "check"));
	CHECK_EQ_INT(run_tessera(&h, "good", config_text, "--check-config"), 0);
	char expected[600];
	snprintf(expected, sizeof(expected),
		 "%s/good: ok: 2 domains (work, personal), headless output, control socket "
		 "control.sock",
		 h.dir);
	CHECK(harness_log_contains(&h, "good", expected));
	/* It only reads: no socket was made. */
	CHECK(access(h.control, F_OK) != 0);

	CHECK_EQ_INT(run_tessera(&h, "bad", "[output]\nwidth = 1\n", "--check-config"), 2);
	CHECK(harness_log_contains(&h, "bad", "bad:2: width 1 is out of range"));
	CHECK_EQ_INT(run_tessera(&h, "clash", "[domain control]\ncolour = red\n", "--check-config"),
		     2);
	CHECK(harness_log_contains(&h, "clash",
				   "clash:1: socket: 'control.sock' of domain "
				   "'control' is the control socket"));

	/* /dev/zero used to be read forever. */
	char tessera[512];
	snprintf(tessera, sizeof(tessera), "%s", harness_binary("compositor/tessera"));
	char *argv[] = {tessera, "--check-config", "/dev/zero", NULL};
	pid_t pid = harness_spawn(&h, "zero", argv);
	CHECK_EQ_INT(harness_wait(pid, DEADLINE_MS), 2);
	CHECK(harness_log_contains(&h, "zero", "/dev/zero:1: line is too long"));
	char *config_argv[] = {tessera, "--config", "/dev/zero", NULL};
	pid = harness_spawn(&h, "zero-config", config_argv);
	CHECK_EQ_INT(harness_wait(pid, DEADLINE_MS), 2);
}

TSR_TEST_MAIN(TSR_CASE(test_start), TSR_CASE(test_screenshot_new_and_existing_file),
	      TSR_CASE(test_screenshot_refuses_what_is_not_a_file),
	      TSR_CASE(test_idle_clients_do_not_lock_out), TSR_CASE(test_log_is_bounded),
	      TSR_CASE(test_stop), TSR_CASE(test_startup_leaves_non_sockets_alone),
	      TSR_CASE(test_config_errors_at_startup), TSR_CASE(test_check_config))
