/* The whole compositor: the real tessera on the headless backend at
 * 1920x1080 with N real tessera-agent processes (local transport), for
 * N = 1, 4, 8, 16, 32 and full or demo damage (tessera-agent --damage).
 * Per configuration it prints tessera's CPU time per presented frame (its
 * utime+stime over a window / frames presented in it), frames per second,
 * its share of one core, pixels composed per frame, and the CPU per frame
 * as a ratio to a memcpy of the output frame measured in this same run.
 * --damage none runs (nothing drawn, every domain still commits and gets
 * FRAME_DONE every frame) give the fixed cost per domain and frame. Then,
 * under callgrind (short runs, counts that do not depend on machine load),
 * instructions per composed pixel at full damage.
 *
 * Not a test: figures only. It fails (exit 1) only when it cannot run;
 * exit 77 (skipped) when a needed program is missing. */
#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "harness.h"

#define WIDTH 1920
#define HEIGHT 1080
#define MAX_AGENTS 32
#define WINDOW_MS 2500
#define CALLGRIND_WINDOW_MS 4000

struct sample {
	uint64_t cpu_ns;
	uint64_t wall_ns;
	long long frames, pixels, frames_done;
};

struct result {
	double cpu_per_frame_ns, fps, core_share, pixels_per_frame, ticks_per_s;
};

struct run {
	struct harness harness;
	pid_t agents[MAX_AGENTS];
	int domains;
};

static void sleep_ms(int ms)
{
	struct timespec delay = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&delay, &delay) < 0 && errno == EINTR)
		;
}

static long long reply_number(const char *reply, const char *key)
{
	char pattern[64];
	snprintf(pattern, sizeof(pattern), " %s=", key);
	const char *found = strstr(reply, pattern);
	return found ? atoll(found + strlen(pattern)) : -1;
}

static bool take_sample(struct run *run, struct sample *out)
{
	char reply[512];
	if (!harness_control(&run->harness, "status", reply, sizeof(reply)))
		return false;
	out->frames = reply_number(reply, "frames");
	out->pixels = reply_number(reply, "pixels");
	out->frames_done = harness_stat(&run->harness, "d0", "frames_done");
	out->wall_ns = bench_now_ns();
	return bench_cpu_time_ns(run->harness.compositor, &out->cpu_ns) && out->frames >= 0 &&
	       out->pixels >= 0 && out->frames_done >= 0;
}

static void config_text(int domains, char *out, size_t len)
{
	size_t used =
	    (size_t)snprintf(out, len, "[output]\nwidth = %d\nheight = %d\n", WIDTH, HEIGHT);
	for (int i = 0; i < domains && used < len; i++)
		used += (size_t)snprintf(out + used, len - used,
					 "[domain d%d]\nlabel = domain %d\ncolour = #%06x\n", i, i,
					 (0x3465a4u + 0x1f3d5bu * (unsigned)i) & 0xffffffu);
}

/* Stops the run; its directory (sockets, logs) stays only when it failed. */
static void stop_run(struct run *run, bool keep_logs)
{
	for (int i = 0; i < run->domains; i++)
		if (run->agents[i] > 0)
			kill(run->agents[i], SIGTERM);
	for (int i = 0; i < run->domains; i++)
		if (run->agents[i] > 0)
			harness_wait(run->agents[i], 5000);
	bool clean = harness_stop(&run->harness);
	if (clean && !keep_logs && strncmp(run->harness.dir, "/tmp/tessera-test-", 18) == 0 &&
	    !strchr(run->harness.dir, '\'')) {
		char command[320];
		snprintf(command, sizeof(command), "rm -rf '%s'", run->harness.dir);
		if (system(command) != 0)
			fprintf(stderr, "bench_compositor: could not remove %s\n",
				run->harness.dir);
	}
}

/* Starts tessera (under wrapper, when not NULL) and the agents, and waits
 * until every domain has committed a few frames. */
static bool start_run(struct run *run, int domains, const char *damage, const char *const *wrapper,
		      int settle_timeout_ms)
{
	memset(run, 0, sizeof(*run));
	run->domains = domains;
	char config[MAX_AGENTS * 64 + 128];
	config_text(domains, config, sizeof(config));
	/* valgrind does not emulate seccomp: the filter stays off under it. */
	static const char *const no_sandbox[] = {"--no-sandbox", NULL};
	if (!harness_start_full(&run->harness, "bench", config, wrapper,
				wrapper ? no_sandbox : NULL))
		return false;
	char agent[512];
	snprintf(agent, sizeof(agent), "%s", harness_binary("guest-agent/tessera-agent"));
	for (int i = 0; i < domains; i++) {
		char socket_path[512], name[16], log_name[32], colour[8];
		snprintf(name, sizeof(name), "d%d", i);
		snprintf(log_name, sizeof(log_name), "agent-d%d", i);
		snprintf(colour, sizeof(colour), "%06x",
			 (0x808080u + 0x0b1d2fu * (unsigned)i) & 0xffffffu);
		harness_path(&run->harness, "", socket_path, sizeof(socket_path));
		strncat(socket_path, name, sizeof(socket_path) - strlen(socket_path) - 6);
		strcat(socket_path, ".sock");
		char *argv[] = {agent,	    "--socket", socket_path, "--damage", (char *)damage,
				"--colour", colour,	"--name",    name,	 NULL};
		run->agents[i] = harness_spawn(&run->harness, log_name, argv);
		if (run->agents[i] < 0)
			return false;
	}
	for (int i = 0; i < domains; i++) {
		char name[16];
		snprintf(name, sizeof(name), "d%d", i);
		if (!harness_wait_stat(&run->harness, name, "commits", 5, settle_timeout_ms))
			return false;
	}
	return true;
}

static bool measure(int domains, const char *damage, struct result *out)
{
	struct run run;
	struct sample a, b;
	bool ok = start_run(&run, domains, damage, NULL, 20000);
	if (ok) {
		sleep_ms(300); /* past the first full frames */
		ok = take_sample(&run, &a);
	}
	if (ok) {
		sleep_ms(WINDOW_MS);
		ok = take_sample(&run, &b);
	}
	stop_run(&run, !ok);
	if (!ok) {
		fprintf(stderr,
			"bench_compositor: %d domains, %s damage: the run failed (logs in %s)\n",
			domains, damage, run.harness.dir);
		return false;
	}
	double frames = (double)(b.frames - a.frames);
	double seconds = (double)(b.wall_ns - a.wall_ns) / 1e9;
	double cpu = (double)(b.cpu_ns - a.cpu_ns);
	double ticks = (double)(b.frames_done - a.frames_done);
	*out = (struct result){
	    .cpu_per_frame_ns = frames > 0 ? cpu / frames : 0,
	    .fps = frames / seconds,
	    .core_share = cpu / 1e9 / seconds,
	    .pixels_per_frame = frames > 0 ? (double)(b.pixels - a.pixels) / frames : 0,
	    .ticks_per_s = ticks / seconds,
	};
	/* With --damage none nothing is presented: the cost is per FRAME_DONE
	 * round (one per output frame) instead. */
	if (frames == 0 && ticks > 0)
		out->cpu_per_frame_ns = cpu / ticks;
	return true;
}

static bool have_program(const char *name)
{
	char command[128];
	snprintf(command, sizeof(command), "command -v %s >/dev/null 2>&1", name);
	return system(command) == 0;
}

static bool run_quiet(const char *command)
{
	char line[1024];
	snprintf(line, sizeof(line), "%s >/dev/null 2>&1", command);
	return system(line) == 0;
}

/* "summary: N" or "totals: N" of a callgrind dump. */
static long long callgrind_total(const char *pattern)
{
	glob_t found;
	long long total = -1;
	if (glob(pattern, 0, NULL, &found) != 0)
		return -1;
	for (size_t f = 0; f < found.gl_pathc; f++) {
		FILE *file = fopen(found.gl_pathv[f], "r");
		char line[512];
		while (file && fgets(line, sizeof(line), file)) {
			if (strncmp(line, "summary:", 8) == 0 || strncmp(line, "totals:", 7) == 0) {
				total = atoll(line + (line[0] == 's' ? 8 : 7));
				break;
			}
		}
		if (file)
			fclose(file);
	}
	globfree(&found);
	return total;
}

struct callgrind_figures {
	double instructions, frames, ticks, pixels;
};

/* Instructions tessera executes over a window (callgrind, whole process):
 * the counters are zeroed when the window opens and dumped when it closes
 * (callgrind_control), so start-up is not counted. */
static bool callgrind_window(int domains, const char *damage, struct callgrind_figures *out)
{
	struct run run;
	struct sample a, b;
	char out_file[512];
	char out_option[600];
	snprintf(out_file, sizeof(out_file), "/tmp/tessera-bench-callgrind.%d", (int)getpid());
	/* %p keeps the dumps of different runs apart. */
	snprintf(out_option, sizeof(out_option), "--callgrind-out-file=%s.%%p", out_file);
	const char *const wrapper[] = {"valgrind", "--tool=callgrind", "--quiet", out_option, NULL};
	bool ok = start_run(&run, domains, damage, wrapper, 60000);
	char command[700];
	if (ok) {
		sleep_ms(500);
		snprintf(command, sizeof(command), "callgrind_control -z %d",
			 (int)run.harness.compositor);
		ok = take_sample(&run, &a) && run_quiet(command);
	}
	if (ok) {
		sleep_ms(CALLGRIND_WINDOW_MS);
		snprintf(command, sizeof(command), "callgrind_control -d %d",
			 (int)run.harness.compositor);
		ok = take_sample(&run, &b) && run_quiet(command);
	}
	pid_t pid = run.harness.compositor;
	stop_run(&run, !ok);
	char pattern[600];
	snprintf(pattern, sizeof(pattern), "%s.%d.1", out_file, (int)pid);
	long long instructions = ok ? callgrind_total(pattern) : -1;
	snprintf(pattern, sizeof(pattern), "%s.%d*", out_file, (int)pid);
	glob_t found;
	if (glob(pattern, 0, NULL, &found) == 0) {
		for (size_t f = 0; f < found.gl_pathc; f++)
			unlink(found.gl_pathv[f]);
		globfree(&found);
	}
	if (instructions <= 0 || b.frames_done <= a.frames_done) {
		fprintf(stderr, "bench_compositor: callgrind run (%d domains, %s damage) failed\n",
			domains, damage);
		return false;
	}
	/* The dump comes just after the second sample: the counts cover the
	 * same frames give or take the one in flight. */
	*out = (struct callgrind_figures){
	    .instructions = (double)instructions,
	    .frames = (double)(b.frames - a.frames),
	    .ticks = (double)(b.frames_done - a.frames_done),
	    .pixels = (double)(b.pixels - a.pixels),
	};
	return true;
}

/* The floor of any per-domain cost here: one message to a process asleep
 * on the other core and its reply. CPU time of the sending side per
 * round, median of 5 batches (a wake-up's cost differs a lot between
 * machines: tens of us in nested virtual machines, a few on bare metal). */
static double wakeup_round_ns(void)
{
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair))
		return 0;
	pid_t child = fork();
	if (child < 0) {
		close(pair[0]);
		close(pair[1]);
		return 0;
	}
	if (child == 0) {
		close(pair[0]);
		char byte;
		while (read(pair[1], &byte, 1) == 1 && write(pair[1], &byte, 1) == 1)
			;
		_exit(0);
	}
	close(pair[1]);
	uint64_t samples[5];
	char byte = 0;
	for (int batch = 0; batch < 5; batch++) {
		uint64_t before = 0, after = 0;
		bench_cpu_time_ns(getpid(), &before);
		for (int i = 0; i < 100; i++)
			if (write(pair[0], &byte, 1) != 1 || read(pair[0], &byte, 1) != 1)
				break;
		bench_cpu_time_ns(getpid(), &after);
		samples[batch] = (after - before) / 100;
	}
	close(pair[0]); /* the child reads end-of-file and exits */
	waitpid(child, NULL, 0);
	return (double)bench_median_u64(samples, 5);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (access(harness_binary("compositor/tessera"), X_OK) ||
	    access(harness_binary("guest-agent/tessera-agent"), X_OK)) {
		fprintf(stderr, "bench_compositor: build tessera and tessera-agent first\n");
		return 77;
	}
	static const int counts[] = {1, 4, 8, 16, 32};
	static const char *const kinds[] = {"full", "demo"};
	/* The baseline: a memcpy of one output frame, median of 25. */
	double memcpy_ns = bench_memcpy_frame_ns(WIDTH, HEIGHT, 25);
	if (memcpy_ns <= 0)
		return 1;
	printf("whole compositor: tessera + N tessera-agent processes, headless %dx%d @ 60 Hz, "
	       "mosaic\n",
	       WIDTH, HEIGHT);
	printf("memcpy of one output frame (%.1f MB): %.3f ms in this run (the baseline)\n",
	       WIDTH * HEIGHT * 4 / 1e6, memcpy_ns / 1e6);
	printf("%7s %6s %10s %8s %8s %13s %14s\n", "domains", "damage", "cpu/frame", "frames/s",
	       "core", "pixels/frame", "cpu/memcpy");
	double full_cost[5] = {0}, demo_cost[5] = {0};
	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		for (size_t k = 0; k < 2; k++) {
			struct result r;
			if (!measure(counts[c], kinds[k], &r))
				return 1;
			(k ? demo_cost : full_cost)[c] = r.cpu_per_frame_ns;
			printf("%7d %6s %7.3f ms %8.1f %7.1f%% %13.0f %14.2f\n", counts[c],
			       kinds[k], r.cpu_per_frame_ns / 1e6, r.fps, r.core_share * 100,
			       r.pixels_per_frame, r.cpu_per_frame_ns / memcpy_ns);
		}
	}
	struct result none_1, none_32;
	if (!measure(1, "none", &none_1) || !measure(32, "none", &none_32))
		return 1;
	printf("--damage none (nothing drawn; every domain commits and gets FRAME_DONE each "
	       "frame):\n");
	double per_domain_ns = (none_32.cpu_per_frame_ns - none_1.cpu_per_frame_ns) / 31;
	double wakeup_ns = wakeup_round_ns();
	printf("  1 domain %.1f us, 32 domains %.1f us per frame: %.2f us per domain and frame\n",
	       none_1.cpu_per_frame_ns / 1e3, none_32.cpu_per_frame_ns / 1e3, per_domain_ns / 1e3);
	printf("  one socket wake-up round on this machine (send to a sleeping process, its "
	       "reply): %.2f us of CPU; per domain and frame = %.2f wake-up rounds\n",
	       wakeup_ns / 1e3, wakeup_ns > 0 ? per_domain_ns / wakeup_ns : 0);
	printf("demo damage at 32 domains costs %.1f%% of full damage at 32 domains\n",
	       100 * demo_cost[4] / full_cost[4]);

	if (!have_program("valgrind") || !have_program("callgrind_control")) {
		printf("instructions per composed pixel: skipped (valgrind is not installed; "
		       "tests/deps.sh all)\n");
		return 0;
	}
	printf("instructions per composed pixel at full damage (callgrind, whole tessera "
	       "process over a window):\n");
	static const int callgrind_counts[] = {1, 4};
	for (size_t c = 0; c < 2; c++) {
		struct callgrind_figures figures;
		if (!callgrind_window(callgrind_counts[c], "full", &figures) || figures.pixels <= 0)
			return 1;
		printf("  %2d domain%s %.3f instructions per pixel (%.2f M per frame)\n",
		       callgrind_counts[c], callgrind_counts[c] > 1 ? "s" : " ",
		       figures.instructions / figures.pixels,
		       figures.instructions / figures.frames / 1e6);
	}
	struct callgrind_figures none_1_ir, none_32_ir;
	if (!callgrind_window(1, "none", &none_1_ir) || !callgrind_window(32, "none", &none_32_ir))
		return 1;
	double per_domain_ir = (none_32_ir.instructions / none_32_ir.ticks -
				none_1_ir.instructions / none_1_ir.ticks) /
			       31;
	printf("instructions per domain and frame (--damage none, callgrind): %.0f\n",
	       per_domain_ir);
	return 0;
}
