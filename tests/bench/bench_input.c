/* Input path benchmark: a key written to a real uinput keyboard, read by the
 * real tessera through evdev (grabbed), through the seat, encoded as a KEY
 * message and written to the guest's transport, received here as the guest
 * (the local transport's agent side).
 *
 *  - latency: one event in flight at a time; write to uinput -> KEY decoded
 *    on the guest's socket; p50 and p99;
 *  - throughput: a window of WINDOW key events in flight (small enough for
 *    the kernel's per-client evdev buffer), sustained events per second.
 *
 * Both against a baseline measured in the same run over the same shape of
 * path without Tessera: a 24-byte record written to a unix socket pair, read
 * by a relay process, written to a second socket pair, read back here (two
 * process wake-ups, as uinput -> tessera -> guest has). Figures are ratios
 * to it; the absolute numbers depend on the machine (under TCG they are
 * slow).
 *
 * Needs root and /dev/uinput (the test VM: tests/vm/bench-input.sh); exits
 * 77 elsewhere. */
#include <errno.h>
#include <libevdev/libevdev-uinput.h>
#include <libevdev/libevdev.h>
#include <linux/input.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "transport.h"

#define DEVICE_NAME "tessera-bench-input"
#define LATENCY_SAMPLES 2000
#define THROUGHPUT_EVENTS 20000
#define WINDOW 16 /* key frames in flight: 32 evdev events, under the 64 the kernel buffers */
#define RECORD_SIZE 24

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

struct figures {
	double p50_us, p99_us;
	double events_per_second;
};

static void percentiles(uint64_t *samples, size_t count, struct figures *out)
{
	qsort(samples, count, sizeof(*samples), compare_u64);
	out->p50_us = samples[count / 2] / 1000.0;
	out->p99_us = samples[count * 99 / 100] / 1000.0;
}

/* ---- the path through tessera -------------------------------------------- */

struct path {
	struct harness harness;
	struct libevdev *template;
	struct libevdev_uinput *keyboard;
	struct agent_transport *guest;
	struct tsr_msg msg;
	bool pressed; /* KEY_A's state, so press and release alternate */
};

static void sleep_ms(int ms)
{
	struct timespec delay = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&delay, NULL);
}

/* Writes the next KEY_A transition as one frame. */
static bool write_key(struct path *path)
{
	path->pressed = !path->pressed;
	return libevdev_uinput_write_event(path->keyboard, EV_KEY, KEY_A, path->pressed) == 0 &&
	       libevdev_uinput_write_event(path->keyboard, EV_SYN, SYN_REPORT, 0) == 0;
}

/* Receives until `want` KEY messages arrived; false on error or 5 s idle. */
static bool receive_keys(struct path *path, size_t want)
{
	size_t got = 0;
	while (got < want) {
		char err[128];
		switch (agent_transport_receive(path->guest, &path->msg, err, sizeof(err))) {
		case AGENT_RECV_MESSAGE:
			got += path->msg.type == TSR_MSG_KEY;
			break;
		case AGENT_RECV_AGAIN: {
			struct pollfd fd = {.fd = agent_transport_get_fd(path->guest),
					    .events = POLLIN};
			if (poll(&fd, 1, 5000) <= 0) {
				fprintf(stderr, "bench_input: %zu of %zu events never arrived\n",
					want - got, want);
				return false;
			}
			break;
		}
		default:
			fprintf(stderr, "bench_input: guest connection failed: %s\n", err);
			return false;
		}
	}
	return true;
}

static bool path_start(struct path *path)
{
	path->template = libevdev_new();
	libevdev_set_name(path->template, DEVICE_NAME);
	libevdev_set_id_bustype(path->template, BUS_USB);
	for (unsigned code = KEY_ESC; code <= KEY_MICMUTE; code++)
		libevdev_enable_event_code(path->template, EV_KEY, code, NULL);
	if (libevdev_uinput_create_from_device(path->template, LIBEVDEV_UINPUT_OPEN_MANAGED,
					       &path->keyboard) < 0)
		return false;

	struct harness *harness = &path->harness;
	snprintf(harness->dir, sizeof(harness->dir), "/tmp/tessera-bench-input-XXXXXX");
	if (!mkdtemp(harness->dir))
		return false;
	char config_path[512], tessera[512];
	harness_path(harness, "tessera.conf", config_path, sizeof(config_path));
	FILE *file = fopen(config_path, "w");
	if (!file)
		return false;
	fputs("[output]\nwidth = 640\nheight = 400\n[domain bench]\ncolour = blue\n", file);
	fclose(file);
	harness_path(harness, "control.sock", harness->control, sizeof(harness->control));
	snprintf(tessera, sizeof(tessera), "%s", harness_binary("compositor/tessera"));
	char *argv[] = {tessera,	  "--config",	config_path,
			"--runtime-dir",  harness->dir, "--input",
			"--input-device", DEVICE_NAME,	NULL};
	harness->compositor = harness_spawn(harness, "tessera", argv);
	char reply[256];
	bool up = false;
	for (int waited = 0; !up && waited < 20000; waited += 20) {
		up = harness_control(harness, "status", reply, sizeof(reply));
		if (!up)
			sleep_ms(20);
	}
	if (!up || !harness_log_contains(harness, "tessera", "input: using " DEVICE_NAME)) {
		fprintf(stderr, "bench_input: tessera did not start with the device; see %s\n",
			harness->dir);
		return false;
	}

	/* The guest: HELLO with INPUT, then WELCOME. No surface is needed for
	 * keys, so tessera has nothing to draw for us. */
	char socket_path[512];
	harness_path(harness, "bench.sock", socket_path, sizeof(socket_path));
	path->guest = agent_transport_local.connect(socket_path);
	if (!path->guest)
		return false;
	struct tsr_msg hello = {.type = TSR_MSG_HELLO};
	hello.u.hello = (struct tsr_msg_hello){.major = TSR_PROTOCOL_MAJOR,
					       .minor = TSR_PROTOCOL_MINOR,
					       .capabilities = TSR_CAP_MEMFD | TSR_CAP_INPUT};
	if (!agent_transport_send(path->guest, &hello))
		return false;
	/* The first domain has focus; its focus-in follows the WELCOME. Warm
	 * up until a key gets through. */
	return write_key(path) && receive_keys(path, 1);
}

static void path_stop(struct path *path)
{
	agent_transport_destroy(path->guest);
	if (path->harness.compositor > 0 && !harness_stop(&path->harness))
		fprintf(stderr, "bench_input: tessera did not exit cleanly\n");
	libevdev_uinput_destroy(path->keyboard);
	libevdev_free(path->template);
}

static bool measure_tessera(struct path *path, struct figures *out)
{
	static uint64_t samples[LATENCY_SAMPLES];
	for (size_t i = 0; i < LATENCY_SAMPLES; i++) {
		uint64_t start = now_ns();
		if (!write_key(path) || !receive_keys(path, 1))
			return false;
		samples[i] = now_ns() - start;
	}
	percentiles(samples, LATENCY_SAMPLES, out);

	uint64_t start = now_ns();
	for (size_t sent = 0; sent < THROUGHPUT_EVENTS; sent += WINDOW) {
		for (size_t i = 0; i < WINDOW; i++)
			if (!write_key(path))
				return false;
		if (!receive_keys(path, WINDOW))
			return false;
	}
	out->events_per_second = THROUGHPUT_EVENTS / ((now_ns() - start) / 1e9);
	return true;
}

/* ---- the baseline: two socket hops through a relay process --------------- */

static void relay(int in, int out)
{
	char record[RECORD_SIZE];
	for (;;) {
		ssize_t count = read(in, record, sizeof(record));
		if (count <= 0 || write(out, record, (size_t)count) != count)
			_exit(0);
	}
}

static bool read_records(int fd, size_t count)
{
	char buffer[RECORD_SIZE * WINDOW];
	size_t want = count * RECORD_SIZE;
	while (want > 0) {
		ssize_t got = read(fd, buffer, want < sizeof(buffer) ? want : sizeof(buffer));
		if (got <= 0)
			return false;
		want -= (size_t)got;
	}
	return true;
}

static bool measure_baseline(struct figures *out)
{
	int to_relay[2], from_relay[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, to_relay) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, from_relay) < 0)
		return false;
	pid_t child = fork();
	if (child < 0)
		return false;
	if (child == 0) {
		close(to_relay[0]);
		close(from_relay[0]);
		relay(to_relay[1], from_relay[1]);
	}
	close(to_relay[1]);
	close(from_relay[1]);

	static uint64_t samples[LATENCY_SAMPLES];
	char record[RECORD_SIZE] = {0};
	bool ok = true;
	for (size_t i = 0; ok && i < LATENCY_SAMPLES; i++) {
		uint64_t start = now_ns();
		ok = write(to_relay[0], record, sizeof(record)) == (ssize_t)sizeof(record) &&
		     read_records(from_relay[0], 1);
		samples[i] = now_ns() - start;
	}
	if (ok)
		percentiles(samples, LATENCY_SAMPLES, out);

	uint64_t start = now_ns();
	for (size_t sent = 0; ok && sent < THROUGHPUT_EVENTS; sent += WINDOW) {
		for (size_t i = 0; ok && i < WINDOW; i++)
			ok = write(to_relay[0], record, sizeof(record)) == (ssize_t)sizeof(record);
		ok = ok && read_records(from_relay[0], WINDOW);
	}
	out->events_per_second = THROUGHPUT_EVENTS / ((now_ns() - start) / 1e9);
	close(to_relay[0]);
	close(from_relay[0]);
	waitpid(child, NULL, 0);
	return ok;
}

int main(void)
{
	if (geteuid() != 0 || access("/dev/uinput", W_OK) != 0) {
		fprintf(stderr, "bench_input: needs root and /dev/uinput (run it in the test VM: "
				"tests/vm/bench-input.sh); skipped\n");
		return 77;
	}
	struct figures baseline, tessera;
	if (!measure_baseline(&baseline)) {
		fprintf(stderr, "bench_input: baseline failed: %s\n", strerror(errno));
		return 1;
	}
	struct path path = {0};
	bool ok = path_start(&path) && measure_tessera(&path, &tessera);
	path_stop(&path);
	if (!ok)
		return 1;

	printf("baseline (unix socket -> relay process -> unix socket): p50 %.1f us, p99 %.1f us, "
	       "%.0f events/s\n",
	       baseline.p50_us, baseline.p99_us, baseline.events_per_second);
	printf("uinput -> tessera (evdev, seat, KEY message) -> guest socket: p50 %.1f us, "
	       "p99 %.1f us, %.0f events/s\n",
	       tessera.p50_us, tessera.p99_us, tessera.events_per_second);
	printf("input latency p50 %.2fx baseline, p99 %.2fx baseline; "
	       "sustained throughput %.2fx baseline (window %d, %d events)\n",
	       tessera.p50_us / baseline.p50_us, tessera.p99_us / baseline.p99_us,
	       tessera.events_per_second / baseline.events_per_second, WINDOW, THROUGHPUT_EVENTS);
	return 0;
}
