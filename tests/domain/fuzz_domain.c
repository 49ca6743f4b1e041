/* libFuzzer target for everything a guest's bytes reach in the compositor:
 * the stream framing (the transports' frame reader), the decoder, the
 * per-domain state machine (ids, sizes, buffers, damage, commits), the real
 * memfd import checks and the renderer that reads the guest's pixels.
 *
 * The input is what a guest writes on its connection, cut into reads of
 * varying size. Each attach gets a real sealed memfd of the size the
 * message declares (up to a cap), so the import's offset/size checks run
 * on guest numbers. A violation drops the guest the way a transport does
 * and the rest of the input arrives on a fresh connection. AddressSanitizer
 * and UBSan turn any out-of-bounds access or overflow into a crash.
 *
 * The server is created once (fonts, outputs); each input starts from a
 * disconnected domain, so inputs do not depend on each other. Inputs of odd
 * length arrive on a fixed-size link (core/guest_link.h, as the PV display
 * has): no CONFIGURE, strides of any alignment (read through the renderer's
 * scratch copy), every surface laid out side by side and scaled. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/domain.h"
#include "core/domain_testing.h"
#include "core/guest_link.h"
#include "core/server.h"
#include "tessera/config.h"
#include "tessera/event_loop.h"
#include "transport/framing.h"
#include "transport/memfd_buffer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Larger attaches fail the import (as an over-quota buffer would): keeps
 * each run fast and within libFuzzer's memory limit. */
#define FUZZ_MAX_MEMFD_BYTES (4u << 20)
#define FUZZ_DOMAIN_INDEX 0

struct fuzz_world {
	struct tsr_config config;
	struct tsr_event_loop *loop;
	struct tsr_server *server;
	struct tsr_backend *backend;
	struct tsr_frame_reader reader;
	bool fixed_size; /* links of this input */
};

static bool fuzz_send(struct tsr_guest_link *link, const struct tsr_msg *msg)
{
	/* Encode like the real send queue would, so compositor-side
	 * messages built from guest values are checked too. */
	uint8_t bytes[TSR_MAX_MESSAGE_SIZE];
	if (tsr_msg_encode(msg, bytes, sizeof(bytes)) == 0)
		abort();
	return true;
}

static struct tsr_buffer *fuzz_import(struct tsr_guest_link *link, const struct tsr_msg *msg,
				      const struct tsr_buffer_request *request, char *err,
				      size_t err_len)
{
	if (msg->type != TSR_MSG_BUFFER_ATTACH_MEMFD) {
		snprintf(err, err_len, "only memfd buffers on this link");
		return NULL;
	}
	const struct tsr_msg_buffer_attach_memfd *attach = &msg->u.attach_memfd;
	/* The guest's memfd holds what it promised after the offset. */
	uint64_t memfd_bytes = (uint64_t)attach->offset + attach->size;
	if (memfd_bytes > FUZZ_MAX_MEMFD_BYTES) {
		snprintf(err, err_len, "fuzzer: memfd of %llu bytes too large",
			 (unsigned long long)memfd_bytes);
		return NULL;
	}
	int fd = memfd_create("fuzz-guest-buffer", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		abort();
	if (ftruncate(fd, (off_t)memfd_bytes) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		abort();
	struct tsr_buffer *buffer =
	    tsr_memfd_buffer_import(fd, attach->offset, attach->size, request, err, err_len);
	close(fd);
	return buffer;
}

static void fuzz_link_destroy(struct tsr_guest_link *link)
{
	free(link);
}

static const struct tsr_guest_link_impl fuzz_link_impl = {
    .send = fuzz_send,
    .import_buffer = fuzz_import,
    .destroy = fuzz_link_destroy,
};

static struct fuzz_world *world_get(void)
{
	static struct fuzz_world *world;
	if (world)
		return world;
	/* Drops are expected by the thousand; TESSERA_LOG=info shows them. */
	setenv("TESSERA_LOG", "error", 0);
	world = calloc(1, sizeof(*world));
	static const char config_text[] = "[output]\n"
					  "width = 320\n"
					  "height = 200\n"
					  "[domain work]\n"
					  "colour = blue\n"
					  "[domain personal]\n"
					  "colour = green\n";
	char err[256];
	if (!world ||
	    !tsr_config_load_string(&world->config, config_text, "fuzz", err, sizeof(err)))
		abort();
	/* A fast simulated refresh: frames complete within a dispatch. */
	world->config.output.refresh_mhz = 1000000000u;
	world->loop = tsr_event_loop_create();
	world->server = tsr_server_create(world->loop, &world->config, err, sizeof(err));
	if (!world->loop || !world->server)
		abort();
	struct tsr_backend_listener listener = {.output_added = tsr_server_add_output,
						.data = world->server};
	world->backend = tsr_backend_headless_create(world->loop, &world->config.output, &listener);
	if (!world->backend || !world->backend->impl->start(world->backend) ||
	    !tsr_frame_reader_init(&world->reader))
		abort();
	tsr_server_focus(world->server, FUZZ_DOMAIN_INDEX);
	return world;
}

/* Renders what is pending: the renderer reads the guest's buffers here. */
static void settle(struct fuzz_world *world)
{
	for (int i = 0; i < 16; i++) {
		bool busy = false;
		for (size_t o = 0; o < tsr_server_output_count(world->server); o++) {
			struct tsr_output_state *state = tsr_server_output(world->server, o);
			busy |= state->frame_pending || pixman_region32_not_empty(&state->damage);
		}
		if (!busy)
			return;
		tsr_event_loop_dispatch(world->loop, 1);
	}
}

static struct tsr_guest_link *connect_guest(struct fuzz_world *world)
{
	struct tsr_guest_link *link = calloc(1, sizeof(*link));
	if (!link)
		abort();
	link->impl = &fuzz_link_impl;
	link->fixed_size = world->fixed_size;
	struct tsr_domain *domain = tsr_server_domain(world->server, FUZZ_DOMAIN_INDEX);
	/* The fuzzer drops and reconnects by the thousand: the cool-down
	 * policy (tested in tests/unit) would refuse it. */
	tsr_domain_test_forget_violations(domain);
	if (!tsr_domain_attach_link(domain, link, -1))
		abort();
	tsr_frame_reader_reset(&world->reader);
	return link;
}

/* What a transport does on a violation: tell the core, which destroys the
 * link. */
static void drop(struct tsr_guest_link *link, const char *reason)
{
	link->listener.closed(link->listener.data, reason, true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_world *world = world_get();
	world->fixed_size = size % 2 == 1;
	struct tsr_guest_link *link = connect_guest(world);
	/* Read sizes vary with the data so reassembly is exercised: reads of
	 * 1..61 bytes, chosen by a cheap generator seeded from the input. */
	uint32_t state = (uint32_t)size * 2654435761u + 1;
	size_t position = 0;
	unsigned messages = 0;
	while (position < size) {
		state = state * 1103515245u + 12345u;
		size_t chunk = 1 + (state >> 16) % 61;
		size_t missing = tsr_frame_reader_missing(&world->reader);
		if (chunk > missing)
			chunk = missing;
		if (chunk > size - position)
			chunk = size - position;
		memcpy(tsr_frame_reader_tail(&world->reader), data + position, chunk);
		position += chunk;
		const struct tsr_msg *msg = NULL;
		char err[128] = "";
		switch (tsr_frame_reader_push(&world->reader, chunk, &msg, err, sizeof(err))) {
		case TSR_FRAME_INCOMPLETE:
			break;
		case TSR_FRAME_INVALID:
			drop(link, err);
			link = connect_guest(world);
			break;
		case TSR_FRAME_COMPLETE:
			if (!link->listener.message(link->listener.data, msg)) {
				drop(link, "violation");
				link = connect_guest(world);
				break;
			}
			/* Layout changes send CONFIGUREs and move the frame. */
			if (++messages % 16 == 0)
				tsr_server_set_layout(world->server, (messages / 16) % 2
									 ? TSR_LAYOUT_MOSAIC
									 : TSR_LAYOUT_FOCUS);
			if (msg->type == TSR_MSG_COMMIT)
				settle(world);
			break;
		}
	}
	settle(world);
	/* The guest hangs up: everything of it must go, leaving no state for
	 * the next input (LeakSanitizer checks the buffers were freed). */
	link->listener.closed(link->listener.data, "end of input", false);
	tsr_server_set_layout(world->server, TSR_LAYOUT_FOCUS);
	settle(world);
	return 0;
}
