/* tessera-agent: runs inside a guest, draws into shared buffers and hands
 * them to the Tessera compositor. See README.md for the options. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "session.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tessera-agent --socket PATH [options]\n"
		"  --socket PATH      the compositor's socket (local transport)\n"
		"  --transport NAME   local (default) or xen (vchan + grants, in a Xen guest)\n"
		"  --size WxH         surface size before any CONFIGURE (default 640x480)\n"
		"  --source NAME      demo (default)\n"
		"  --colour RRGGBB    demo background (default 808080)\n"
		"  --frames N         exit 0 after N presented frames (default: run forever)\n"
		"  --damage KIND      what each frame damages: demo (default: what the scene\n"
		"                     changed), full (the whole surface, redrawn every frame)\n"
		"                     or none (an empty DAMAGE: the scene stands still)\n"
		"  --log-input        print each input event on stdout\n"
		"  --inject uinput    replay input as a uinput keyboard and pointer\n"
		"  --name NAME        name used in our log lines\n"
		"  --help\n");
}

static bool parse_u64(const char *text, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!text[0] || text[0] == '-')
		return false;
	unsigned long long value = strtoull(text, &end, 10);
	if (errno || *end)
		return false;
	*out = value;
	return true;
}

static bool parse_size(const char *text, uint32_t *width, uint32_t *height)
{
	char *end;
	errno = 0;
	unsigned long w = strtoul(text, &end, 10);
	if (errno || end == text || *end != 'x')
		return false;
	const char *rest = end + 1;
	unsigned long h = strtoul(rest, &end, 10);
	if (errno || end == rest || *end || w == 0 || h == 0 || w > UINT32_MAX || h > UINT32_MAX)
		return false;
	*width = (uint32_t)w;
	*height = (uint32_t)h;
	return true;
}

static bool parse_colour(const char *text, uint32_t *colour)
{
	if (text[0] == '#')
		text++;
	if (strlen(text) != 6 || strspn(text, "0123456789abcdefABCDEF") != 6)
		return false;
	*colour = (uint32_t)strtoul(text, NULL, 16);
	return true;
}

static bool parse_damage(const char *text, enum agent_damage *damage)
{
	static const struct {
		const char *name;
		enum agent_damage damage;
	} kinds[] = {
	    {"demo", AGENT_DAMAGE_DEMO},
	    {"full", AGENT_DAMAGE_FULL},
	    {"none", AGENT_DAMAGE_NONE},
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(text, kinds[i].name) == 0) {
			*damage = kinds[i].damage;
			return true;
		}
	}
	return false;
}

/* Returns 0 to run, or an exit status (+1 to tell it from "run"). */
static int parse_options(int argc, char **argv, struct agent_options *options)
{
	enum {
		OPT_SOCKET = 256,
		OPT_TRANSPORT,
		OPT_SIZE,
		OPT_SOURCE,
		OPT_COLOUR,
		OPT_FRAMES,
		OPT_DAMAGE,
		OPT_LOG_INPUT,
		OPT_INJECT,
		OPT_NAME,
		OPT_HELP
	};
	static const struct option long_options[] = {
	    {"socket", required_argument, NULL, OPT_SOCKET},
	    {"transport", required_argument, NULL, OPT_TRANSPORT},
	    {"size", required_argument, NULL, OPT_SIZE},
	    {"source", required_argument, NULL, OPT_SOURCE},
	    {"colour", required_argument, NULL, OPT_COLOUR},
	    {"color", required_argument, NULL, OPT_COLOUR},
	    {"frames", required_argument, NULL, OPT_FRAMES},
	    {"damage", required_argument, NULL, OPT_DAMAGE},
	    {"log-input", no_argument, NULL, OPT_LOG_INPUT},
	    {"inject", required_argument, NULL, OPT_INJECT},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"help", no_argument, NULL, OPT_HELP},
	    {0},
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		switch (opt) {
		case OPT_SOCKET:
			options->socket_path = optarg;
			break;
		case OPT_TRANSPORT:
			options->transport = optarg;
			break;
		case OPT_SIZE:
			if (!parse_size(optarg, &options->width, &options->height)) {
				fprintf(stderr, "tessera-agent: bad --size '%s' (want WxH)\n",
					optarg);
				return 2 + 1;
			}
			break;
		case OPT_SOURCE:
			options->source = optarg;
			break;
		case OPT_COLOUR:
			if (!parse_colour(optarg, &options->colour)) {
				fprintf(stderr, "tessera-agent: bad --colour '%s' (want RRGGBB)\n",
					optarg);
				return 2 + 1;
			}
			break;
		case OPT_FRAMES:
			if (!parse_u64(optarg, &options->frames)) {
				fprintf(stderr, "tessera-agent: bad --frames '%s'\n", optarg);
				return 2 + 1;
			}
			break;
		case OPT_DAMAGE:
			if (!parse_damage(optarg, &options->damage)) {
				fprintf(stderr,
					"tessera-agent: unknown --damage '%s' (want demo, full or "
					"none)\n",
					optarg);
				return 2 + 1;
			}
			break;
		case OPT_LOG_INPUT:
			options->log_input = true;
			break;
		case OPT_INJECT:
			if (strcmp(optarg, "uinput") != 0) {
				fprintf(stderr,
					"tessera-agent: unknown --inject '%s' (want uinput)\n",
					optarg);
				return 2 + 1;
			}
			options->inject = optarg;
			break;
		case OPT_NAME:
			options->name = optarg;
			break;
		case OPT_HELP:
			usage(stdout);
			return 0 + 1;
		default:
			usage(stderr);
			return 2 + 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2 + 1;
	}
	if (strcmp(options->source, "demo") != 0) {
		fprintf(stderr, "tessera-agent: unknown --source '%s'\n", options->source);
		return 2 + 1;
	}
	/* Xen needs no address: the vchan lives under our own xenstore home. */
	if (!options->socket_path &&
	    (!options->transport || strcmp(options->transport, "xen") != 0)) {
		fprintf(stderr, "tessera-agent: --socket PATH is required\n");
		return 2 + 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct agent_options options = {
	    .transport = "local",
	    .width = 640,
	    .height = 480,
	    .source = "demo",
	    .colour = 0x808080,
	    .name = "agent",
	};
	int parsed = parse_options(argc, argv, &options);
	if (parsed)
		return parsed - 1;

	/* Signals arrive through a signalfd in the poll loop, so shutdown is
	 * an ordinary event and needs no global flag. */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		perror("tessera-agent: sigprocmask");
		return 1;
	}
	int signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (signal_fd < 0) {
		perror("tessera-agent: signalfd");
		return 1;
	}
	int status = agent_session_run(&options, signal_fd);
	close(signal_fd);
	return status;
}
