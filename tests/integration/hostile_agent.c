/* hostile-agent: a guest that says HELLO correctly and then misbehaves in
 * one chosen way, to check that the compositor drops it (ideally with an
 * ERROR message) and keeps running.
 *
 *   hostile-agent --socket PATH --mode MODE
 *
 * Exit 0: the expected outcome happened (for most modes: the compositor
 * closed the connection within 10 s). Exit 1: it did not, or the test could
 * not be set up. What happened is printed on stdout as "hostile: ..." lines.
 * Messages the encoder refuses to produce are written as raw bytes: the wire
 * format is an 8-byte header (u32 type, u32 total length, little endian) and
 * a body of little-endian u32 fields (see protocol/README.md). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <tessera/protocol.h>

#define DROP_WAIT_MS 10000
#define STAY_WAIT_MS 2000
#define FLOOD_COUNT 100000
#define SURFACE_SIZE 64u
#define SURFACE_STRIDE (SURFACE_SIZE * 4u)
#define SURFACE_BYTES (SURFACE_STRIDE * SURFACE_SIZE)

struct hostile {
	int fd;
	bool dropped;	/* the compositor closed the connection */
	bool welcomed;	/* a WELCOME arrived */
	bool got_error; /* an ERROR message arrived */
	char error_text[TSR_ERROR_TEXT_MAX];
	uint32_t frames_done;
	uint8_t *recv_buf; /* TSR_MAX_MESSAGE_SIZE bytes */
	size_t recv_have;
	struct tsr_msg *msg;
};

/* ---- raw bytes ---------------------------------------------------------- */

static void put_u32(uint8_t *at, uint32_t value)
{
	at[0] = (uint8_t)value;
	at[1] = (uint8_t)(value >> 8);
	at[2] = (uint8_t)(value >> 16);
	at[3] = (uint8_t)(value >> 24);
}

static size_t raw_message(uint8_t *buf, uint32_t type, uint32_t claimed_len, const uint32_t *body,
			  size_t body_words)
{
	put_u32(buf, type);
	put_u32(buf + 4, claimed_len);
	for (size_t i = 0; i < body_words; i++)
		put_u32(buf + TSR_HEADER_SIZE + 4 * i, body[i]);
	return TSR_HEADER_SIZE + 4 * body_words;
}

/* ---- sending ------------------------------------------------------------ */

/* false once the compositor has closed the connection (EPIPE and friends). */
static bool send_bytes(struct hostile *h, const uint8_t *bytes, size_t len, int pass_fd)
{
	size_t sent = 0;
	while (sent < len) {
		struct iovec iov = {.iov_base = (void *)(bytes + sent), .iov_len = len - sent};
		struct msghdr hdr = {.msg_iov = &iov, .msg_iovlen = 1};
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} control;
		if (pass_fd >= 0 && sent == 0) {
			memset(&control, 0, sizeof(control));
			hdr.msg_control = control.buf;
			hdr.msg_controllen = sizeof(control.buf);
			struct cmsghdr *cmsg = CMSG_FIRSTHDR(&hdr);
			cmsg->cmsg_level = SOL_SOCKET;
			cmsg->cmsg_type = SCM_RIGHTS;
			cmsg->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cmsg), &pass_fd, sizeof(int));
		}
		ssize_t ret = sendmsg(h->fd, &hdr, MSG_NOSIGNAL);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE || errno == ECONNRESET)
				h->dropped = true;
			else
				printf("hostile: send failed: %s\n", strerror(errno));
			return false;
		}
		sent += (size_t)ret;
	}
	return true;
}

static bool send_msg(struct hostile *h, const struct tsr_msg *msg, int pass_fd)
{
	uint8_t buf[512];
	size_t len = tsr_msg_encode(msg, buf, sizeof(buf));
	if (len == 0) {
		printf("hostile: cannot encode %s\n", tsr_msg_type_name(msg->type));
		return false;
	}
	return send_bytes(h, buf, len, pass_fd);
}

/* ---- receiving ---------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Takes complete messages out of recv_buf. */
static void parse_received(struct hostile *h)
{
	for (;;) {
		size_t total;
		char err[128];
		if (h->recv_have < TSR_HEADER_SIZE)
			return;
		if (!tsr_header_check(h->recv_buf, TSR_FROM_COMPOSITOR, &total, err, sizeof(err))) {
			printf("hostile: compositor sent a bad header: %s\n", err);
			h->recv_have = 0;
			return;
		}
		if (h->recv_have < total)
			return;
		if (tsr_msg_decode(h->recv_buf, total, TSR_FROM_COMPOSITOR, h->msg, err,
				   sizeof(err))) {
			if (h->msg->type == TSR_MSG_ERROR) {
				h->got_error = true;
				memcpy(h->error_text, h->msg->u.error.text, sizeof(h->error_text));
				h->error_text[sizeof(h->error_text) - 1] = '\0';
			} else if (h->msg->type == TSR_MSG_WELCOME) {
				h->welcomed = true;
			} else if (h->msg->type == TSR_MSG_FRAME_DONE) {
				h->frames_done++;
			}
		} else {
			printf("hostile: compositor sent a bad message: %s\n", err);
		}
		memmove(h->recv_buf, h->recv_buf + total, h->recv_have - total);
		h->recv_have -= total;
	}
}

/* Reads until the connection closes, until(h) holds, or timeout_ms passes.
 * Returns true if the connection was closed. */
static bool read_until(struct hostile *h, int timeout_ms, bool (*until)(const struct hostile *))
{
	int64_t deadline = now_ms() + timeout_ms;
	while (!h->dropped && !(until && until(h))) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			break;
		struct pollfd pfd = {.fd = h->fd, .events = POLLIN};
		int ret = poll(&pfd, 1, (int)left);
		if (ret < 0 && errno != EINTR)
			break;
		if (ret <= 0)
			continue;
		ssize_t got =
		    read(h->fd, h->recv_buf + h->recv_have, TSR_MAX_MESSAGE_SIZE - h->recv_have);
		if (got == 0 || (got < 0 && (errno == ECONNRESET || errno == EPIPE))) {
			h->dropped = true;
			break;
		}
		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			printf("hostile: read failed: %s\n", strerror(errno));
			break;
		}
		h->recv_have += (size_t)got;
		parse_received(h);
	}
	return h->dropped;
}

static bool has_welcome_or_error(const struct hostile *h)
{
	return h->got_error || h->welcomed;
}

static bool has_frame_done(const struct hostile *h)
{
	return h->frames_done > 0;
}

/* ---- building blocks ---------------------------------------------------- */

static bool say_hello(struct hostile *h)
{
	struct tsr_msg hello = {.type = TSR_MSG_HELLO};
	hello.u.hello = (struct tsr_msg_hello){TSR_PROTOCOL_MAJOR, TSR_PROTOCOL_MINOR,
					       TSR_CAP_MEMFD | TSR_CAP_INPUT};
	if (!send_msg(h, &hello, -1))
		return false;
	read_until(h, DROP_WAIT_MS, has_welcome_or_error);
	if (!h->welcomed || h->got_error) {
		printf("hostile: no WELCOME after HELLO\n");
		return false;
	}
	return true;
}

static bool create_surface(struct hostile *h, uint32_t surface_id)
{
	struct tsr_msg msg = {.type = TSR_MSG_SURFACE_CREATE};
	msg.u.surface_create = (struct tsr_msg_surface_create){
	    surface_id, SURFACE_SIZE, SURFACE_SIZE, DRM_FORMAT_XRGB8888, SURFACE_STRIDE};
	return send_msg(h, &msg, -1);
}

static int make_memfd(size_t size, unsigned seals)
{
	int fd = memfd_create("hostile", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) < 0 || (seals && fcntl(fd, F_ADD_SEALS, seals) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool attach(struct hostile *h, uint32_t buffer_id, uint32_t claimed_size, int fd)
{
	struct tsr_msg msg = {.type = TSR_MSG_BUFFER_ATTACH_MEMFD};
	msg.u.attach_memfd = (struct tsr_msg_buffer_attach_memfd){1, buffer_id, 0, claimed_size};
	return send_msg(h, &msg, fd);
}

static bool damage_and_commit(struct hostile *h, uint32_t buffer_id, uint32_t serial)
{
	struct tsr_msg damage = {.type = TSR_MSG_DAMAGE};
	damage.u.damage.surface_id = 1;
	damage.u.damage.count = 1;
	damage.u.damage.rects[0] = (struct tsr_rect){0, 0, SURFACE_SIZE, SURFACE_SIZE};
	struct tsr_msg commit = {.type = TSR_MSG_COMMIT};
	commit.u.commit = (struct tsr_msg_commit){1, buffer_id, serial};
	return send_msg(h, &damage, -1) && send_msg(h, &commit, -1);
}

/* ---- modes -------------------------------------------------------------- */

/* The misbehaviour of each mode; the common "expect to be dropped" wait
 * follows. A false return means the set-up itself failed. */
static bool misbehave(struct hostile *h, const char *mode)
{
	uint8_t raw[64];
	if (!strcmp(mode, "before-hello")) {
		uint32_t body[] = {1, 1, 1};
		size_t len = raw_message(raw, TSR_MSG_COMMIT, TSR_HEADER_SIZE + 12, body, 3);
		send_bytes(h, raw, len, -1);
		return true;
	}
	if (!say_hello(h))
		return false;

	if (!strcmp(mode, "bad-size")) {
		uint32_t body[] = {1, 100000, 10, DRM_FORMAT_XRGB8888, 400000};
		size_t len =
		    raw_message(raw, TSR_MSG_SURFACE_CREATE, TSR_HEADER_SIZE + 20, body, 5);
		send_bytes(h, raw, len, -1);
	} else if (!strcmp(mode, "short-memfd") || !strcmp(mode, "unsealed-memfd")) {
		bool sealed = !strcmp(mode, "short-memfd");
		int fd = sealed ? make_memfd(1000, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)
				: make_memfd(SURFACE_BYTES, 0);
		if (fd < 0 || !create_surface(h, 1))
			return false;
		attach(h, 1, SURFACE_BYTES, fd);
		close(fd);
	} else if (!strcmp(mode, "wrong-fd-count")) {
		if (!create_surface(h, 1))
			return false;
		attach(h, 1, SURFACE_BYTES, -1);
	} else if (!strcmp(mode, "unknown-type")) {
		size_t len = raw_message(raw, 999, TSR_HEADER_SIZE, NULL, 0);
		send_bytes(h, raw, len, -1);
	} else if (!strcmp(mode, "bad-length")) {
		uint32_t body[] = {1, 1, 1};
		size_t len = raw_message(raw, TSR_MSG_COMMIT, 0xffffffffu, body, 3);
		send_bytes(h, raw, len, -1);
	} else if (!strcmp(mode, "bad-damage")) {
		struct tsr_msg damage = {.type = TSR_MSG_DAMAGE};
		damage.u.damage.surface_id = 77;
		damage.u.damage.count = 1;
		damage.u.damage.rects[0] = (struct tsr_rect){0, 0, 10, 10};
		send_msg(h, &damage, -1);
	} else if (!strcmp(mode, "too-many-surfaces")) {
		for (uint32_t id = 1; id <= TSR_MAX_SURFACES_PER_GUEST + 1; id++)
			if (!create_surface(h, id))
				break;
	} else {
		printf("hostile: unknown mode '%s'\n", mode);
		return false;
	}
	return true;
}

static int expect_drop(struct hostile *h)
{
	read_until(h, DROP_WAIT_MS, NULL);
	if (!h->dropped) {
		printf("hostile: still connected after %d ms\n", DROP_WAIT_MS);
		return 1;
	}
	if (h->got_error)
		printf("hostile: dropped: %s\n", h->error_text);
	else
		printf("hostile: dropped without an ERROR message\n");
	return 0;
}

/* The kernel, not the compositor, stops a sealed buffer from shrinking: we
 * stay connected and our frame is shown. */
static int mode_shrink_after_attach(struct hostile *h)
{
	int fd = make_memfd(SURFACE_BYTES, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	if (fd < 0 || !say_hello(h) || !create_surface(h, 1) || !attach(h, 1, SURFACE_BYTES, fd)) {
		if (fd >= 0)
			close(fd);
		printf("hostile: set-up failed\n");
		return 1;
	}
	if (ftruncate(fd, SURFACE_BYTES / 2) < 0)
		printf("hostile: shrinking the attached memfd was refused: %s\n", strerror(errno));
	else
		printf("hostile: shrinking the attached memfd SUCCEEDED (seal missing?)\n");
	close(fd);
	if (!damage_and_commit(h, 1, 1)) {
		printf("hostile: dropped while committing\n");
		return 1;
	}
	read_until(h, STAY_WAIT_MS, has_frame_done);
	if (h->frames_done > 0 && !h->dropped)
		read_until(h, STAY_WAIT_MS, NULL); /* still there a while later? */
	if (h->dropped) {
		printf("hostile: dropped: %s\n", h->got_error ? h->error_text : "(no ERROR)");
		return 1;
	}
	if (h->frames_done == 0) {
		printf("hostile: no FRAME_DONE within %d ms\n", STAY_WAIT_MS);
		return 1;
	}
	printf("hostile: still connected, FRAME_DONE received\n");
	return 0;
}

/* Floods DAMAGE without reading. Keeping up and dropping us are both fine. */
static int mode_flood(struct hostile *h)
{
	int fd = make_memfd(SURFACE_BYTES, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	if (fd < 0 || !say_hello(h) || !create_surface(h, 1) || !attach(h, 1, SURFACE_BYTES, fd)) {
		if (fd >= 0)
			close(fd);
		printf("hostile: set-up failed\n");
		return 1;
	}
	close(fd);
	/* A compositor that stops reading us blocks our sends: give up then. */
	struct timeval timeout = {.tv_sec = DROP_WAIT_MS / 1000};
	setsockopt(h->fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
	struct tsr_msg damage = {.type = TSR_MSG_DAMAGE};
	damage.u.damage.surface_id = 1;
	damage.u.damage.count = 1;
	uint8_t buf[512];
	int sent = 0;
	for (; sent < FLOOD_COUNT; sent++) {
		damage.u.damage.rects[0] = (struct tsr_rect){sent % 60, sent % 50, 4, 4};
		size_t len = tsr_msg_encode(&damage, buf, sizeof(buf));
		if (len == 0 || !send_bytes(h, buf, len, -1))
			break;
	}
	printf("hostile: flood: sent %d of %d DAMAGE messages\n", sent, FLOOD_COUNT);
	if (sent == FLOOD_COUNT && damage_and_commit(h, 1, 1))
		read_until(h, DROP_WAIT_MS, has_frame_done);
	else
		read_until(h, DROP_WAIT_MS, NULL);
	if (h->dropped)
		printf("hostile: flood: dropped: %s\n",
		       h->got_error ? h->error_text : "(no ERROR)");
	else if (h->frames_done > 0)
		printf("hostile: flood: compositor kept up (FRAME_DONE after the flood)\n");
	else
		printf("hostile: flood: neither dropped nor FRAME_DONE\n");
	return 0;
}

/* Half a message, then gone: the compositor must not wait for the rest. */
static int mode_disconnect_mid_message(struct hostile *h, bool mid_body)
{
	if (!say_hello(h))
		return 1;
	uint8_t raw[64];
	uint32_t body[] = {1, 1, 1};
	size_t len = raw_message(raw, TSR_MSG_COMMIT, TSR_HEADER_SIZE + 12, body, 3);
	size_t part = mid_body ? TSR_HEADER_SIZE + 6 : TSR_HEADER_SIZE / 2;
	send_bytes(h, raw, part < len ? part : len, -1);
	printf("hostile: sent %zu of %zu bytes, closing\n", part, len);
	return 0;
}

static int run(struct hostile *h, const char *mode)
{
	if (!strcmp(mode, "shrink-after-attach"))
		return mode_shrink_after_attach(h);
	if (!strcmp(mode, "flood"))
		return mode_flood(h);
	if (!strcmp(mode, "disconnect-mid-message"))
		return mode_disconnect_mid_message(h, false);
	if (!strcmp(mode, "disconnect-mid-body"))
		return mode_disconnect_mid_message(h, true);
	if (!misbehave(h, mode)) {
		if (h->dropped)
			return expect_drop(h);
		printf("hostile: set-up failed\n");
		return 1;
	}
	return expect_drop(h);
}

static int connect_to(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr.sun_path))
		return -1;
	memcpy(addr.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"mode", required_argument, NULL, 'm'},
	    {0},
	};
	const char *socket_path = NULL, *mode = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (opt == 's')
			socket_path = optarg;
		else if (opt == 'm')
			mode = optarg;
		else
			return 2;
	}
	if (!socket_path || !mode) {
		fprintf(
		    stderr,
		    "usage: hostile-agent --socket PATH --mode MODE\n"
		    "modes: bad-size short-memfd unsealed-memfd shrink-after-attach flood\n"
		    "       disconnect-mid-message disconnect-mid-body unknown-type bad-length\n"
		    "       before-hello bad-damage too-many-surfaces wrong-fd-count\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	struct hostile h = {.fd = -1};
	int status = 1;
	h.recv_buf = malloc(TSR_MAX_MESSAGE_SIZE);
	h.msg = calloc(1, sizeof(*h.msg));
	if (!h.recv_buf || !h.msg)
		goto out;
	h.fd = connect_to(socket_path);
	if (h.fd < 0) {
		printf("hostile: cannot connect to %s: %s\n", socket_path, strerror(errno));
		goto out;
	}
	printf("hostile: mode %s\n", mode);
	status = run(&h, mode);

out:
	if (h.fd >= 0)
		close(h.fd);
	free(h.recv_buf);
	free(h.msg);
	return status;
}
