/* Writes the seeds of fuzz_displif into DIR (tests/displif/corpus): a Linux
 * frontend's session, and hostile variants of it. Rerun after changing the
 * fuzz input layout: make_displif_corpus tests/displif/corpus */
#include <drm_fourcc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "displif_fake.h"

struct fuzz_header {
	uint32_t req_prod, rsp_prod, evt_cons, evt_prod;
	uint8_t connector, packets, mode_width_kib, mode_height_kib;
};

struct seed {
	struct fuzz_header header;
	uint8_t packets[32][64];
	uint8_t script[64];
	size_t script_len;
};

static void packet(struct seed *seed, unsigned slot, uint16_t id, uint8_t op)
{
	memset(seed->packets[slot], 0, 64);
	fake_header(seed->packets[slot], id, op);
}

static void linux_session(struct seed *seed)
{
	memset(seed, 0, sizeof(*seed));
	/* Slot 0 doubles as fake granted page 1: a one-page directory. */
	packet(seed, 0, 0, TSR_DISPLIF_OP_DBUF_CREATE);
	fake_put64(seed->packets[0], TSR_DISPLIF_DBUF_COOKIE, 0xffff888004a1b000ull);
	fake_put32(seed->packets[0], TSR_DISPLIF_DBUF_WIDTH, 64);
	fake_put32(seed->packets[0], TSR_DISPLIF_DBUF_HEIGHT, 48);
	fake_put32(seed->packets[0], TSR_DISPLIF_DBUF_BPP, 32);
	fake_put32(seed->packets[0], TSR_DISPLIF_DBUF_BUFFER_SZ, 64 * 48 * 4);
	fake_put32(seed->packets[0], TSR_DISPLIF_DBUF_GREF_DIRECTORY, 1);
	packet(seed, 1, 1, TSR_DISPLIF_OP_FB_ATTACH);
	fake_put64(seed->packets[1], TSR_DISPLIF_FB_DBUF_COOKIE, 0xffff888004a1b000ull);
	fake_put64(seed->packets[1], TSR_DISPLIF_FB_COOKIE, 0xffff888004a1c000ull);
	fake_put32(seed->packets[1], TSR_DISPLIF_FB_WIDTH, 64);
	fake_put32(seed->packets[1], TSR_DISPLIF_FB_HEIGHT, 48);
	fake_put32(seed->packets[1], TSR_DISPLIF_FB_FORMAT, DRM_FORMAT_XRGB8888);
	packet(seed, 2, 2, TSR_DISPLIF_OP_SET_CONFIG);
	fake_put64(seed->packets[2], TSR_DISPLIF_CFG_FB_COOKIE, 0xffff888004a1c000ull);
	fake_put32(seed->packets[2], TSR_DISPLIF_CFG_WIDTH, 64);
	fake_put32(seed->packets[2], TSR_DISPLIF_CFG_HEIGHT, 48);
	fake_put32(seed->packets[2], TSR_DISPLIF_CFG_BPP, 32);
	for (unsigned i = 3; i < 8; i++) {
		packet(seed, i, (uint16_t)i, TSR_DISPLIF_OP_PG_FLIP);
		fake_put64(seed->packets[i], TSR_DISPLIF_COOKIE, 0xffff888004a1c000ull);
	}
	packet(seed, 8, 8, TSR_DISPLIF_OP_FB_DETACH);
	fake_put64(seed->packets[8], TSR_DISPLIF_COOKIE, 0xffff888004a1c000ull);
	packet(seed, 9, 9, TSR_DISPLIF_OP_DBUF_DESTROY);
	fake_put64(seed->packets[9], TSR_DISPLIF_COOKIE, 0xffff888004a1b000ull);
	seed->header = (struct fuzz_header){
	    .req_prod = 10, .packets = 10, .mode_width_kib = 4, .mode_height_kib = 3};
	/* Initialising, Initialised (connect ok), Connected, Closing,
	 * Initialising, Initialised, toolstack Closing. */
	const uint8_t script[] = {0x01, 0x13, 0x04, 0x05, 0x01, 0x13, 0x25};
	memcpy(seed->script, script, sizeof(script));
	seed->script_len = sizeof(script);
}

static bool write_seed(const char *dir, const char *name, const struct seed *seed)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *file = fopen(path, "wb");
	if (!file) {
		perror(path);
		return false;
	}
	fwrite(&seed->header, sizeof(seed->header), 1, file);
	fwrite(seed->packets, 64, seed->header.packets, file);
	fwrite(seed->script, 1, seed->script_len, file);
	return fclose(file) == 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	struct seed *seed = calloc(1, sizeof(*seed));
	bool ok = seed != NULL;
	linux_session(seed);
	ok = ok && write_seed(argv[1], "linux-session", seed);
	/* req_prod a whole ring ahead of our responses, plus one. */
	linux_session(seed);
	seed->header.req_prod = 33;
	ok = ok && write_seed(argv[1], "prod-overflow", seed);
	/* A directory that lies: claims 3000 refs' worth of buffer. */
	linux_session(seed);
	fake_put32(seed->packets[0], TSR_DISPLIF_DBUF_WIDTH, 0);
	fake_put32(seed->packets[0], TSR_DISPLIF_DBUF_HEIGHT, 0);
	fake_put32(seed->packets[0], TSR_DISPLIF_DBUF_BPP, 0);
	fake_put32(seed->packets[0], TSR_DISPLIF_DBUF_BUFFER_SZ, 3000 * 4096);
	ok = ok && write_seed(argv[1], "lying-directory", seed);
	/* Geometry that overflows 32 bits, and an FB bigger than its buffer. */
	linux_session(seed);
	fake_put32(seed->packets[0], TSR_DISPLIF_DBUF_WIDTH, 65536);
	fake_put32(seed->packets[0], TSR_DISPLIF_DBUF_HEIGHT, 65536);
	fake_put32(seed->packets[1], TSR_DISPLIF_FB_WIDTH, 4095);
	fake_put32(seed->packets[1], TSR_DISPLIF_FB_HEIGHT, 2047);
	ok = ok && write_seed(argv[1], "overflowing-geometry", seed);
	/* A frontend that never consumes events, and one with a wild in_cons. */
	linux_session(seed);
	seed->header.evt_prod = 1000;
	seed->header.evt_cons = 1000 - 60;
	ok = ok && write_seed(argv[1], "event-ring-full", seed);
	seed->header.evt_cons = 2000;
	ok = ok && write_seed(argv[1], "event-cons-ahead", seed);
	/* State games: flapping, backend-only states, garbage. */
	linux_session(seed);
	seed->header.packets = 0;
	seed->header.req_prod = 0;
	for (size_t i = 0; i < 40; i++)
		seed->script[i] = i % 2 ? 0x01 : 0x13;
	seed->script[40] = 0x02;
	seed->script[41] = 'z';
	seed->script_len = 42;
	ok = ok && write_seed(argv[1], "state-games", seed);
	free(seed);
	return ok ? 0 : 1;
}
