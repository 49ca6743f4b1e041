/* Unit tests for the protocol codec: exact byte layout, round trips of
 * every message, and the hostile inputs a guest (or a compromised
 * compositor, for the agent) can send. Every decode runs on a heap buffer
 * of exactly the message's size so that ASan sees any over-read. */
#include <limits.h>
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>
#include <linux/input-event-codes.h>

#include "protocol_test_util.h"
#include "tessera/protocol.h"
#include "test.h"

#define ERR_LEN 160

/* One decoded message, reused by every case (struct tsr_msg is ~64 KiB). */
static struct tsr_msg *scratch(void)
{
	static struct tsr_msg *msg;
	if (msg == NULL) {
		msg = calloc(1, sizeof(*msg));
	}
	return msg;
}

static uint8_t *copy_exact(const uint8_t *bytes, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	if (len) {
		memcpy(copy, bytes, len);
	}
	return copy;
}

static bool decode_exact(const uint8_t *bytes, size_t len, enum tsr_direction dir,
			 struct tsr_msg *out, char *err)
{
	uint8_t *copy = copy_exact(bytes, len);
	bool ok = tsr_msg_decode(copy, len, dir, out, err, ERR_LEN);
	free(copy);
	return ok;
}

/* Encodes msg into a heap buffer of exactly the encoded size. */
static uint8_t *encode_alloc(const struct tsr_msg *msg, size_t *out_len)
{
	uint8_t *big = malloc(TSR_MAX_MESSAGE_SIZE);
	size_t len = tsr_msg_encode(msg, big, TSR_MAX_MESSAGE_SIZE);
	*out_len = len;
	if (len == 0) {
		free(big);
		return NULL;
	}
	uint8_t *exact = copy_exact(big, len);
	free(big);
	return exact;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Decode must fail and say something containing why. */
#define EXPECT_REJECT(bytes, len, dir, why)                                                        \
	do {                                                                                       \
		char reject_err_[ERR_LEN] = "";                                                    \
		CHECK(!decode_exact((bytes), (len), (dir), scratch(), reject_err_));               \
		if (strstr(reject_err_, (why)) == NULL) {                                          \
			fprintf(stderr, "%s:%d: error \"%s\" lacks \"%s\"\n", __FILE__, __LINE__,  \
				reject_err_, (why));                                               \
			tsr_test_failures++;                                                       \
		}                                                                                  \
	} while (0)

/* Encodes an example, overwrites the u32 at offset, and expects rejection. */
static void reject_tweaked(enum tsr_msg_type type, size_t offset, uint32_t value, const char *why)
{
	struct tsr_msg *msg = calloc(1, sizeof(*msg));
	enum tsr_direction dir = tsr_test_example(msg, type, 2);
	size_t len;
	uint8_t *bytes = encode_alloc(msg, &len);
	CHECK(bytes != NULL);
	if (bytes != NULL) {
		CHECK(offset + 4 <= len);
		put_u32(bytes + offset, value);
		EXPECT_REJECT(bytes, len, dir, why);
	}
	free(bytes);
	free(msg);
}

static void test_golden_bytes(void)
{
	struct tsr_msg msg = {.type = TSR_MSG_HELLO, .u.hello = {1, 2, 0x01020304}};
	uint8_t buf[64];
	static const uint8_t hello[] = {1, 0, 0, 0, 16, 0, 0, 0, 1, 0, 2, 0, 4, 3, 2, 1};
	CHECK_EQ_INT(tsr_msg_encode(&msg, buf, sizeof(buf)), sizeof(hello));
	CHECK(memcmp(buf, hello, sizeof(hello)) == 0);

	msg.type = TSR_MSG_POINTER_MOTION;
	msg.u.pointer_motion = (struct tsr_msg_pointer_motion){5, -1, 2, 0x1122334455667788ull};
	static const uint8_t motion[] = {69,   0,    0,	   0,	 28,   0,    0,	   0,	5, 0,
					 0,    0,    255,  255,	 255,  255,  2,	   0,	0, 0,
					 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11};
	CHECK_EQ_INT(tsr_msg_encode(&msg, buf, sizeof(buf)), sizeof(motion));
	CHECK(memcmp(buf, motion, sizeof(motion)) == 0);

	msg.type = TSR_MSG_FOCUS_OUT;
	static const uint8_t focus_out[] = {73, 0, 0, 0, 8, 0, 0, 0};
	CHECK_EQ_INT(tsr_msg_encode(&msg, buf, sizeof(buf)), sizeof(focus_out));
	CHECK(memcmp(buf, focus_out, sizeof(focus_out)) == 0);
}

static void test_lengths_of_every_type(void)
{
	static const struct {
		enum tsr_msg_type type;
		size_t len;
	} expected[] = {
	    {TSR_MSG_HELLO, 16},
	    {TSR_MSG_SURFACE_CREATE, 28},
	    {TSR_MSG_SURFACE_DESTROY, 12},
	    {TSR_MSG_BUFFER_ATTACH_MEMFD, 24},
	    {TSR_MSG_BUFFER_ATTACH_GRANTS, 32},
	    {TSR_MSG_BUFFER_DESTROY, 12},
	    {TSR_MSG_DAMAGE, 272},
	    {TSR_MSG_COMMIT, 20},
	    {TSR_MSG_WELCOME, 24},
	    {TSR_MSG_CONFIGURE, 20},
	    {TSR_MSG_FRAME_DONE, 24},
	    {TSR_MSG_BUFFER_RELEASE, 12},
	    {TSR_MSG_KEY, 24},
	    {TSR_MSG_POINTER_MOTION, 28},
	    {TSR_MSG_POINTER_BUTTON, 24},
	    {TSR_MSG_POINTER_AXIS, 24},
	    {TSR_MSG_FOCUS_IN, 140},
	    {TSR_MSG_FOCUS_OUT, 8},
	    {TSR_MSG_ERROR, 76},
	};
	struct tsr_msg *msg = calloc(1, sizeof(*msg));
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		tsr_test_example(msg, expected[i].type, 2);
		size_t len;
		uint8_t *bytes = encode_alloc(msg, &len);
		CHECK_EQ_INT(len, expected[i].len);
		free(bytes);
	}
	free(msg);
}

/* Every example survives encode -> decode -> encode, the decoded struct
 * matches field by field, and the re-encoding is byte-identical. */
static void test_round_trip_every_type(void)
{
	struct tsr_msg *in = calloc(1, sizeof(*in));
	struct tsr_msg *out = scratch();
	for (size_t i = 0; i < TSR_TEST_TYPE_COUNT; i++) {
		enum tsr_direction dir = tsr_test_example(in, tsr_test_all_types[i], 5);
		size_t len, len2;
		uint8_t *bytes = encode_alloc(in, &len);
		CHECK(bytes != NULL);
		if (bytes == NULL) {
			continue;
		}
		char err[ERR_LEN] = "";
		bool ok = decode_exact(bytes, len, dir, out, err);
		if (!ok) {
			fprintf(stderr, "round trip of %s: %s\n",
				tsr_msg_type_name(tsr_test_all_types[i]), err);
		}
		CHECK(ok);
		CHECK_EQ_INT(out->type, in->type);
		uint8_t *again = encode_alloc(out, &len2);
		CHECK_EQ_INT(len2, len);
		CHECK(again != NULL && memcmp(again, bytes, len) == 0);
		free(again);
		free(bytes);
	}
	free(in);
}

/* The bytes of the union member a message of this type uses. */
static size_t member_size(enum tsr_msg_type type)
{
	const struct tsr_msg *m = NULL;
	switch (type) {
	case TSR_MSG_HELLO:
		return sizeof(m->u.hello);
	case TSR_MSG_SURFACE_CREATE:
		return sizeof(m->u.surface_create);
	case TSR_MSG_SURFACE_DESTROY:
		return sizeof(m->u.surface_destroy);
	case TSR_MSG_BUFFER_ATTACH_MEMFD:
		return sizeof(m->u.attach_memfd);
	case TSR_MSG_BUFFER_ATTACH_GRANTS:
		return offsetof(struct tsr_msg_buffer_attach_grants, refs) + 5 * sizeof(uint32_t);
	case TSR_MSG_BUFFER_DESTROY:
		return sizeof(m->u.buffer_destroy);
	case TSR_MSG_DAMAGE:
		return sizeof(m->u.damage);
	case TSR_MSG_COMMIT:
		return sizeof(m->u.commit);
	case TSR_MSG_WELCOME:
		return sizeof(m->u.welcome);
	case TSR_MSG_CONFIGURE:
		return sizeof(m->u.configure);
	case TSR_MSG_FRAME_DONE:
		return sizeof(m->u.frame_done);
	case TSR_MSG_BUFFER_RELEASE:
		return sizeof(m->u.buffer_release);
	case TSR_MSG_KEY:
		return sizeof(m->u.key);
	case TSR_MSG_POINTER_MOTION:
		return sizeof(m->u.pointer_motion);
	case TSR_MSG_POINTER_BUTTON:
		return sizeof(m->u.pointer_button);
	case TSR_MSG_POINTER_AXIS:
		return sizeof(m->u.pointer_axis);
	case TSR_MSG_FOCUS_IN:
		return sizeof(m->u.focus_in);
	case TSR_MSG_FOCUS_OUT:
		return 0;
	case TSR_MSG_ERROR:
		return sizeof(m->u.error);
	}
	return 0;
}

/* Senders build messages in a reused scratch (core/domain.c, the agent's
 * session) and write only the member of the type they send: the encoder
 * must read nothing else. A scratch full of garbage around that member
 * encodes to exactly the bytes of a zeroed message. */
static void test_encode_reads_only_the_types_member(void)
{
	struct tsr_msg *clean = calloc(1, sizeof(*clean));
	struct tsr_msg *dirty = malloc(sizeof(*dirty));
	for (size_t i = 0; i < TSR_TEST_TYPE_COUNT; i++) {
		enum tsr_msg_type type = tsr_test_all_types[i];
		tsr_test_example(clean, type, 5);
		memset(dirty, 0xa5, sizeof(*dirty));
		dirty->type = type;
		memcpy(&dirty->u, &clean->u, member_size(type));
		size_t clean_len, dirty_len;
		uint8_t *expected = encode_alloc(clean, &clean_len);
		uint8_t *got = encode_alloc(dirty, &dirty_len);
		CHECK(expected != NULL && got != NULL && clean_len == dirty_len);
		if (expected && got && clean_len == dirty_len && memcmp(expected, got, clean_len))
			fprintf(stderr, "%s: encoding reads beyond its member\n",
				tsr_msg_type_name(type));
		CHECK(expected && got && memcmp(expected, got, clean_len) == 0);
		free(expected);
		free(got);
	}
	free(clean);
	free(dirty);
}

static void test_round_trip_fields(void)
{
	struct tsr_msg *in = calloc(1, sizeof(*in));
	struct tsr_msg *out = scratch();
	char err[ERR_LEN];
	size_t len;
	uint8_t *bytes;

	tsr_test_example(in, TSR_MSG_SURFACE_CREATE, 0);
	bytes = encode_alloc(in, &len);
	CHECK(decode_exact(bytes, len, TSR_FROM_GUEST, out, err));
	CHECK_EQ_INT(out->u.surface_create.surface_id, 7);
	CHECK_EQ_INT(out->u.surface_create.width, 640);
	CHECK_EQ_INT(out->u.surface_create.height, 480);
	CHECK_EQ_INT(out->u.surface_create.fourcc, DRM_FORMAT_XRGB8888);
	CHECK_EQ_INT(out->u.surface_create.stride, 2560);
	free(bytes);

	tsr_test_example(in, TSR_MSG_DAMAGE, 0);
	bytes = encode_alloc(in, &len);
	CHECK(decode_exact(bytes, len, TSR_FROM_GUEST, out, err));
	CHECK_EQ_INT(out->u.damage.count, 3);
	CHECK_EQ_INT(out->u.damage.rects[1].x, -5);
	CHECK_EQ_INT(out->u.damage.rects[1].y, INT32_MIN);
	CHECK_EQ_INT(out->u.damage.rects[1].height, UINT32_MAX);
	CHECK_EQ_INT(out->u.damage.rects[2].x, INT32_MAX);
	CHECK_EQ_INT(out->u.damage.rects[3].width, 0);
	free(bytes);

	tsr_test_example(in, TSR_MSG_FRAME_DONE, 0);
	bytes = encode_alloc(in, &len);
	CHECK(decode_exact(bytes, len, TSR_FROM_COMPOSITOR, out, err));
	CHECK(out->u.frame_done.time_ns == 0x0123456789abcdefull);
	CHECK_EQ_INT(out->u.frame_done.serial, 0xfffffffe);
	free(bytes);

	tsr_test_example(in, TSR_MSG_POINTER_MOTION, 0);
	bytes = encode_alloc(in, &len);
	CHECK(decode_exact(bytes, len, TSR_FROM_COMPOSITOR, out, err));
	CHECK_EQ_INT(out->u.pointer_motion.x, -3);
	CHECK_EQ_INT(out->u.pointer_motion.y, INT32_MAX);
	CHECK(out->u.pointer_motion.time_ns == 42);
	free(bytes);

	tsr_test_example(in, TSR_MSG_KEY, 0);
	bytes = encode_alloc(in, &len);
	CHECK(decode_exact(bytes, len, TSR_FROM_COMPOSITOR, out, err));
	CHECK(out->u.key.time_ns == UINT64_MAX);
	CHECK_EQ_INT(out->u.key.state, TSR_KEY_REPEAT);
	free(bytes);

	tsr_test_example(in, TSR_MSG_ERROR, 0);
	bytes = encode_alloc(in, &len);
	CHECK(decode_exact(bytes, len, TSR_FROM_COMPOSITOR, out, err));
	CHECK(strcmp(out->u.error.text, "SURFACE_CREATE: stride 100 < width 64 * 4") == 0);
	free(bytes);

	tsr_test_example(in, TSR_MSG_WELCOME, 0);
	bytes = encode_alloc(in, &len);
	CHECK(decode_exact(bytes, len, TSR_FROM_COMPOSITOR, out, err));
	CHECK_EQ_INT(out->u.welcome.major, 1);
	CHECK_EQ_INT(out->u.welcome.max_width, 3840);
	CHECK_EQ_INT(out->u.welcome.max_height, 2160);
	free(bytes);
	free(in);
}

static void test_grants_round_trip_sizes(void)
{
	static const uint32_t counts[] = {1, 2, 1000, TSR_MAX_GRANT_REFS};
	struct tsr_msg *in = calloc(1, sizeof(*in));
	struct tsr_msg *out = scratch();
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		tsr_test_example(in, TSR_MSG_BUFFER_ATTACH_GRANTS, counts[i]);
		size_t len;
		uint8_t *bytes = encode_alloc(in, &len);
		CHECK_EQ_INT(len, 24 + 4 * (size_t)counts[i]);
		char err[ERR_LEN];
		size_t total = 0;
		CHECK(bytes && tsr_header_check(bytes, TSR_FROM_GUEST, &total, err, sizeof(err)));
		CHECK_EQ_INT(total, len);
		CHECK(bytes && decode_exact(bytes, len, TSR_FROM_GUEST, out, err));
		CHECK_EQ_INT(out->u.attach_grants.ref_count, counts[i]);
		CHECK_EQ_INT(out->u.attach_grants.refs[counts[i] - 1],
			     0x1000 + (counts[i] - 1) * 3);
		free(bytes);
	}
	CHECK_EQ_INT(TSR_MAX_MESSAGE_SIZE, 24 + 4 * TSR_MAX_GRANT_REFS);

	/* Encoder refuses counts the decoder would refuse. */
	uint8_t *buf = malloc(TSR_MAX_MESSAGE_SIZE + 64);
	in->u.attach_grants.ref_count = 0;
	CHECK_EQ_INT(tsr_msg_encode(in, buf, TSR_MAX_MESSAGE_SIZE + 64), 0);
	in->u.attach_grants.ref_count = TSR_MAX_GRANT_REFS + 1;
	CHECK_EQ_INT(tsr_msg_encode(in, buf, TSR_MAX_MESSAGE_SIZE + 64), 0);
	free(buf);
	free(in);
}

static bool header_ok(uint32_t type, uint32_t len, enum tsr_direction dir, size_t *total)
{
	uint8_t header[TSR_HEADER_SIZE];
	put_u32(header, type);
	put_u32(header + 4, len);
	char err[ERR_LEN];
	memset(err, 'x', sizeof(err));
	bool ok = tsr_header_check(header, dir, total, err, sizeof(err));
	if (!ok) {
		CHECK(memchr(err, 0, sizeof(err)) != NULL);
	}
	return ok;
}

/* Every fixed-size type accepts its one length and nothing else. */
static void test_header_every_wrong_length(void)
{
	struct tsr_msg *msg = calloc(1, sizeof(*msg));
	for (size_t i = 0; i < TSR_TEST_TYPE_COUNT; i++) {
		enum tsr_msg_type type = tsr_test_all_types[i];
		if (type == TSR_MSG_BUFFER_ATTACH_GRANTS) {
			continue;
		}
		enum tsr_direction dir = tsr_test_example(msg, type, 0);
		size_t len;
		uint8_t *bytes = encode_alloc(msg, &len);
		size_t total = 12345;
		CHECK(header_ok(type, (uint32_t)len, dir, &total));
		CHECK_EQ_INT(total, len);
		/* All lengths up to twice the right one, then the extremes. */
		for (uint32_t wrong = 0; wrong < 2 * len + 8; wrong++) {
			if (wrong != len) {
				CHECK(!header_ok(type, wrong, dir, &total));
			}
		}
		static const uint32_t extremes[] = {
		    UINT32_MAX,	 UINT32_MAX - 3,       UINT32_MAX - 7,		INT32_MAX,
		    0x80000000u, TSR_MAX_MESSAGE_SIZE, TSR_MAX_MESSAGE_SIZE + 4};
		for (size_t e = 0; e < sizeof(extremes) / sizeof(extremes[0]); e++) {
			CHECK(!header_ok(type, extremes[e], dir, &total));
		}
		/* The full decoder agrees: the right body with a wrong header
		 * length, and a buffer one byte short or long. */
		put_u32(bytes + 4, (uint32_t)len + 4);
		EXPECT_REJECT(bytes, len, dir, "length");
		put_u32(bytes + 4, (uint32_t)len);
		EXPECT_REJECT(bytes, len - 1, dir,
			      len - 1 < TSR_HEADER_SIZE ? "truncated" : "header says");
		uint8_t *longer = calloc(1, len + 1);
		memcpy(longer, bytes, len);
		EXPECT_REJECT(longer, len + 1, dir, "header says");
		free(longer);
		free(bytes);
	}
	free(msg);
}

static void test_header_grants_lengths(void)
{
	size_t total = 0;
	CHECK(!header_ok(TSR_MSG_BUFFER_ATTACH_GRANTS, 24, TSR_FROM_GUEST, &total));
	CHECK(header_ok(TSR_MSG_BUFFER_ATTACH_GRANTS, 28, TSR_FROM_GUEST, &total));
	CHECK_EQ_INT(total, 28);
	for (uint32_t len = 29; len < 32; len++) {
		CHECK(!header_ok(TSR_MSG_BUFFER_ATTACH_GRANTS, len, TSR_FROM_GUEST, &total));
	}
	CHECK(
	    header_ok(TSR_MSG_BUFFER_ATTACH_GRANTS, TSR_MAX_MESSAGE_SIZE, TSR_FROM_GUEST, &total));
	CHECK_EQ_INT(total, TSR_MAX_MESSAGE_SIZE);
	static const uint32_t bad[] = {0,
				       8,
				       20,
				       TSR_MAX_MESSAGE_SIZE + 4,
				       TSR_MAX_MESSAGE_SIZE + 1,
				       TSR_MAX_MESSAGE_SIZE - 1,
				       UINT32_MAX,
				       UINT32_MAX - 3,
				       UINT32_MAX - 23,
				       0x80000018u};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(!header_ok(TSR_MSG_BUFFER_ATTACH_GRANTS, bad[i], TSR_FROM_GUEST, &total));
	}
	/* Grants travel guest -> compositor only. */
	CHECK(!header_ok(TSR_MSG_BUFFER_ATTACH_GRANTS, 28, TSR_FROM_COMPOSITOR, &total));
}

static void test_truncated(void)
{
	static const uint8_t hello[] = {1, 0, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
	for (size_t len = 0; len < TSR_HEADER_SIZE; len++) {
		EXPECT_REJECT(hello, len, TSR_FROM_GUEST, "truncated");
	}
	for (size_t len = TSR_HEADER_SIZE; len < sizeof(hello); len++) {
		EXPECT_REJECT(hello, len, TSR_FROM_GUEST, "HELLO");
	}
	char err[ERR_LEN];
	CHECK(decode_exact(hello, sizeof(hello), TSR_FROM_GUEST, scratch(), err));
}

static void test_grants_count_mismatch(void)
{
	struct tsr_msg *msg = calloc(1, sizeof(*msg));
	tsr_test_example(msg, TSR_MSG_BUFFER_ATTACH_GRANTS, 3);
	size_t len;
	uint8_t *bytes = encode_alloc(msg, &len);
	static const uint32_t wrong[] = {
	    0, 2, 4, TSR_MAX_GRANT_REFS, TSR_MAX_GRANT_REFS + 1, UINT32_MAX};
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		put_u32(bytes + 20, wrong[i]);
		EXPECT_REJECT(bytes, len, TSR_FROM_GUEST, "ref_count");
	}
	free(bytes);
	free(msg);
}

static void test_wrong_direction(void)
{
	struct tsr_msg *msg = calloc(1, sizeof(*msg));
	for (size_t i = 0; i < TSR_TEST_TYPE_COUNT; i++) {
		enum tsr_direction dir = tsr_test_example(msg, tsr_test_all_types[i], 1);
		enum tsr_direction other =
		    dir == TSR_FROM_GUEST ? TSR_FROM_COMPOSITOR : TSR_FROM_GUEST;
		size_t len, total;
		uint8_t *bytes = encode_alloc(msg, &len);
		EXPECT_REJECT(bytes, len, other, " only");
		char err[ERR_LEN];
		CHECK(!tsr_header_check(bytes, other, &total, err, sizeof(err)));
		CHECK(tsr_header_check(bytes, dir, &total, err, sizeof(err)));
		free(bytes);
	}
	free(msg);
}

static void test_unknown_types(void)
{
	static const uint32_t unknown[] = {0,	9,	   10,		63,	   75,
					   128, 0x100 + 1, 0x80000001u, UINT32_MAX};
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		uint8_t bytes[16] = {0};
		put_u32(bytes, unknown[i]);
		put_u32(bytes + 4, 16);
		EXPECT_REJECT(bytes, sizeof(bytes), TSR_FROM_GUEST, "unknown");
		EXPECT_REJECT(bytes, sizeof(bytes), TSR_FROM_COMPOSITOR, "unknown");
		CHECK(strcmp(tsr_msg_type_name(unknown[i]), "UNKNOWN") == 0);
	}
	struct tsr_msg msg = {.type = (enum tsr_msg_type)99};
	uint8_t buf[64];
	CHECK_EQ_INT(tsr_msg_encode(&msg, buf, sizeof(buf)), 0);
}

static void test_surface_create_limits(void)
{
	/* Offsets: header 8, surface_id 8, width 12, height 16, fourcc 20, stride 24. */
	reject_tweaked(TSR_MSG_SURFACE_CREATE, 12, 0, "SURFACE_CREATE: width 0 out of range");
	reject_tweaked(TSR_MSG_SURFACE_CREATE, 16, 0, "SURFACE_CREATE: height 0 out of range");
	reject_tweaked(TSR_MSG_SURFACE_CREATE, 12, TSR_MAX_DIMENSION + 1, "width 16385");
	reject_tweaked(TSR_MSG_SURFACE_CREATE, 16, UINT32_MAX, "height 4294967295");
	reject_tweaked(TSR_MSG_SURFACE_CREATE, 20, DRM_FORMAT_RGB565, "fourcc");
	reject_tweaked(TSR_MSG_SURFACE_CREATE, 20, 0, "unsupported");
	reject_tweaked(TSR_MSG_SURFACE_CREATE, 24, 2556, "stride 2556 < width 640 * 4");
	reject_tweaked(TSR_MSG_SURFACE_CREATE, 24, 2562, "not a multiple of 4");

	/* The exact message the README promises. */
	struct tsr_msg *msg = calloc(1, sizeof(*msg));
	tsr_test_example(msg, TSR_MSG_SURFACE_CREATE, 0);
	msg->u.surface_create.width = 64;
	msg->u.surface_create.stride = 256;
	size_t len;
	uint8_t *bytes = encode_alloc(msg, &len);
	put_u32(bytes + 24, 100);
	char err[ERR_LEN];
	CHECK(!decode_exact(bytes, len, TSR_FROM_GUEST, scratch(), err));
	CHECK(strcmp(err, "SURFACE_CREATE: stride 100 < width 64 * 4") == 0);
	free(bytes);

	/* Encoder refuses the same. */
	uint8_t buf[64];
	msg->u.surface_create.stride = 100;
	CHECK_EQ_INT(tsr_msg_encode(msg, buf, sizeof(buf)), 0);
	free(msg);
}

static void test_validate_surface(void)
{
	char err[ERR_LEN];
	const uint32_t xrgb = DRM_FORMAT_XRGB8888, argb = DRM_FORMAT_ARGB8888;
	CHECK(tsr_validate_surface(1, 1, xrgb, 4, err, sizeof(err)));
	CHECK(tsr_validate_surface(640, 480, argb, 2560, err, sizeof(err)));
	/* Exactly the byte cap: 16384 px * 4 = 65536 stride, 1024 rows. */
	CHECK(tsr_validate_surface(16384, 1024, xrgb, 65536, err, sizeof(err)));
	CHECK(!tsr_validate_surface(16384, 1025, xrgb, 65536, err, sizeof(err)));
	CHECK(strstr(err, "> 67108864") != NULL);
	/* stride * height overflows 32 bits: must be caught, not wrapped. */
	CHECK(!tsr_validate_surface(1, 16384, xrgb, 0xfffffffc, err, sizeof(err)));
	CHECK(!tsr_validate_surface(1, 2, xrgb, 0x80000000u, err, sizeof(err)));
	CHECK(!tsr_validate_surface(16384, 16384, xrgb, 65536, err, sizeof(err)));
	/* width * bpp above 32 bits cannot slip under stride. */
	CHECK(!tsr_validate_surface(UINT32_MAX, 1, xrgb, 0xfffffffc, err, sizeof(err)));
	CHECK(!tsr_validate_surface(16384, 1, xrgb, 65532, err, sizeof(err)));
	CHECK(!tsr_validate_surface(0, 1, xrgb, 4, err, sizeof(err)));
	CHECK(!tsr_validate_surface(1, 0, xrgb, 4, err, sizeof(err)));
	CHECK(!tsr_validate_surface(1, 1, DRM_FORMAT_NV12, 4, err, sizeof(err)));
	CHECK_EQ_INT(tsr_format_bpp(xrgb), 4);
	CHECK_EQ_INT(tsr_format_bpp(argb), 4);
	CHECK_EQ_INT(tsr_format_bpp(DRM_FORMAT_RGB565), 0);
	CHECK_EQ_INT(tsr_format_bpp(0), 0);
}

static void test_other_field_limits(void)
{
	/* CONFIGURE: header 8, surface_id 8, width 12, height 16. */
	reject_tweaked(TSR_MSG_CONFIGURE, 12, 0, "CONFIGURE: width 0");
	reject_tweaked(TSR_MSG_CONFIGURE, 16, TSR_MAX_DIMENSION + 1, "CONFIGURE: height 16385");
	/* WELCOME: major/minor 8, caps 12, max_width 16, max_height 20. */
	reject_tweaked(TSR_MSG_WELCOME, 16, 0, "WELCOME: max_width 0");
	reject_tweaked(TSR_MSG_WELCOME, 20, 99999, "WELCOME: max_height 99999");
	/* KEY: code 8, state 12. */
	reject_tweaked(TSR_MSG_KEY, 12, 3, "KEY: state 3 > 2");
	reject_tweaked(TSR_MSG_KEY, 12, UINT32_MAX, "KEY: state");
	reject_tweaked(TSR_MSG_KEY, 8, KEY_MAX + 1, "KEY: key code");
	/* POINTER_BUTTON: code 8, state 12. */
	reject_tweaked(TSR_MSG_POINTER_BUTTON, 12, 2, "POINTER_BUTTON: state 2 > 1");
	reject_tweaked(TSR_MSG_POINTER_BUTTON, 8, UINT32_MAX, "key code");
	/* POINTER_AXIS: axis 8. */
	reject_tweaked(TSR_MSG_POINTER_AXIS, 8, 2, "POINTER_AXIS: axis 2 > 1");
	/* ATTACH_MEMFD: surface 8, buffer 12, offset 16, size 20. */
	reject_tweaked(TSR_MSG_BUFFER_ATTACH_MEMFD, 20, 0, "size 0 out of range");
	reject_tweaked(TSR_MSG_BUFFER_ATTACH_MEMFD, 20, TSR_MAX_BUFFER_BYTES + 1, "size");
	reject_tweaked(TSR_MSG_BUFFER_ATTACH_MEMFD, 16, UINT32_MAX - 3, "offset");
	reject_tweaked(TSR_MSG_BUFFER_ATTACH_MEMFD, 16, 2, "not a multiple of 4");
	/* ATTACH_GRANTS: offset 16, within the first page and 4-aligned. */
	reject_tweaked(TSR_MSG_BUFFER_ATTACH_GRANTS, 16, TSR_PAGE_SIZE, "offset 4096");
	reject_tweaked(TSR_MSG_BUFFER_ATTACH_GRANTS, 16, 6, "offset 6");
	/* FOCUS_IN: count 8, keys from 12. */
	reject_tweaked(TSR_MSG_FOCUS_IN, 12, KEY_MAX + 1, "FOCUS_IN: key code");

	/* The limits themselves are accepted. */
	struct tsr_msg *msg = calloc(1, sizeof(*msg));
	uint8_t buf[64];
	tsr_test_example(msg, TSR_MSG_BUFFER_ATTACH_MEMFD, 0);
	msg->u.attach_memfd.offset = 0;
	msg->u.attach_memfd.size = TSR_MAX_BUFFER_BYTES;
	CHECK(tsr_msg_encode(msg, buf, sizeof(buf)) == 24);
	msg->u.attach_memfd.offset = 4;
	CHECK(tsr_msg_encode(msg, buf, sizeof(buf)) == 0);
	tsr_test_example(msg, TSR_MSG_KEY, 0);
	msg->u.key.code = KEY_MAX;
	CHECK(tsr_msg_encode(msg, buf, sizeof(buf)) == 24);
	tsr_test_example(msg, TSR_MSG_CONFIGURE, 0);
	msg->u.configure.width = TSR_MAX_DIMENSION;
	msg->u.configure.height = TSR_MAX_DIMENSION;
	CHECK(tsr_msg_encode(msg, buf, sizeof(buf)) == 20);
	free(msg);
}

static void test_counts_above_caps(void)
{
	/* DAMAGE: count at 12; FOCUS_IN: count at 8. */
	reject_tweaked(TSR_MSG_DAMAGE, 12, TSR_MAX_DAMAGE_RECTS + 1, "DAMAGE: count 17 > 16");
	reject_tweaked(TSR_MSG_DAMAGE, 12, UINT32_MAX, "DAMAGE: count");
	reject_tweaked(TSR_MSG_FOCUS_IN, 8, TSR_MAX_HELD_KEYS + 1, "FOCUS_IN: count 33 > 32");
	reject_tweaked(TSR_MSG_FOCUS_IN, 8, 0x80000000u, "FOCUS_IN: count");

	struct tsr_msg *msg = calloc(1, sizeof(*msg));
	uint8_t buf[512];
	tsr_test_example(msg, TSR_MSG_DAMAGE, 0);
	msg->u.damage.count = TSR_MAX_DAMAGE_RECTS;
	CHECK_EQ_INT(tsr_msg_encode(msg, buf, sizeof(buf)), 272);
	msg->u.damage.count = TSR_MAX_DAMAGE_RECTS + 1;
	CHECK_EQ_INT(tsr_msg_encode(msg, buf, sizeof(buf)), 0);
	tsr_test_example(msg, TSR_MSG_FOCUS_IN, 0);
	msg->u.focus_in.count = TSR_MAX_HELD_KEYS + 1;
	CHECK_EQ_INT(tsr_msg_encode(msg, buf, sizeof(buf)), 0);
	free(msg);
}

static void test_unused_slots_must_be_zero(void)
{
	/* DAMAGE (count 3): rect i at 16 + 16 * i; slot 3 is the first unused. */
	reject_tweaked(TSR_MSG_DAMAGE, 16 + 16 * 3, 1, "DAMAGE: unused rect 3 not zero");
	reject_tweaked(TSR_MSG_DAMAGE, 16 + 16 * 15 + 12, 1, "DAMAGE: unused rect 15");
	/* FOCUS_IN (count 2): key i at 12 + 4 * i. */
	reject_tweaked(TSR_MSG_FOCUS_IN, 12 + 4 * 2, 30, "FOCUS_IN: unused held key slot 2");
	reject_tweaked(TSR_MSG_FOCUS_IN, 12 + 4 * 31, 1, "slot 31");

	/* The encoder zeroes unused slots whatever the struct holds. */
	struct tsr_msg *msg = calloc(1, sizeof(*msg));
	tsr_test_example(msg, TSR_MSG_DAMAGE, 0);
	msg->u.damage.rects[9] = (struct tsr_rect){1, 2, 3, 4};
	size_t len;
	uint8_t *bytes = encode_alloc(msg, &len);
	char err[ERR_LEN];
	CHECK(bytes && decode_exact(bytes, len, TSR_FROM_GUEST, scratch(), err));
	CHECK_EQ_INT(scratch()->u.damage.rects[9].width, 0);
	free(bytes);
	free(msg);
}

static void test_error_text(void)
{
	/* ERROR: code at 8, text bytes 12..75. */
	struct tsr_msg *msg = calloc(1, sizeof(*msg));
	tsr_test_example(msg, TSR_MSG_ERROR, 0);
	size_t len;
	uint8_t *good = encode_alloc(msg, &len);
	CHECK_EQ_INT(len, 76);
	static const uint8_t bad_bytes[] = {0x01, 0x09, 0x0a, 0x1f, 0x7f, 0x80, 0xff};
	for (size_t i = 0; i < sizeof(bad_bytes); i++) {
		uint8_t *bytes = copy_exact(good, len);
		bytes[12 + 4] = bad_bytes[i];
		EXPECT_REJECT(bytes, len, TSR_FROM_COMPOSITOR, "ERROR: text byte 4");
		free(bytes);
	}
	/* No NUL within 64 bytes. */
	uint8_t *bytes = copy_exact(good, len);
	memset(bytes + 12, 'A', TSR_ERROR_TEXT_MAX);
	EXPECT_REJECT(bytes, len, TSR_FROM_COMPOSITOR, "not NUL-terminated");
	/* 63 characters and the NUL: the longest text allowed. */
	bytes[12 + 63] = 0;
	char err[ERR_LEN];
	CHECK(decode_exact(bytes, len, TSR_FROM_COMPOSITOR, scratch(), err));
	CHECK_EQ_INT(strlen(scratch()->u.error.text), 63);
	/* A byte after the NUL. */
	memcpy(bytes, good, len);
	bytes[12 + 60] = 'x';
	EXPECT_REJECT(bytes, len, TSR_FROM_COMPOSITOR, "after the text's NUL");
	/* Empty text is fine. */
	memset(bytes + 12, 0, TSR_ERROR_TEXT_MAX);
	CHECK(decode_exact(bytes, len, TSR_FROM_COMPOSITOR, scratch(), err));
	free(bytes);

	/* The encoder writes zeros after the NUL even if the struct has junk. */
	memset(msg->u.error.text, 'Z', sizeof(msg->u.error.text));
	strcpy(msg->u.error.text, "short");
	uint8_t *enc = encode_alloc(msg, &len);
	CHECK(enc != NULL);
	for (size_t i = 12 + 5; enc && i < len; i++) {
		CHECK_EQ_INT(enc[i], 0);
	}
	free(enc);
	/* And refuses what the decoder would refuse. */
	uint8_t buf[128];
	memset(msg->u.error.text, 'Z', sizeof(msg->u.error.text));
	CHECK_EQ_INT(tsr_msg_encode(msg, buf, sizeof(buf)), 0);
	strcpy(msg->u.error.text, "tab\there");
	CHECK_EQ_INT(tsr_msg_encode(msg, buf, sizeof(buf)), 0);
	free(good);
	free(msg);
}

/* err is always NUL-terminated and never written past err_len. */
static void test_error_buffer_bounds(void)
{
	static const uint8_t bad[] = {99, 0, 0, 0, 8, 0, 0, 0};
	for (size_t err_len = 1; err_len < 24; err_len++) {
		char err[32];
		memset(err, '#', sizeof(err));
		CHECK(!tsr_msg_decode(bad, sizeof(bad), TSR_FROM_GUEST, scratch(), err, err_len));
		CHECK_EQ_INT(strlen(err), err_len - 1);
		for (size_t i = err_len; i < sizeof(err); i++) {
			CHECK_EQ_INT(err[i], '#');
		}
	}
	/* No error buffer at all is allowed. */
	CHECK(!tsr_msg_decode(bad, sizeof(bad), TSR_FROM_GUEST, scratch(), NULL, 0));
	char untouched = '#';
	CHECK(!tsr_msg_decode(bad, sizeof(bad), TSR_FROM_GUEST, scratch(), &untouched, 0));
	CHECK_EQ_INT(untouched, '#');
	CHECK(!tsr_validate_surface(0, 0, 0, 0, NULL, 0));
	CHECK(!tsr_validate_buffer_fits(1, 1, 0, 4, 0, 0, NULL, 0));
}

static void test_encode_capacity(void)
{
	struct tsr_msg *msg = calloc(1, sizeof(*msg));
	tsr_test_example(msg, TSR_MSG_DAMAGE, 0);
	uint8_t *buf = malloc(272);
	CHECK_EQ_INT(tsr_msg_encode(msg, buf, 272), 272);
	CHECK_EQ_INT(tsr_msg_encode(msg, buf, 271), 0);
	CHECK_EQ_INT(tsr_msg_encode(msg, buf, 0), 0);
	CHECK_EQ_INT(tsr_msg_encode(msg, NULL, 0), 0);
	free(buf);
	free(msg);
}

static void test_clip_rect(void)
{
	struct tsr_rect out;
	struct tsr_rect in = {10, 20, 30, 40};
	CHECK(tsr_clip_rect(&in, 100, 100, &out));
	CHECK(out.x == 10 && out.y == 20 && out.width == 30 && out.height == 40);

	in = (struct tsr_rect){-10, -20, 30, 40};
	CHECK(tsr_clip_rect(&in, 100, 100, &out));
	CHECK(out.x == 0 && out.y == 0 && out.width == 20 && out.height == 20);

	in = (struct tsr_rect){90, 95, 30, 40};
	CHECK(tsr_clip_rect(&in, 100, 100, &out));
	CHECK(out.x == 90 && out.y == 95 && out.width == 10 && out.height == 5);

	/* The whole plane: INT32_MIN origin, UINT32_MAX extent covers the
	 * surface exactly (INT32_MIN + UINT32_MAX = INT32_MAX). */
	in = (struct tsr_rect){INT32_MIN, INT32_MIN, UINT32_MAX, UINT32_MAX};
	CHECK(tsr_clip_rect(&in, 640, 480, &out));
	CHECK(out.x == 0 && out.y == 0 && out.width == 640 && out.height == 480);

	/* Wrapping x + width in 32 bits would land inside: must not. */
	in = (struct tsr_rect){INT32_MAX, INT32_MAX, UINT32_MAX, UINT32_MAX};
	CHECK(!tsr_clip_rect(&in, 640, 480, &out));
	in = (struct tsr_rect){600, 0, UINT32_MAX, 10};
	CHECK(tsr_clip_rect(&in, 640, 480, &out));
	CHECK(out.x == 600 && out.width == 40 && out.height == 10);

	/* Entirely left of / above / beyond the surface. */
	in = (struct tsr_rect){INT32_MIN, 0, 100, 100};
	CHECK(!tsr_clip_rect(&in, 640, 480, &out));
	in = (struct tsr_rect){-100, 0, 100, 100};
	CHECK(!tsr_clip_rect(&in, 640, 480, &out));
	in = (struct tsr_rect){0, -100, 100, 100};
	CHECK(!tsr_clip_rect(&in, 640, 480, &out));
	in = (struct tsr_rect){640, 0, 1, 1};
	CHECK(!tsr_clip_rect(&in, 640, 480, &out));
	in = (struct tsr_rect){0, 480, 1, 1};
	CHECK(!tsr_clip_rect(&in, 640, 480, &out));
	/* Touching the corner from outside: one pixel in. */
	in = (struct tsr_rect){-100, -100, 101, 101};
	CHECK(tsr_clip_rect(&in, 640, 480, &out));
	CHECK(out.x == 0 && out.y == 0 && out.width == 1 && out.height == 1);

	/* Zero-sized rects and surfaces are ignored, not errors. */
	in = (struct tsr_rect){10, 10, 0, 10};
	CHECK(!tsr_clip_rect(&in, 640, 480, &out));
	in = (struct tsr_rect){10, 10, 10, 0};
	CHECK(!tsr_clip_rect(&in, 640, 480, &out));
	in = (struct tsr_rect){0, 0, 10, 10};
	CHECK(!tsr_clip_rect(&in, 0, 480, &out));

	/* In place works too. */
	in = (struct tsr_rect){-5, -5, 10, 10};
	CHECK(tsr_clip_rect(&in, 640, 480, &in));
	CHECK(in.x == 0 && in.y == 0 && in.width == 5 && in.height == 5);
}

static void test_buffer_fits(void)
{
	char err[ERR_LEN];
	const uint32_t xrgb = DRM_FORMAT_XRGB8888;
	/* 640x480, stride 2560: needs 479 * 2560 + 2560 = 1228800 bytes. */
	CHECK(tsr_validate_buffer_fits(640, 480, xrgb, 2560, 0, 1228800, err, sizeof(err)));
	CHECK(!tsr_validate_buffer_fits(640, 480, xrgb, 2560, 0, 1228799, err, sizeof(err)));
	CHECK(strstr(err, "too small") != NULL);
	CHECK(
	    tsr_validate_buffer_fits(640, 480, xrgb, 2560, 4096, 1228800 + 4096, err, sizeof(err)));
	CHECK(!tsr_validate_buffer_fits(640, 480, xrgb, 2560, 4096, 1228800 + 4095, err,
					sizeof(err)));
	/* The last row only needs its pixels, not a full stride. */
	CHECK(tsr_validate_buffer_fits(10, 2, xrgb, 4096, 0, 4096 + 40, err, sizeof(err)));
	CHECK(!tsr_validate_buffer_fits(10, 2, xrgb, 4096, 0, 4096 + 39, err, sizeof(err)));
	/* Offsets near the top of u64 must not wrap around to "fits". */
	CHECK(!tsr_validate_buffer_fits(1, 1, xrgb, 4, UINT64_MAX, UINT64_MAX, err, sizeof(err)));
	CHECK(strstr(err, "overflows") != NULL);
	CHECK(
	    !tsr_validate_buffer_fits(1, 1, xrgb, 4, UINT64_MAX - 2, UINT64_MAX, err, sizeof(err)));
	CHECK(
	    tsr_validate_buffer_fits(1, 1, xrgb, 4, UINT64_MAX - 4, UINT64_MAX, err, sizeof(err)));
	CHECK(!tsr_validate_buffer_fits(16384, 16384, xrgb, UINT32_MAX, UINT64_MAX - 100,
					UINT64_MAX, err, sizeof(err)));
	/* Huge values that do not overflow 64 bits are simply too big. */
	CHECK(!tsr_validate_buffer_fits(UINT32_MAX, UINT32_MAX, xrgb, UINT32_MAX, 0,
					TSR_MAX_BUFFER_BYTES, err, sizeof(err)));
	/* Two grant pages hold 2 rows of 1024 px at offset 0, not at 4092. */
	CHECK(!tsr_validate_buffer_fits(1024, 2, xrgb, 4096, 4092, 2 * 4096, err, sizeof(err)));
	CHECK(tsr_validate_buffer_fits(1024, 2, xrgb, 4096, 0, 2 * 4096, err, sizeof(err)));
	/* Nonsense geometry. */
	CHECK(!tsr_validate_buffer_fits(0, 1, xrgb, 4, 0, 100, err, sizeof(err)));
	CHECK(!tsr_validate_buffer_fits(1, 0, xrgb, 4, 0, 100, err, sizeof(err)));
	CHECK(!tsr_validate_buffer_fits(1, 1, DRM_FORMAT_NV12, 4, 0, 100, err, sizeof(err)));
}

static void test_negotiate_version(void)
{
	uint16_t minor = 999;
	CHECK(tsr_negotiate_version(1, 0, 1, 0, &minor));
	CHECK_EQ_INT(minor, 0);
	CHECK(tsr_negotiate_version(1, 3, 1, 1, &minor));
	CHECK_EQ_INT(minor, 1);
	CHECK(tsr_negotiate_version(1, 1, 1, 7, &minor));
	CHECK_EQ_INT(minor, 1);
	CHECK(tsr_negotiate_version(1, 0, 1, UINT16_MAX, &minor));
	CHECK_EQ_INT(minor, 0);
	minor = 999;
	CHECK(!tsr_negotiate_version(1, 0, 2, 0, &minor));
	CHECK(!tsr_negotiate_version(1, 0, 0, 0, &minor));
	CHECK(!tsr_negotiate_version(1, 0, UINT16_MAX, 0, &minor));
	CHECK_EQ_INT(minor, 999);
	CHECK(tsr_negotiate_version(TSR_PROTOCOL_MAJOR, TSR_PROTOCOL_MINOR, TSR_PROTOCOL_MAJOR,
				    TSR_PROTOCOL_MINOR + 1, &minor));
	CHECK_EQ_INT(minor, TSR_PROTOCOL_MINOR);
}

static void test_type_names(void)
{
	CHECK(strcmp(tsr_msg_type_name(TSR_MSG_HELLO), "HELLO") == 0);
	CHECK(strcmp(tsr_msg_type_name(TSR_MSG_BUFFER_ATTACH_GRANTS), "BUFFER_ATTACH_GRANTS") == 0);
	CHECK(strcmp(tsr_msg_type_name(TSR_MSG_ERROR), "ERROR") == 0);
	for (size_t i = 0; i < TSR_TEST_TYPE_COUNT; i++) {
		const char *name = tsr_msg_type_name(tsr_test_all_types[i]);
		CHECK(strcmp(name, "UNKNOWN") != 0);
		for (size_t j = 0; j < i; j++) {
			CHECK(strcmp(name, tsr_msg_type_name(tsr_test_all_types[j])) != 0);
		}
	}
}

/* xorshift64*: deterministic, so a failure reproduces. */
static uint64_t rng_next(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dull;
}

/* A random word biased towards values the decoder finds interesting. */
static uint32_t interesting_word(uint64_t *rng)
{
	static const uint32_t specials[] = {0,
					    1,
					    2,
					    3,
					    4,
					    16,
					    17,
					    32,
					    33,
					    640,
					    2560,
					    4096,
					    16384,
					    16385,
					    0x7fffffff,
					    0x80000000,
					    UINT32_MAX,
					    DRM_FORMAT_XRGB8888,
					    DRM_FORMAT_ARGB8888,
					    TSR_MAX_BUFFER_BYTES};
	uint64_t r = rng_next(rng);
	switch (r % 4) {
	case 0:
	case 1:
		return 0;
	case 2:
		return specials[(r >> 8) % (sizeof(specials) / sizeof(specials[0]))];
	default:
		return (uint32_t)(r >> 32);
	}
}

/* Fills buf (len bytes) with a random message: pure noise, or a valid
 * example with a few words replaced, or a plausible header over a biased
 * body. Most are rejected; enough are accepted to exercise re-encoding. */
static void random_message(uint64_t *rng, uint8_t *const examples[], const size_t example_lens[],
			   uint8_t **out_buf, size_t *out_len)
{
	uint64_t r = rng_next(rng);
	size_t pick = (r >> 8) % TSR_TEST_TYPE_COUNT;
	uint8_t *buf;
	size_t len;
	switch (r % 4) {
	case 0: /* noise of any length up to a few hundred bytes */
		len = (r >> 16) % 300;
		buf = malloc(len ? len : 1);
		for (size_t i = 0; i < len; i++) {
			buf[i] = (uint8_t)rng_next(rng);
		}
		break;
	case 1: /* a valid example with one to three words replaced */
		len = example_lens[pick];
		buf = copy_exact(examples[pick], len);
		for (uint64_t n = 1 + (r >> 16) % 3; n > 0; n--) {
			size_t word = rng_next(rng) % (len / 4);
			put_u32(buf + 4 * word, interesting_word(rng));
		}
		break;
	default: /* the right header (mostly) over a biased body */
		len = example_lens[pick];
		if ((r >> 16) % 8 == 0) {
			len = TSR_HEADER_SIZE + 4 * ((r >> 24) % 70);
		}
		buf = calloc(1, len);
		put_u32(buf, (r >> 32) % 16 == 0 ? (uint32_t)(r >> 40) % 80
						 : (uint32_t)tsr_test_all_types[pick]);
		put_u32(buf + 4, (r >> 48) % 16 == 0 ? (uint32_t)rng_next(rng) : (uint32_t)len);
		for (size_t off = TSR_HEADER_SIZE; off + 4 <= len; off += 4) {
			put_u32(buf + off, interesting_word(rng));
		}
		/* Grants: a ref_count matching the length now and then. */
		if (tsr_test_all_types[pick] == TSR_MSG_BUFFER_ATTACH_GRANTS && len >= 24 &&
		    r % 3 == 0) {
			put_u32(buf + 20, (uint32_t)(len - 24) / 4);
		}
		break;
	}
	*out_buf = buf;
	*out_len = len;
}

static void test_random_inputs(void)
{
	uint64_t rng = 0x7e55e7a0001ull;
	struct tsr_msg *out = scratch();
	uint8_t *examples[TSR_TEST_TYPE_COUNT];
	size_t example_lens[TSR_TEST_TYPE_COUNT];
	for (size_t i = 0; i < TSR_TEST_TYPE_COUNT; i++) {
		tsr_test_example(out, tsr_test_all_types[i], 3);
		examples[i] = encode_alloc(out, &example_lens[i]);
		CHECK(examples[i] != NULL);
	}

	size_t accepted = 0;
	uint8_t *reencoded = malloc(TSR_MAX_MESSAGE_SIZE);
	for (int iter = 0; iter < 100000; iter++) {
		uint8_t *buf;
		size_t len;
		random_message(&rng, examples, example_lens, &buf, &len);
		for (int d = 0; d < 2; d++) {
			enum tsr_direction dir = d == 0 ? TSR_FROM_GUEST : TSR_FROM_COMPOSITOR;
			char err[ERR_LEN];
			size_t total = 0;
			bool header = len >= TSR_HEADER_SIZE &&
				      tsr_header_check(buf, dir, &total, err, sizeof(err));
			if (!tsr_msg_decode(buf, len, dir, out, err, sizeof(err))) {
				CHECK(memchr(err, 0, sizeof(err)) != NULL);
				continue;
			}
			accepted++;
			CHECK(header);
			CHECK_EQ_INT(total, len);
			size_t n = tsr_msg_encode(out, reencoded, TSR_MAX_MESSAGE_SIZE);
			CHECK_EQ_INT(n, len);
			CHECK(n == len && memcmp(reencoded, buf, len) == 0);
		}
		free(buf);
	}
	free(reencoded);
	for (size_t i = 0; i < TSR_TEST_TYPE_COUNT; i++) {
		free(examples[i]);
	}
	/* The generator must actually reach the accepting paths. */
	fprintf(stderr, "random inputs: %zu of 200000 decodes accepted\n", accepted);
	CHECK(accepted > 5000);
}

static void cleanup_scratch(void)
{
	free(scratch());
}

TSR_TEST_MAIN(TSR_CASE(test_golden_bytes), TSR_CASE(test_lengths_of_every_type),
	      TSR_CASE(test_round_trip_every_type),
	      TSR_CASE(test_encode_reads_only_the_types_member), TSR_CASE(test_round_trip_fields),
	      TSR_CASE(test_grants_round_trip_sizes), TSR_CASE(test_header_every_wrong_length),
	      TSR_CASE(test_header_grants_lengths), TSR_CASE(test_truncated),
	      TSR_CASE(test_grants_count_mismatch), TSR_CASE(test_wrong_direction),
	      TSR_CASE(test_unknown_types), TSR_CASE(test_surface_create_limits),
	      TSR_CASE(test_validate_surface), TSR_CASE(test_other_field_limits),
	      TSR_CASE(test_counts_above_caps), TSR_CASE(test_unused_slots_must_be_zero),
	      TSR_CASE(test_error_text), TSR_CASE(test_error_buffer_bounds),
	      TSR_CASE(test_encode_capacity), TSR_CASE(test_clip_rect), TSR_CASE(test_buffer_fits),
	      TSR_CASE(test_negotiate_version), TSR_CASE(test_type_names),
	      TSR_CASE(test_random_inputs), TSR_CASE(cleanup_scratch))
