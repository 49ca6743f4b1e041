/* Writes seed streams for fuzz_domain into the directory named on the
 * command line: whole guest sessions as a guest would write them, so the
 * fuzzer starts from states deep inside the state machine. */
#include <drm_fourcc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/protocol.h"

struct stream {
	uint8_t *bytes;
	size_t length;
};

static void put(struct stream *stream, const struct tsr_msg *msg)
{
	size_t length = tsr_msg_encode(msg, stream->bytes + stream->length,
				       TSR_MAX_MESSAGE_SIZE * 16 - stream->length);
	if (length == 0) {
		fprintf(stderr, "cannot encode %s\n", tsr_msg_type_name(msg->type));
		exit(1);
	}
	stream->length += length;
}

static void hello(struct stream *stream)
{
	struct tsr_msg msg = {.type = TSR_MSG_HELLO};
	msg.u.hello = (struct tsr_msg_hello){TSR_PROTOCOL_MAJOR, TSR_PROTOCOL_MINOR,
					     TSR_CAP_MEMFD | TSR_CAP_INPUT};
	put(stream, &msg);
}

static void surface(struct stream *stream, uint32_t id, uint32_t width, uint32_t height,
		    uint32_t stride)
{
	struct tsr_msg msg = {.type = TSR_MSG_SURFACE_CREATE};
	msg.u.surface_create =
	    (struct tsr_msg_surface_create){id, width, height, DRM_FORMAT_XRGB8888, stride};
	put(stream, &msg);
}

static void attach(struct stream *stream, uint32_t surface_id, uint32_t buffer_id, uint32_t offset,
		   uint32_t size)
{
	struct tsr_msg msg = {.type = TSR_MSG_BUFFER_ATTACH_MEMFD};
	msg.u.attach_memfd =
	    (struct tsr_msg_buffer_attach_memfd){surface_id, buffer_id, offset, size};
	put(stream, &msg);
}

static void damage(struct stream *stream, uint32_t surface_id, int32_t x, int32_t y, uint32_t width,
		   uint32_t height)
{
	struct tsr_msg msg = {.type = TSR_MSG_DAMAGE};
	msg.u.damage.surface_id = surface_id;
	msg.u.damage.count = 1;
	msg.u.damage.rects[0] = (struct tsr_rect){x, y, width, height};
	put(stream, &msg);
}

static void commit(struct stream *stream, uint32_t surface_id, uint32_t buffer_id, uint32_t serial)
{
	struct tsr_msg msg = {.type = TSR_MSG_COMMIT};
	msg.u.commit = (struct tsr_msg_commit){surface_id, buffer_id, serial};
	put(stream, &msg);
}

static void destroy_buffer(struct stream *stream, uint32_t buffer_id)
{
	struct tsr_msg msg = {.type = TSR_MSG_BUFFER_DESTROY};
	msg.u.buffer_destroy.buffer_id = buffer_id;
	put(stream, &msg);
}

static void destroy_surface(struct stream *stream, uint32_t surface_id)
{
	struct tsr_msg msg = {.type = TSR_MSG_SURFACE_DESTROY};
	msg.u.surface_destroy.surface_id = surface_id;
	put(stream, &msg);
}

static int write_stream(const char *dir, const char *name, const struct stream *stream)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *file = fopen(path, "wb");
	if (!file) {
		perror(path);
		return 1;
	}
	int status = fwrite(stream->bytes, 1, stream->length, file) == stream->length ? 0 : 1;
	if (fclose(file) != 0)
		status = 1;
	return status;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
		return 2;
	}
	struct stream stream = {.bytes = malloc(TSR_MAX_MESSAGE_SIZE * 16)};
	if (!stream.bytes)
		return 1;
	int status = 0;

	/* Two buffers, full then partial damage, then an orderly teardown. */
	hello(&stream);
	surface(&stream, 1, 64, 48, 256);
	attach(&stream, 1, 1, 0, 256 * 48);
	attach(&stream, 1, 2, 0, 256 * 48);
	damage(&stream, 1, 0, 0, 64, 48);
	commit(&stream, 1, 1, 1);
	damage(&stream, 1, 8, 8, 16, 16);
	commit(&stream, 1, 2, 2);
	commit(&stream, 1, 1, 3);
	destroy_buffer(&stream, 1);
	destroy_surface(&stream, 1);
	status |= write_stream(argv[1], "session-two-buffers", &stream);

	/* Padding in the stride and an offset into the memfd. */
	stream.length = 0;
	hello(&stream);
	surface(&stream, 7, 33, 17, 160);
	attach(&stream, 7, 9, 4096, 4096 + 160 * 17);
	damage(&stream, 7, -5, -5, 100, 100);
	commit(&stream, 7, 9, 1);
	status |= write_stream(argv[1], "session-offset-stride", &stream);

	/* Two surfaces, a commit without damage, a buffer replaced. */
	stream.length = 0;
	hello(&stream);
	surface(&stream, 1, 16, 16, 64);
	surface(&stream, 2, 8, 8, 32);
	attach(&stream, 1, 1, 0, 64 * 16);
	attach(&stream, 2, 2, 0, 32 * 8);
	commit(&stream, 2, 2, 1);
	commit(&stream, 1, 1, 2);
	destroy_surface(&stream, 2);
	attach(&stream, 1, 3, 0, 64 * 16);
	commit(&stream, 1, 3, 3);
	status |= write_stream(argv[1], "session-two-surfaces", &stream);

	/* Odd length: fuzz_domain serves it on a fixed-size link (as the PV
	 * display's). Two displays side by side, one scaled down. (The wire
	 * carries only 4-byte strides; odd pitches are fuzz_render's.) */
	stream.length = 0;
	hello(&stream);
	surface(&stream, 1, 1000, 300, 4000);
	surface(&stream, 2, 7, 5, 28);
	attach(&stream, 1, 1, 0, 4000 * 300);
	attach(&stream, 2, 2, 0, 28 * 5);
	commit(&stream, 1, 1, 1);
	damage(&stream, 2, 1, 1, 3, 3);
	commit(&stream, 2, 2, 1);
	damage(&stream, 1, 500, 100, 1, 1);
	commit(&stream, 1, 1, 2);
	if (stream.length % 2 == 0)
		stream.bytes[stream.length++] = 0; /* an unfinished header: ignored */
	status |= write_stream(argv[1], "fixed-size-displays", &stream);

	free(stream.bytes);
	return status;
}
