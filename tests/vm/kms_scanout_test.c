/* Runs in the VM (tests/vm/kms-scanout.sh), with udmabuf loaded: direct
 * scanout (issue 11, point 1). Tessera runs on vkms (KMS backend, focus
 * layout); this program is a local guest whose sealed memfd reaches
 * Tessera as a udmabuf dma-buf, exactly the size of its content box, so
 * Tessera puts it on vkms's overlay plane at the content box, with its
 * banner and border composed on the primary plane.
 *
 * Checks: status says scanout.NAME=work; the writeback capture equals a
 * capture of the same scene with scanout forbidden (test-scanout off: the
 * composed rendering), pixel for pixel, and holds the guest's pattern in
 * its content box; the guest rewrites its memfd with no message and the
 * next capture follows, with no frame composed; each exit (mosaic, focus
 * on another domain, the buffer destroyed, the guest dropped for a
 * violation) goes back to composition and the capture equals the composed
 * one; a scanout commit that fails after TEST_ONLY passed (test-scanout
 * fail 1) falls back to composition in the same frame.
 *
 *   TSR_RESULTS_DIR=DIR kms-scanout-test      (device: /dev/dri/card0)
 *
 * Prints "ok"/"FAIL" per check and "N passed, N failed". */
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "harness.h"
#include "tessera/buffer.h"
#include "tessera/image.h"
#include "tessera/protocol.h"
#include "vm_guest.h"

#define SETTLE_MS 700

static int passed, failed;
static struct harness harness;

static bool check(bool condition, const char *what)
{
	printf("%s %s\n", condition ? "ok  " : "FAIL", what);
	fflush(stdout);
	if (condition)
		passed++;
	else
		failed++;
	return condition;
}

/* Patterns that differ in every pixel and from the background. */
static uint32_t pattern_first(uint32_t x, uint32_t y)
{
	return 0xff000000u | ((x * 3 + y + 17) & 0xff) << 16 |
	       ((y * 5 + (x >> 4) + 91) & 0xff) << 8 | ((x ^ y ^ 0x3c) & 0xff);
}

static uint32_t pattern_second(uint32_t x, uint32_t y)
{
	return pattern_first(x, y) ^ 0x00a5c35au;
}

static uint32_t pattern_third(uint32_t x, uint32_t y)
{
	return pattern_first(x, y) ^ 0x005a3ca5u;
}

/* ---- the guest (vm_guest.c): surface 2, exactly the content box ------- */

static bool guest_connect(struct vm_guest *guest, const char *path)
{
	return vm_guest_connect(guest, path) && vm_guest_learn_size(guest) &&
	       vm_guest_create_surface(guest, 2, guest->configured_width, guest->configured_height);
}

static int guest_memfd(size_t size, uint32_t **map)
{
	return vm_guest_memfd(size, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL, map);
}

static bool guest_attach(struct vm_guest *guest, uint32_t buffer_id, int fd, uint32_t size)
{
	return vm_guest_attach(guest, 2, buffer_id, fd, 0, size);
}

/* Full damage, COMMIT, FRAME_DONE. */
static bool guest_commit(struct vm_guest *guest, uint32_t buffer_id)
{
	return vm_guest_commit(guest, 2, buffer_id, guest->configured_width,
			       guest->configured_height);
}

/* ---- Tessera's side ----------------------------------------------------- */

static bool wait_status(const char *text, int ms)
{
	int64_t deadline = vm_now_ms() + ms;
	char reply[2048] = "";
	while (vm_now_ms() < deadline) {
		if (harness_control(&harness, "status", reply, sizeof(reply)) &&
		    strstr(reply, text))
			return true;
		harness_sleep_ms(50);
	}
	printf("  status (waited for %s): %s\n", text, reply);
	return false;
}

/* frames.OUTPUT=SCANOUT/COMPOSED of the first output. */
static bool frames(unsigned long long *scanout, unsigned long long *composed)
{
	char reply[2048];
	if (!harness_control(&harness, "status", reply, sizeof(reply)))
		return false;
	const char *at = strstr(reply, " frames.");
	const char *equals = at ? strchr(at, '=') : NULL;
	return equals && sscanf(equals + 1, "%llu/%llu", scanout, composed) == 2;
}

static void control(const char *command)
{
	char reply[512];
	if (!harness_control(&harness, command, reply, sizeof(reply)))
		printf("  %s: %s\n", command, reply);
}

static struct tsr_buffer *capture(const char *name)
{
	char path[512], command[600], reply[700], err[256];
	const char *results = getenv("TSR_RESULTS_DIR");
	if (results)
		snprintf(path, sizeof(path), "%s/%s.png", results, name);
	else
		harness_path(&harness, name, path, sizeof(path));
	harness_sleep_ms(SETTLE_MS); /* a few frames after the change */
	snprintf(command, sizeof(command), "screenshot %s", path);
	if (!harness_control(&harness, command, reply, sizeof(reply))) {
		printf("  screenshot: %s\n", reply);
		return NULL;
	}
	struct tsr_buffer *image = tsr_png_read(path, err, sizeof(err));
	if (!image)
		printf("  %s: %s\n", path, err);
	return image;
}

static uint64_t differences(const struct tsr_buffer *a, const struct tsr_buffer *b)
{
	if (!a || !b || a->width != b->width || a->height != b->height)
		return UINT64_MAX;
	uint64_t count = 0;
	for (uint32_t y = 0; y < a->height; y++) {
		const uint32_t *ra =
		    (const uint32_t *)((const uint8_t *)a->data + (size_t)y * a->stride);
		const uint32_t *rb =
		    (const uint32_t *)((const uint8_t *)b->data + (size_t)y * b->stride);
		for (uint32_t x = 0; x < a->width; x++) {
			if ((ra[x] & 0xffffff) != (rb[x] & 0xffffff) && count++ < 5)
				printf("  pixel (%u,%u): %06x vs %06x\n", x, y, ra[x] & 0xffffff,
				       rb[x] & 0xffffff);
		}
	}
	if (count)
		printf("  %" PRIu64 " pixels differ\n", count);
	return count;
}

/* Whether image shows pattern, width x height, somewhere: found by its
 * first row's start, then every pixel compared. */
static bool shows_pattern(const struct tsr_buffer *image, uint32_t width, uint32_t height,
			  uint32_t (*pattern)(uint32_t, uint32_t))
{
	for (uint32_t y0 = 0; image && y0 + height <= image->height; y0++) {
		for (uint32_t x0 = 0; x0 + width <= image->width; x0++) {
			bool all = true;
			for (uint32_t y = 0; y < height && all; y++) {
				const uint32_t *row =
				    (const uint32_t *)((const uint8_t *)image->data +
						       (size_t)(y0 + y) * image->stride) +
				    x0;
				for (uint32_t x = 0; x < width && all; x++)
					all = (row[x] & 0xffffff) == (pattern(x, y) & 0xffffff);
				if (!all && y == 0)
					break;
			}
			if (all) {
				printf("  the guest's %ux%u pattern is at %u,%u\n", width, height,
				       x0, y0);
				return true;
			}
		}
	}
	return false;
}

/* The capture now against one with scanout forbidden (composition). */
static void compare_with_composition(const char *name)
{
	char other[64];
	struct tsr_buffer *shown = capture(name);
	control("test-scanout off");
	snprintf(other, sizeof(other), "%s-composed", name);
	struct tsr_buffer *composed = capture(other);
	control("test-scanout on");
	char what[160];
	snprintf(what, sizeof(what),
		 "%s: the capture equals the composed rendering, pixel for pixel", name);
	check(shown && composed && differences(shown, composed) == 0, what);
	tsr_buffer_destroy(shown);
	tsr_buffer_destroy(composed);
	harness_sleep_ms(SETTLE_MS);
}

/* Tessera's log next to the captures, for a look after the VM is gone. */
static void keep_log(void)
{
	const char *results = getenv("TSR_RESULTS_DIR");
	char from[512], to[512], line[1024];
	if (!results)
		return;
	harness_path(&harness, "tessera.log", from, sizeof(from));
	snprintf(to, sizeof(to), "%s/tessera.log", results);
	FILE *in = fopen(from, "r"), *out = fopen(to, "w");
	while (in && out && fgets(line, sizeof(line), in))
		fputs(line, out);
	if (in)
		fclose(in);
	if (out)
		fclose(out);
}

static const char config_text[] = "[output]\nbackend = kms\nwidth = 640\nheight = 480\n"
				  "renderer = pixman\n"
				  "[domain work]\ncolour = blue\n"
				  "[domain personal]\ncolour = green\n";

int main(void)
{
	struct vm_guest guest = {.socket = -1};
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!check(harness_start(&harness, "kms-scanout", config_text), "tessera started on vkms"))
		return 1;
	check(harness_wait_log(&harness, "tessera", "overlay plane", 5000),
	      "the KMS output has an overlay plane");
	control("layout focus");
	control("focus work");

	char socket_path[512];
	harness_path(&harness, "work.sock", socket_path, sizeof(socket_path));
	if (!check(guest_connect(&guest, socket_path), "the guest connects and learns its size"))
		goto out;
	uint32_t width = guest.configured_width, height = guest.configured_height;
	size_t size = (size_t)width * 4 * height;
	printf("  content box %ux%u\n", width, height);
	uint32_t *first = NULL, *second = NULL;
	int memfd1 = guest_memfd(size, &first), memfd2 = guest_memfd(size, &second);
	if (!check(memfd1 >= 0 && memfd2 >= 0, "two sealed memfds"))
		goto out;
	vm_guest_fill(first, width, height, pattern_first);
	vm_guest_fill(second, width, height, pattern_second);
	if (!check(guest_attach(&guest, 1, memfd1, (uint32_t)size) &&
		       guest_attach(&guest, 2, memfd2, (uint32_t)size) && guest_commit(&guest, 1),
		   "buffer 1 committed and shown (FRAME_DONE)"))
		goto out;

	/* (1) scanout of work */
	check(wait_status(" scanout.Virtual-1=work ", 5000),
	      "(1) status says scanout.Virtual-1=work");
	check(harness_wait_log(&harness, "tessera", "output Virtual-1: scanout of work", 5000),
	      "... and Tessera logged the change of mode once");

	/* (2) the capture equals the composed rendering */
	struct tsr_buffer *shown = capture("scanout-first");
	check(shows_pattern(shown, width, height, pattern_first),
	      "(2) the capture holds the guest's pattern in its content box");
	tsr_buffer_destroy(shown);
	compare_with_composition("scanout-first");
	check(wait_status(" scanout.Virtual-1=work ", 5000),
	      "... scanout again after test-scanout on");

	/* (3) zero copies: the guest rewrites its memfd, no message */
	unsigned long long scanout_before = 0, composed_before = 0, scanout_after = 0,
			   composed_after = 0;
	harness_sleep_ms(SETTLE_MS);
	check(frames(&scanout_before, &composed_before), "frame counters in status");
	long long commits = harness_stat(&harness, "work", "commits");
	vm_guest_fill(first, width, height, pattern_third);
	shown = capture("scanout-rewritten");
	check(shows_pattern(shown, width, height, pattern_third),
	      "(3) after the guest rewrote its memfd (no commit) the capture shows the new pixels");
	tsr_buffer_destroy(shown);
	check(frames(&scanout_after, &composed_after) && composed_after == composed_before,
	      "... and Tessera composed no frame meanwhile");
	check(harness_stat(&harness, "work", "commits") == commits, "... nor saw a commit");
	printf("  frames scanout %llu -> %llu, composed %llu -> %llu\n", scanout_before,
	       scanout_after, composed_before, composed_after);
	vm_guest_fill(first, width, height, pattern_first);

	/* The second buffer replaces the first on the plane; the first is
	 * released once the plane no longer shows it. */
	check(guest_commit(&guest, 2) && wait_status(" scanout.Virtual-1=work ", 5000),
	      "buffer 2 committed: still scanout");
	vm_guest_read_until(&guest, NULL, 500);
	check(guest.released[1] >= 1, "... and buffer 1 was released");
	shown = capture("scanout-second");
	check(shows_pattern(shown, width, height, pattern_second),
	      "... the capture shows buffer 2");
	tsr_buffer_destroy(shown);

	/* (4) exits */
	control("layout mosaic");
	check(wait_status(" scanout.Virtual-1=none ", 5000), "(4) mosaic: composition");
	check(harness_wait_log(&harness, "tessera", "output Virtual-1: composition: mosaic layout",
			       5000),
	      "... logged with its reason");
	compare_with_composition("exit-mosaic");
	control("layout focus");
	check(wait_status(" scanout.Virtual-1=work ", 5000), "focus again: scanout of work");

	control("focus personal");
	check(wait_status(" scanout.Virtual-1=none ", 5000),
	      "(4) focus on another domain: composition");
	compare_with_composition("exit-focus");
	control("focus work");
	check(wait_status(" scanout.Virtual-1=work ", 5000), "focus back: scanout of work");

	/* (5) the real commit fails after TEST_ONLY passed */
	control("test-scanout fail 1");
	check(guest_commit(&guest, 1), "buffer 1 committed with the next scanout commit failing");
	check(harness_wait_log(&harness, "tessera", "scanout commit failed [injected for tests]",
			       5000),
	      "(5) the scanout commit failed (injected)");
	check(wait_status(" scanout.Virtual-1=none ", 5000), "... and the output composes");
	shown = capture("fallback");
	check(shows_pattern(shown, width, height, pattern_first),
	      "... showing the guest's buffer composed");
	tsr_buffer_destroy(shown);
	compare_with_composition("fallback");
	check(guest_commit(&guest, 2) && wait_status(" scanout.Virtual-1=work ", 5000),
	      "another buffer: scanout again");

	/* (4) the guest destroys the buffer on the plane */
	struct tsr_msg msg = {.type = TSR_MSG_BUFFER_DESTROY};
	msg.u.buffer_destroy.buffer_id = 2;
	uint32_t released_before = guest.released[2];
	check(vm_guest_send(&guest, &msg, -1), "the guest destroys buffer 2 (on the plane)");
	check(wait_status(" scanout.Virtual-1=none ", 5000), "(4) buffer destroyed: composition");
	vm_guest_read_until(&guest, NULL, 500);
	check(guest.released[2] == released_before + 1, "... and its final release came");
	compare_with_composition("exit-destroyed");

	/* (4) a hostile guest dropped while on the plane */
	check(guest_commit(&guest, 1) && wait_status(" scanout.Virtual-1=work ", 5000),
	      "buffer 1 again: scanout");
	msg = (struct tsr_msg){.type = TSR_MSG_COMMIT};
	msg.u.commit = (struct tsr_msg_commit){2, 7, 7}; /* no buffer 7 */
	check(vm_guest_send(&guest, &msg, -1), "the guest commits a buffer it never attached");
	check(harness_wait_log(&harness, "tessera", "dropped:", 5000), "... and is dropped");
	check(wait_status(" scanout.Virtual-1=none ", 5000), "(4) guest dropped: composition");
	compare_with_composition("exit-dropped");
	check(frames(&scanout_after, &composed_after) && composed_after > composed_before,
	      "composition frames were counted");
	check(harness_alive(harness.compositor), "Tessera still runs");
out:
	vm_guest_close(&guest);
	check(harness_stop(&harness), "tessera exits cleanly");
	keep_log();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
