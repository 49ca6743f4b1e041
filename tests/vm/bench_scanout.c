/* Runs in the VM (tests/vm/bench-scanout.sh), with udmabuf loaded: the
 * benchmark of issue 11's direct scanout. Figures, never pass/fail: it
 * exits non-zero only when it cannot run.
 *
 * Tessera on vkms (KMS backend, 1024x768, pixman); this program is a local
 * guest whose two sealed memfds are exactly its content box, committed in
 * turn with full damage, one commit per FRAME_DONE, in three configurations:
 * focus with direct scanout, focus composed (test-scanout off), and the
 * mosaic (composed). For each it prints, per presented frame: the frames
 * Tessera composed on the CPU, the pixels it drew and the CPU copies of the
 * guest's buffer they amount to (pixels drawn / the buffer's pixels), its
 * CPU time (/proc/PID/schedstat) as a ratio to a memcpy of one output frame
 * measured here, the guest's commit -> FRAME_DONE time and Tessera's
 * damage -> atomic commit time (status latency_*); then the ratios of
 * scanout to composition.
 *
 *   TSR_RESULTS_DIR=DIR bench-scanout      (device: /dev/dri/card0) */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "harness.h"
#include "vm_guest.h"

#define WIDTH 1024
#define HEIGHT 768
#define COMMITS 120
#define WARMUP_COMMITS 10

struct sample {
	unsigned long long frames, pixels, latency_sum_ns, latency_count, scanout, composed;
	uint64_t cpu_ns;
};

struct figures {
	double presented, composed_per_frame, pixels_per_frame, copies_per_frame;
	double cpu_per_frame_ns, commit_to_done_ns, damage_to_commit_ns;
	bool scanout_all_along;
};

static unsigned long long reply_number(const char *reply, const char *key)
{
	char pattern[64];
	snprintf(pattern, sizeof(pattern), " %s=", key);
	const char *found = strstr(reply, pattern);
	return found ? strtoull(found + strlen(pattern), NULL, 10) : 0;
}

static bool take_sample(struct harness *harness, struct sample *out)
{
	char reply[2048];
	if (!harness_control(harness, "status", reply, sizeof(reply)))
		return false;
	out->frames = reply_number(reply, "frames");
	out->pixels = reply_number(reply, "pixels");
	out->latency_sum_ns = reply_number(reply, "latency_sum_ns");
	out->latency_count = reply_number(reply, "latency_count");
	const char *counts = strstr(reply, " frames.Virtual-1=");
	if (!counts || sscanf(counts + strlen(" frames.Virtual-1="), "%llu/%llu", &out->scanout,
			      &out->composed) != 2)
		return false;
	return bench_cpu_time_ns(harness->compositor, &out->cpu_ns);
}

/* COMMITS commits, alternating buffers 1 and 2, each waiting for its
 * FRAME_DONE; the counters around them. */
static bool run(struct harness *harness, struct vm_guest *guest, struct figures *out)
{
	uint32_t width = guest->configured_width, height = guest->configured_height;
	for (int i = 0; i < WARMUP_COMMITS; i++)
		if (!vm_guest_commit(guest, 2, 1 + (uint32_t)(i & 1), width, height))
			return false;
	harness_sleep_ms(200);
	struct sample a, b;
	if (!take_sample(harness, &a))
		return false;
	int64_t waited_ns = 0;
	for (int i = 0; i < COMMITS; i++) {
		int64_t start = vm_now_ns();
		if (!vm_guest_commit(guest, 2, 1 + (uint32_t)(i & 1), width, height))
			return false;
		waited_ns += vm_now_ns() - start;
	}
	if (!take_sample(harness, &b))
		return false;
	double frames = (double)(b.frames - a.frames);
	if (frames <= 0)
		return false;
	double buffer_pixels = (double)width * height;
	*out = (struct figures){
	    .presented = frames,
	    .composed_per_frame = (double)(b.composed - a.composed) / frames,
	    .pixels_per_frame = (double)(b.pixels - a.pixels) / frames,
	    .copies_per_frame = (double)(b.pixels - a.pixels) / frames / buffer_pixels,
	    .cpu_per_frame_ns = (double)(b.cpu_ns - a.cpu_ns) / frames,
	    .commit_to_done_ns = (double)waited_ns / COMMITS,
	    .damage_to_commit_ns = b.latency_count > a.latency_count
				       ? (double)(b.latency_sum_ns - a.latency_sum_ns) /
					     (double)(b.latency_count - a.latency_count)
				       : 0,
	    .scanout_all_along = b.composed == a.composed && b.scanout > a.scanout,
	};
	return true;
}

static void print_row(const char *name, const struct figures *f, double memcpy_ns)
{
	printf("%-22s %6.0f %9.2f %12.0f %8.2f %9.3f ms %7.2f %9.2f ms %9.3f ms\n", name,
	       f->presented, f->composed_per_frame, f->pixels_per_frame, f->copies_per_frame,
	       f->cpu_per_frame_ns / 1e6, memcpy_ns > 0 ? f->cpu_per_frame_ns / memcpy_ns : 0,
	       f->commit_to_done_ns / 1e6, f->damage_to_commit_ns / 1e6);
}

static const char config_text[] = "[output]\nbackend = kms\nwidth = 1024\nheight = 768\n"
				  "renderer = pixman\n"
				  "[domain work]\ncolour = blue\n"
				  "[domain personal]\ncolour = green\n";

/* The VM's CPU as /proc/cpuinfo names it: under QEMU's TCG (no usable
 * KVM) every figure here is emulated time, slower than a real machine's by
 * an order of magnitude; the ratios are what carries over. */
static void cpu_model(char *out, size_t len)
{
	char line[256];
	FILE *file = fopen("/proc/cpuinfo", "r");
	snprintf(out, len, "unknown");
	while (file && fgets(line, sizeof(line), file)) {
		const char *colon = strchr(line, ':');
		if (strncmp(line, "model name", 10) == 0 && colon) {
			snprintf(out, len, "%s", colon + 2);
			out[strcspn(out, "\n")] = 0;
			break;
		}
	}
	if (file)
		fclose(file);
}

static bool control(struct harness *harness, const char *command)
{
	char reply[512];
	bool ok = harness_control(harness, command, reply, sizeof(reply));
	if (!ok)
		fprintf(stderr, "bench-scanout: %s: %s\n", command, reply);
	return ok;
}

int main(void)
{
	struct harness harness;
	struct vm_guest guest = {.socket = -1};
	int memfd[2] = {-1, -1};
	int status = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!harness_start(&harness, "bench-scanout", config_text)) {
		fprintf(stderr, "bench-scanout: tessera did not start on vkms\n");
		return 1;
	}
	char socket_path[512];
	harness_path(&harness, "work.sock", socket_path, sizeof(socket_path));
	if (!control(&harness, "layout focus") || !control(&harness, "focus work") ||
	    !vm_guest_connect(&guest, socket_path) || !vm_guest_learn_size(&guest) ||
	    !vm_guest_create_surface(&guest, 2, guest.configured_width, guest.configured_height)) {
		fprintf(stderr, "bench-scanout: the guest could not connect\n");
		goto out;
	}
	uint32_t width = guest.configured_width, height = guest.configured_height;
	size_t size = (size_t)width * 4 * height;
	for (int i = 0; i < 2; i++) {
		uint32_t *pixels = NULL;
		memfd[i] = vm_guest_memfd(size, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL, &pixels);
		if (memfd[i] < 0 ||
		    !vm_guest_attach(&guest, 2, 1 + (uint32_t)i, memfd[i], 0, (uint32_t)size)) {
			fprintf(stderr, "bench-scanout: no sealed memfd buffer\n");
			goto out;
		}
		memset(pixels, i ? 0x40 : 0xa0, size);
	}

	/* One memcpy of an output frame, the median of 15, in this process. */
	double memcpy_ns = bench_memcpy_frame_ns(WIDTH, HEIGHT, 15);
	struct figures scanout, composed, mosaic;
	bool ok = run(&harness, &guest, &scanout);
	ok = ok && control(&harness, "test-scanout off") && run(&harness, &guest, &composed);
	ok = ok && control(&harness, "test-scanout on") && control(&harness, "layout mosaic") &&
	     run(&harness, &guest, &mosaic);
	if (!ok) {
		fprintf(stderr, "bench-scanout: a run failed (is this a -Dtest_hooks build?)\n");
		goto out;
	}

	printf("direct scanout on vkms: tessera (KMS, %dx%d, pixman) + one local guest, "
	       "%ux%u sealed memfds (udmabuf), full damage, %d commits each\n",
	       WIDTH, HEIGHT, width, height, COMMITS);
	char model[128];
	cpu_model(model, sizeof(model));
	printf("VM CPU: %s%s\n", model,
	       strstr(model, "TCG") ? " (QEMU's emulator, no KVM: emulated time; read the ratios)"
				    : "");
	printf("memcpy of one output frame (%zu bytes): %.3f ms in this run (the baseline)\n",
	       (size_t)WIDTH * HEIGHT * 4, memcpy_ns / 1e6);
	printf("%-22s %6s %9s %12s %8s %12s %7s %12s %12s\n", "configuration", "frames", "composed",
	       "pixels/frame", "copies", "cpu/frame", "/memcpy", "commit->done", "damage->kms");
	print_row(scanout.scanout_all_along ? "focus, scanout" : "focus, scanout (mixed!)",
		  &scanout, memcpy_ns);
	print_row("focus, composed", &composed, memcpy_ns);
	print_row("mosaic, composed", &mosaic, memcpy_ns);
	printf("scanout / composition (focus): cpu per frame %.2f, commit->done %.2f, "
	       "damage->kms %.2f\n",
	       composed.cpu_per_frame_ns > 0 ? scanout.cpu_per_frame_ns / composed.cpu_per_frame_ns
					     : 0,
	       composed.commit_to_done_ns > 0
		   ? scanout.commit_to_done_ns / composed.commit_to_done_ns
		   : 0,
	       composed.damage_to_commit_ns > 0
		   ? scanout.damage_to_commit_ns / composed.damage_to_commit_ns
		   : 0);
	printf("(composed: frames Tessera drew on the CPU per presented frame; copies: "
	       "CPU-drawn pixels per frame / the guest buffer's pixels; commit->done: the "
	       "guest's COMMIT to its FRAME_DONE, which waits for vkms's vblank)\n");
	status = 0;
out:
	vm_guest_close(&guest);
	for (int i = 0; i < 2; i++)
		if (memfd[i] >= 0)
			close(memfd[i]);
	harness_stop(&harness);
	return status;
}
