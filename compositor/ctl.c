/* tessera-ctl: sends one command to a running Tessera's control socket and
 * prints the reply. Exit status 0 when the reply starts with "ok". */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int usage(FILE *out, int status)
{
	fprintf(out, "usage: tessera-ctl [--socket PATH] COMMAND [ARGUMENT]\n"
		     "  commands: list, status, stats NAME, focus NAME|N [OUTPUT],\n"
		     "            layout focus|mosaic [OUTPUT], lock, screenshot PATH [OUTPUT],\n"
		     "            gpu status|handoff|reclaim|timings, quit\n"
		     "  --socket PATH  the control socket (default: $TESSERA_CONTROL)\n"
		     "  --help\n"
		     "focus and layout act on OUTPUT (a name from status) or, without it, on the\n"
		     "  output under the pointer.\n"
		     "screenshot PATH writes a PNG (mode 0600) of what OUTPUT (default: the first\n"
		     "  output) shows to a new file renamed onto PATH and replies when it is in\n"
		     "  place. An existing regular file is replaced (never written through); a\n"
		     "  symlink, FIFO, device or directory at PATH is refused. A relative PATH\n"
		     "  is taken from this command's working directory.\n"
		     "  prints the reply; exit status 0 when it starts with \"ok\", 1 otherwise,\n"
		     "  2 for bad usage\n");
	return status;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--help") == 0)
		return usage(stdout, 0);
	const char *path = getenv("TESSERA_CONTROL");
	int first = 1;
	if (argc > 2 && strcmp(argv[1], "--socket") == 0) {
		path = argv[2];
		first = 3;
	}
	if (!path || first >= argc)
		return usage(stderr, 2);
	char line[1024] = "", cwd[512] = "";
	/* Tessera resolves a path in its own working directory: a relative
	 * screenshot path is made absolute here, where the user meant it. */
	bool absolutise =
	    strcmp(argv[first], "screenshot") == 0 && first + 1 < argc && argv[first + 1][0] != '/';
	if (absolutise && !getcwd(cwd, sizeof(cwd))) {
		perror("tessera-ctl: getcwd");
		return 1;
	}
	for (int i = first; i < argc; i++) {
		if (strlen(line) + strlen(argv[i]) + strlen(cwd) * absolutise + 3 >= sizeof(line))
			return usage(stderr, 2);
		if (absolutise && i == first + 1) {
			strcat(line, cwd);
			strcat(line, "/");
		}
		strcat(line, argv[i]);
		strcat(line, i + 1 < argc ? " " : "\n");
	}
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(address.sun_path)) {
		fprintf(stderr, "tessera-ctl: socket path too long\n");
		return 2;
	}
	strcpy(address.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof(address)) < 0) {
		perror("tessera-ctl: cannot connect to the control socket");
		return 1;
	}
	if (write(fd, line, strlen(line)) < 0) {
		perror("tessera-ctl: write");
		return 1;
	}
	char reply[4096]; /* control.c REPLY_MAX_BYTES */
	size_t length = 0;
	while (length + 1 < sizeof(reply)) {
		ssize_t count = read(fd, reply + length, 1);
		if (count <= 0 || reply[length] == '\n')
			break;
		length++;
	}
	reply[length] = '\0';
	close(fd);
	puts(reply);
	return strncmp(reply, "ok", 2) == 0 ? 0 : 1;
}
