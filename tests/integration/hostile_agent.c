/* hostile-agent: a guest that says HELLO correctly and then misbehaves in
 * one chosen way, to check that the compositor drops it (ideally with an
 * ERROR message) and keeps running.
 *
 *   hostile-agent --socket PATH --mode MODE
 *   hostile-agent --transport xen --mode MODE [--wait-for PATH]   (in a domU)
 *
 * --wait-for: before publishing the vchan, wait until the xenstore node PATH
 * (relative to this domain's home) exists; dom0 writes it to start every
 * hostile guest at the same moment, after they all booted.
 * Exit 0: the expected outcome happened (for most modes: the compositor
 * closed the connection within 10 s). Exit 1: it did not, or the test could
 * not be set up. What happened is printed on stdout as "hostile: ..." lines.
 * Messages the encoder refuses to produce are written as raw bytes: the wire
 * format is an 8-byte header (u32 type, u32 total length, little endian) and
 * a body of little-endian u32 fields (see protocol/README.md).
 *
 * Over Xen the agent's own transport (guest-agent/transport_xen.c) carries
 * the bytes: it is compiled into this file, white-box, because a hostile
 * guest must write bytes the encoder refuses to produce, straight into the
 * vchan. Grant refs come from the same page sharer the agent's buffer pool
 * uses (gntalloc, granted read-only to dom0). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <tessera/protocol.h>

#include "transport.h"

#ifdef TSR_HOSTILE_HAVE_XEN
#include <xenstore.h>

#include "transport_xen.c"
#endif

#define DROP_WAIT_MS 10000
#define STAY_WAIT_MS 2000
/* Over Xen, dom0 connects only once it saw our vchan in xenstore, and the
 * VM runs under emulation: the WELCOME and the drop may take a while. */
#define XEN_WAIT_MS 120000
#define XEN_GO_WAIT_MS 900000
#define XEN_SURFACE_4K_WIDTH 3840u
#define XEN_SURFACE_4K_HEIGHT 2160u
#define FLOOD_COUNT 100000
#define SURFACE_SIZE 64u
#define SURFACE_STRIDE (SURFACE_SIZE * 4u)
#define SURFACE_BYTES (SURFACE_STRIDE * SURFACE_SIZE)

struct hostile {
	int fd;			     /* the local socket, or -1 over Xen */
	struct agent_transport *xen; /* the Xen transport, or NULL */
	int wait_ms;		     /* DROP_WAIT_MS, longer over Xen */
	uint8_t *send_buf;	     /* TSR_MAX_MESSAGE_SIZE bytes */
	bool dropped;		     /* the compositor closed the connection */
	bool welcomed;		     /* a WELCOME arrived */
	bool got_error;		     /* an ERROR message arrived */
	uint32_t error_code;
	char error_text[TSR_ERROR_TEXT_MAX];
	const char *socket_path; /* the local socket's path (connection loops) */
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

#ifdef TSR_HOSTILE_HAVE_XEN
/* Raw bytes into the vchan, waiting (bounded) while the ring is full. */
static bool xen_send_raw(struct hostile *h, const uint8_t *bytes, size_t len)
{
	struct xen_transport *xen = xen_from_base(h->xen);
	size_t sent = 0;
	int waited_ms = 0;
	while (sent < len) {
		int written = libxenvchan_write(xen->vchan, bytes + sent, len - sent);
		if (written < 0 || !libxenvchan_is_open(xen->vchan)) {
			h->dropped = true;
			return false;
		}
		sent += (size_t)written;
		if (sent == len)
			break;
		if (waited_ms >= h->wait_ms) {
			printf("hostile: the compositor stopped reading the vchan\n");
			return false;
		}
		/* The event may also announce data for us: kick the poll set. */
		if (!consume_event(xen, 100)) {
			printf("hostile: event channel failed: %s\n", strerror(errno));
			return false;
		}
		kick(xen);
		waited_ms += 100;
	}
	return true;
}
#endif

static bool send_bytes_fds(struct hostile *h, const uint8_t *bytes, size_t len, const int *pass_fds,
			   size_t fd_count);

/* false once the compositor has closed the connection (EPIPE and friends). */
static bool send_bytes(struct hostile *h, const uint8_t *bytes, size_t len, int pass_fd)
{
	return send_bytes_fds(h, bytes, len, &pass_fd, pass_fd >= 0 ? 1 : 0);
}

#define MAX_PASSED_FDS 253 /* SCM_MAX_FD */

static bool send_bytes_fds(struct hostile *h, const uint8_t *bytes, size_t len, const int *pass_fds,
			   size_t fd_count)
{
	int pass_fd = fd_count ? pass_fds[0] : -1;
	if (h->xen) {
#ifdef TSR_HOSTILE_HAVE_XEN
		if (pass_fd < 0)
			return xen_send_raw(h, bytes, len);
#endif
		printf("hostile: no fds travel over Xen\n");
		return false;
	}
	size_t sent = 0;
	while (sent < len) {
		struct iovec iov = {.iov_base = (void *)(bytes + sent), .iov_len = len - sent};
		struct msghdr hdr = {.msg_iov = &iov, .msg_iovlen = 1};
		union {
			char buf[CMSG_SPACE(sizeof(int) * MAX_PASSED_FDS)];
			struct cmsghdr align;
		} control;
		if (fd_count > 0 && fd_count <= MAX_PASSED_FDS && sent == 0) {
			memset(&control, 0, sizeof(control));
			hdr.msg_control = control.buf;
			hdr.msg_controllen = CMSG_SPACE(sizeof(int) * fd_count);
			struct cmsghdr *cmsg = CMSG_FIRSTHDR(&hdr);
			cmsg->cmsg_level = SOL_SOCKET;
			cmsg->cmsg_type = SCM_RIGHTS;
			cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fd_count);
			memcpy(CMSG_DATA(cmsg), pass_fds, sizeof(int) * fd_count);
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

static bool send_msg_fds(struct hostile *h, const struct tsr_msg *msg, const int *pass_fds,
			 size_t fd_count)
{
	size_t len = tsr_msg_encode(msg, h->send_buf, TSR_MAX_MESSAGE_SIZE);
	if (len == 0) {
		printf("hostile: cannot encode %s\n", tsr_msg_type_name(msg->type));
		return false;
	}
	return send_bytes_fds(h, h->send_buf, len, pass_fds, fd_count);
}

static bool send_msg(struct hostile *h, const struct tsr_msg *msg, int pass_fd)
{
	return send_msg_fds(h, msg, &pass_fd, pass_fd >= 0 ? 1 : 0);
}

/* ---- receiving ---------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void handle_message(struct hostile *h, const struct tsr_msg *msg)
{
	if (msg->type == TSR_MSG_ERROR) {
		h->got_error = true;
		h->error_code = msg->u.error.code;
		memcpy(h->error_text, msg->u.error.text, sizeof(h->error_text));
		h->error_text[sizeof(h->error_text) - 1] = '\0';
	} else if (msg->type == TSR_MSG_WELCOME) {
		h->welcomed = true;
	} else if (msg->type == TSR_MSG_FRAME_DONE) {
		h->frames_done++;
	}
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
			handle_message(h, h->msg);
		} else {
			printf("hostile: compositor sent a bad message: %s\n", err);
		}
		memmove(h->recv_buf, h->recv_buf + total, h->recv_have - total);
		h->recv_have -= total;
	}
}

/* Reads what the Xen transport has; false on a read error. */
static bool receive_xen(struct hostile *h)
{
	for (;;) {
		char err[128];
		switch (agent_transport_receive(h->xen, h->msg, err, sizeof(err))) {
		case AGENT_RECV_MESSAGE:
			handle_message(h, h->msg);
			continue;
		case AGENT_RECV_AGAIN:
			return true;
		case AGENT_RECV_CLOSED:
			h->dropped = true;
			return true;
		case AGENT_RECV_ERROR:
			printf("hostile: receiving failed: %s\n", err);
			return false;
		}
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
		int fd = h->xen ? agent_transport_get_fd(h->xen) : h->fd;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		/* Over Xen, also look now and then: a send may have consumed
		 * the event that announced the compositor's reply. */
		int ret = poll(&pfd, 1, h->xen && left > 200 ? 200 : (int)left);
		if (ret < 0 && errno != EINTR)
			break;
		if (h->xen) {
			if (!receive_xen(h))
				break;
			continue;
		}
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

static bool say_hello_with(struct hostile *h, uint32_t capabilities)
{
	struct tsr_msg hello = {.type = TSR_MSG_HELLO};
	hello.u.hello =
	    (struct tsr_msg_hello){TSR_PROTOCOL_MAJOR, TSR_PROTOCOL_MINOR, capabilities};
	if (!send_msg(h, &hello, -1))
		return false;
	read_until(h, h->wait_ms, has_welcome_or_error);
	if (!h->welcomed || h->got_error) {
		printf("hostile: no WELCOME after HELLO\n");
		return false;
	}
	return true;
}

static bool say_hello(struct hostile *h)
{
	uint32_t buffers = h->xen ? TSR_CAP_GRANTS : TSR_CAP_MEMFD;
	return say_hello_with(h, buffers | TSR_CAP_INPUT);
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

/* Attaches fd as buffer_id so that the compositor holds its last
 * reference (and fd is closed here): the header goes with the fd, then our
 * copy is closed while the compositor waits for the body, then the body.
 * Whatever close() of that file does, the compositor's close does it. */
static bool attach_last_reference(struct hostile *h, uint32_t buffer_id, int fd)
{
	struct tsr_msg msg = {.type = TSR_MSG_BUFFER_ATTACH_MEMFD};
	msg.u.attach_memfd = (struct tsr_msg_buffer_attach_memfd){1, buffer_id, 0, SURFACE_BYTES};
	size_t len = tsr_msg_encode(&msg, h->send_buf, TSR_MAX_MESSAGE_SIZE);
	bool sent = len > TSR_HEADER_SIZE && send_bytes(h, h->send_buf, TSR_HEADER_SIZE, fd);
	/* Not the last reference whatever the timing: until the compositor
	 * reads the header, the fd in flight holds one; after, the compositor
	 * holds it with the message it is still waiting for. */
	close(fd);
	return sent && send_bytes(h, h->send_buf + TSR_HEADER_SIZE, len - TSR_HEADER_SIZE, -1);
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

/* ---- Xen modes ---------------------------------------------------------- */

#ifdef TSR_HOSTILE_HAVE_XEN
static bool create_surface_sized(struct hostile *h, uint32_t width, uint32_t height)
{
	struct tsr_msg msg = {.type = TSR_MSG_SURFACE_CREATE};
	msg.u.surface_create =
	    (struct tsr_msg_surface_create){1, width, height, DRM_FORMAT_XRGB8888, width * 4u};
	return send_msg(h, &msg, -1);
}

static bool attach_grants(struct hostile *h, uint32_t buffer_id, const uint32_t *refs,
			  uint32_t ref_count)
{
	struct tsr_msg *msg = calloc(1, sizeof(*msg));
	if (!msg)
		return false;
	msg->type = TSR_MSG_BUFFER_ATTACH_GRANTS;
	msg->u.attach_grants.surface_id = 1;
	msg->u.attach_grants.buffer_id = buffer_id;
	msg->u.attach_grants.ref_count = ref_count;
	memcpy(msg->u.attach_grants.refs, refs, ref_count * sizeof(uint32_t));
	bool sent = send_msg(h, msg, -1);
	free(msg);
	return sent;
}

/* Pages shared the way the agent's buffer pool shares them (read-only to
 * dom0); NULL on failure. */
static void *share(struct hostile *h, uint32_t pages, uint32_t *refs)
{
	const struct agent_page_sharer *sharer = agent_transport_xen_sharer(h->xen);
	void *map = sharer->share(sharer->data, pages, refs);
	if (!map)
		printf("hostile: sharing %u pages failed: %s\n", pages, strerror(errno));
	return map;
}

static bool read_own_domid(uint32_t *domid)
{
	struct xs_handle *xs = xs_open(0);
	if (!xs)
		return false;
	char *text = xs_read(xs, XBT_NULL, "domid", NULL);
	bool ok = text && sscanf(text, "%u", domid) == 1;
	free(text);
	xs_close(xs);
	return ok;
}

/* Waits until the xenstore node PATH (relative to our domain's home)
 * exists. It looks twice a second rather than watching: libxenstore's
 * watches need its reader thread, whose 16 KiB stack is too small for a
 * static binary's TLS (pthread_create fails, xs_watch reports EINVAL), and
 * this binary is static to run in a busybox domU. */
static bool wait_for_node(const char *path, int timeout_ms)
{
	struct xs_handle *xs = xs_open(0);
	if (!xs) {
		printf("hostile: cannot open xenstore: %s\n", strerror(errno));
		return false;
	}
	printf("hostile: waiting for %s\n", path);
	int64_t deadline = now_ms() + timeout_ms;
	bool found = false;
	while (!found && now_ms() < deadline) {
		char *value = xs_read(xs, XBT_NULL, path, NULL);
		found = value != NULL;
		free(value);
		if (!found)
			usleep(500 * 1000);
	}
	xs_close(xs);
	if (!found)
		printf("hostile: %s did not appear\n", path);
	return found;
}

/* A surface of 64x64 (4 pages) and one attach whose refs are wrong in the
 * way the mode names. */
static bool misbehave_xen(struct hostile *h, const char *mode)
{
	const uint32_t pages = SURFACE_BYTES / TSR_PAGE_SIZE;
	uint32_t refs[SURFACE_BYTES / TSR_PAGE_SIZE];
	if (!strcmp(mode, "too-few-refs")) {
		if (!share(h, 1, refs) || !create_surface(h, 1))
			return false;
		attach_grants(h, 1, refs, 1);
	} else if (!strcmp(mode, "ungranted-refs")) {
		/* Far beyond any grant table: refs nobody granted. */
		uint32_t seed = (uint32_t)now_ms();
		for (uint32_t i = 0; i < pages; i++) {
			seed = seed * 1103515245u + 12345u;
			refs[i] = 0x100000u + (seed >> 8);
		}
		if (!create_surface(h, 1))
			return false;
		attach_grants(h, 1, refs, pages);
	} else if (!strcmp(mode, "foreign-refs")) {
		/* Real grants, but to another domain (ourselves), not dom0. */
		struct xen_transport *xen = xen_from_base(h->xen);
		uint32_t self;
		if (!read_own_domid(&self)) {
			printf("hostile: cannot read our domid\n");
			return false;
		}
		if (!xengntshr_share_pages(xen->gntshr, self, (int)pages, refs, 0)) {
			printf("hostile: sharing with domid %u failed: %s\n", self,
			       strerror(errno));
			return false;
		}
		printf("hostile: %u pages granted to domid %u, first ref %u\n", pages, self,
		       refs[0]);
		if (!create_surface(h, 1))
			return false;
		attach_grants(h, 1, refs, pages);
	} else if (!strcmp(mode, "attach-flood")) {
		/* One 4K frame of real grants, attached again and again: the
		 * quota (four such frames) must stop the mapping. */
		uint32_t frame_pages =
		    XEN_SURFACE_4K_WIDTH * 4u * XEN_SURFACE_4K_HEIGHT / TSR_PAGE_SIZE;
		uint32_t *big_refs = calloc(frame_pages, sizeof(uint32_t));
		if (!big_refs || !share(h, frame_pages, big_refs) ||
		    !create_surface_sized(h, XEN_SURFACE_4K_WIDTH, XEN_SURFACE_4K_HEIGHT)) {
			free(big_refs);
			return false;
		}
		uint32_t attached = 0;
		for (uint32_t id = 1; id <= TSR_MAX_BUFFERS_PER_GUEST; id++) {
			if (!attach_grants(h, id, big_refs, frame_pages))
				break;
			attached++;
		}
		printf("hostile: attached a %ux%u frame %u times\n", XEN_SURFACE_4K_WIDTH,
		       XEN_SURFACE_4K_HEIGHT, attached);
		free(big_refs);
	} else if (!strcmp(mode, "garbage")) {
		uint8_t noise[4096];
		uint32_t seed = 0x7e55e7a;
		for (size_t i = 0; i < sizeof(noise); i++) {
			seed = seed * 1103515245u + 12345u;
			noise[i] = (uint8_t)(seed >> 16);
		}
		send_bytes(h, noise, sizeof(noise), -1);
	} else {
		printf("hostile: unknown mode '%s'\n", mode);
		return false;
	}
	return true;
}
#endif

/* ---- fds that are not buffers (local transport) ------------------------ */

/* What must stay open on our side while the compositor holds the fd. */
struct fd_trap {
	int tcp_listener, tcp_peer;
	char fifo_dir[64];
};

static void fd_trap_release(struct fd_trap *trap)
{
	if (trap->tcp_peer >= 0)
		close(trap->tcp_peer);
	if (trap->tcp_listener >= 0)
		close(trap->tcp_listener);
	if (trap->fifo_dir[0]) {
		char path[96];
		snprintf(path, sizeof(path), "%s/fifo", trap->fifo_dir);
		unlink(path);
		rmdir(trap->fifo_dir);
	}
}

/* A loopback TCP socket whose close() blocks for an hour: SO_LINGER on,
 * and data it cannot send because its peer (trap->tcp_peer) never reads. */
static int make_lingering_tcp(struct fd_trap *trap)
{
	int small = 4096;
	struct sockaddr_in address = {.sin_family = AF_INET,
				      .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t length = sizeof(address);
	trap->tcp_listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (trap->tcp_listener < 0 ||
	    setsockopt(trap->tcp_listener, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) < 0 ||
	    bind(trap->tcp_listener, (struct sockaddr *)&address, sizeof(address)) < 0 ||
	    listen(trap->tcp_listener, 1) < 0 ||
	    getsockname(trap->tcp_listener, (struct sockaddr *)&address, &length) < 0)
		return -1;
	int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (client < 0)
		return -1;
	if (setsockopt(client, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)) < 0 ||
	    connect(client, (struct sockaddr *)&address, sizeof(address)) < 0 ||
	    (trap->tcp_peer = accept4(trap->tcp_listener, NULL, NULL, SOCK_CLOEXEC)) < 0)
		goto error;
	int flags = fcntl(client, F_GETFL);
	fcntl(client, F_SETFL, flags | O_NONBLOCK);
	static const uint8_t chunk[4096];
	size_t queued = 0;
	for (;;) {
		ssize_t written = write(client, chunk, sizeof(chunk));
		if (written < 0)
			break;
		queued += (size_t)written;
	}
	fcntl(client, F_SETFL, flags);
	struct linger linger = {.l_onoff = 1, .l_linger = 3600};
	if (errno != EAGAIN ||
	    setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, sizeof(linger)) < 0)
		goto error;
	printf("hostile: TCP socket with SO_LINGER 3600 s and %zu bytes its peer never reads\n",
	       queued);
	return client;
error:
	close(client);
	return -1;
}

/* An fd of the kind named, or -1. The caller closes it after sending. */
static int make_foreign_fd(const char *kind, struct fd_trap *trap)
{
	int fds[2];
	if (!strcmp(kind, "tcp-linger"))
		return make_lingering_tcp(trap);
	if (!strcmp(kind, "fifo")) {
		snprintf(trap->fifo_dir, sizeof(trap->fifo_dir), "/tmp/hostile-fifo-XXXXXX");
		if (!mkdtemp(trap->fifo_dir)) {
			trap->fifo_dir[0] = '\0';
			return -1;
		}
		char path[96];
		snprintf(path, sizeof(path), "%s/fifo", trap->fifo_dir);
		if (mkfifo(path, 0600) < 0)
			return -1;
		return open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	}
	if (!strcmp(kind, "pipe")) {
		if (pipe(fds) < 0)
			return -1;
		close(fds[1]);
		return fds[0];
	}
	if (!strcmp(kind, "socketpair")) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
			return -1;
		close(fds[1]);
		return fds[0];
	}
	if (!strcmp(kind, "dev-zero"))
		return open("/dev/zero", O_RDWR | O_CLOEXEC);
	if (!strcmp(kind, "directory"))
		return open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return -2; /* not an fd kind */
}

/* Connects to the domain's socket and hangs up, count times. */
static int connect_loop(const char *path, int count, int *made);

/* ---- modes -------------------------------------------------------------- */

/* The misbehaviour of each mode; the common "expect to be dropped" wait
 * follows. A false return means the set-up itself failed. */
static bool misbehave(struct hostile *h, const char *mode, struct fd_trap *trap)
{
	uint8_t raw[64];
	if (!strcmp(mode, "before-hello")) {
		uint32_t body[] = {1, 1, 1};
		size_t len = raw_message(raw, TSR_MSG_COMMIT, TSR_HEADER_SIZE + 12, body, 3);
		send_bytes(h, raw, len, -1);
		return true;
	}
	if (!strcmp(mode, "bad-version")) {
		struct tsr_msg hello = {.type = TSR_MSG_HELLO};
		hello.u.hello = (struct tsr_msg_hello){TSR_PROTOCOL_MAJOR + 1, 0, TSR_CAP_MEMFD};
		send_msg(h, &hello, -1);
		return true;
	}
	if (!strcmp(mode, "no-capability")) {
		/* WELCOME grants no memfds: attaching one is a CAPABILITY error. */
		int fd = make_memfd(SURFACE_BYTES, F_SEAL_SHRINK);
		if (fd < 0 || !say_hello_with(h, TSR_CAP_INPUT) || !create_surface(h, 1))
			return false;
		attach(h, 1, SURFACE_BYTES, fd);
		close(fd);
		return true;
	}
	if (!say_hello(h))
		return false;

	int foreign = h->xen ? -2 : make_foreign_fd(mode, trap);
	if (foreign == -1) {
		printf("hostile: cannot make a %s fd: %s\n", mode, strerror(errno));
		return false;
	}
	if (foreign >= 0) {
		bool ok = create_surface(h, 1);
		if (ok)
			attach_last_reference(h, 1, foreign);
		else
			close(foreign);
		return ok;
	}
	if (!strcmp(mode, "two-fds")) {
		int fds[2] = {make_memfd(SURFACE_BYTES, F_SEAL_SHRINK),
			      make_memfd(SURFACE_BYTES, F_SEAL_SHRINK)};
		if (fds[0] < 0 || fds[1] < 0 || !create_surface(h, 1))
			return false;
		struct tsr_msg msg = {.type = TSR_MSG_BUFFER_ATTACH_MEMFD};
		msg.u.attach_memfd = (struct tsr_msg_buffer_attach_memfd){1, 1, 0, SURFACE_BYTES};
		send_msg_fds(h, &msg, fds, 2);
		close(fds[0]);
		close(fds[1]);
		return true;
	}
	if (!strcmp(mode, "fd-on-damage")) {
		int fd = make_memfd(SURFACE_BYTES, F_SEAL_SHRINK);
		if (fd < 0 || !create_surface(h, 1))
			return false;
		struct tsr_msg damage = {.type = TSR_MSG_DAMAGE};
		damage.u.damage.surface_id = 1;
		send_msg(h, &damage, fd);
		close(fd);
		return true;
	}
	if (!strcmp(mode, "duplicate-surface")) {
		if (create_surface(h, 1))
			create_surface(h, 1);
		return true;
	}
	if (!strcmp(mode, "too-many-buffers")) {
		int fd = make_memfd(SURFACE_BYTES, F_SEAL_SHRINK);
		if (fd < 0 || !create_surface(h, 1))
			return false;
		for (uint32_t id = 1; id <= TSR_MAX_BUFFERS_PER_GUEST + 1; id++)
			if (!attach(h, id, SURFACE_BYTES, fd))
				break;
		close(fd);
		return true;
	}

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
	} else if (h->xen) {
#ifdef TSR_HOSTILE_HAVE_XEN
		return misbehave_xen(h, mode);
#endif
	} else {
		printf("hostile: unknown mode '%s'\n", mode);
		return false;
	}
	return true;
}

static int expect_drop(struct hostile *h)
{
	read_until(h, h->wait_ms, NULL);
	/* A send may have seen the vchan close first: what the compositor
	 * wrote before closing (the ERROR) is still in the ring. */
	if (h->xen)
		receive_xen(h);
	if (!h->dropped) {
		printf("hostile: still connected after %d ms\n", h->wait_ms);
		return 1;
	}
	if (h->got_error)
		printf("hostile: dropped: %s (code %u)\n", h->error_text, h->error_code);
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

/* The guest that is connected stays so while a second connection to its
 * domain is made and dropped count times. */
static int mode_second_connection_loop(struct hostile *h, int count)
{
	if (!say_hello(h))
		return 1;
	int made = 0;
	int status = connect_loop(h->socket_path, count, &made);
	printf("hostile: %d second connections made\n", made);
	read_until(h, 500, NULL);
	if (h->dropped) {
		printf("hostile: the first connection was dropped\n");
		return 1;
	}
	printf("hostile: first connection still up\n");
	return status;
}

static int connect_to(const char *path);

static int connect_loop(const char *path, int count, int *made)
{
	for (*made = 0; *made < count; (*made)++) {
		int fd = connect_to(path);
		if (fd < 0) {
			printf("hostile: connection %d failed: %s\n", *made, strerror(errno));
			return 1;
		}
		close(fd);
	}
	return 0;
}

static volatile sig_atomic_t release_requested;

static void request_release(int signal_number)
{
	(void)signal_number;
	release_requested = 1;
}

/* Starts over on a fresh connection to the same socket. */
static bool reconnect(struct hostile *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = connect_to(h->socket_path);
	h->dropped = h->welcomed = h->got_error = false;
	h->recv_have = 0;
	return h->fd >= 0;
}

/* Fills the domain's closer: one fd whose close blocks, then connections
 * that each leave 253 more fds (one pipe, sent 253 times) behind it. Once
 * the closer lacks room for another connection, the compositor must stop
 * accepting (never close on its loop): our next connection gets no WELCOME
 * until SIGUSR1 makes us release the blocking fd, then it does. */
static int mode_closer_storm(struct hostile *h)
{
	struct fd_trap trap = {.tcp_listener = -1, .tcp_peer = -1};
	int status = 1;
	signal(SIGUSR1, request_release);
	int lingering = make_lingering_tcp(&trap);
	if (lingering < 0 || !say_hello(h) || !create_surface(h, 1))
		goto out;
	attach_last_reference(h, 1, lingering);
	if (expect_drop(h) != 0)
		goto out;
	int pipe_fds[2];
	if (pipe(pipe_fds) < 0)
		goto out;
	int copies[MAX_PASSED_FDS];
	for (size_t i = 0; i < MAX_PASSED_FDS; i++)
		copies[i] = pipe_fds[1];
	int stormed = 0;
	for (; stormed < 16; stormed++) {
		if (!reconnect(h))
			goto out;
		struct tsr_msg hello = {.type = TSR_MSG_HELLO};
		hello.u.hello =
		    (struct tsr_msg_hello){TSR_PROTOCOL_MAJOR, TSR_PROTOCOL_MINOR, TSR_CAP_MEMFD};
		send_msg(h, &hello, -1);
		read_until(h, DROP_WAIT_MS, has_welcome_or_error);
		if (!h->welcomed)
			break; /* not accepted: the closer is full (the test checks the log) */
		struct tsr_msg damage = {.type = TSR_MSG_DAMAGE};
		send_msg_fds(h, &damage, copies, MAX_PASSED_FDS);
		if (expect_drop(h) != 0)
			goto out;
	}
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	printf("hostile: %d connections left %d fds each; the next is not accepted: waiting\n",
	       stormed, MAX_PASSED_FDS + 1);
	if (stormed == 16)
		goto out;
	while (!release_requested && !h->welcomed && !h->dropped)
		read_until(h, 100, has_welcome_or_error);
	if (h->welcomed) {
		printf("hostile: WELCOME before the blocking fd was released\n");
		goto out;
	}
	fd_trap_release(&trap);
	trap = (struct fd_trap){.tcp_listener = -1, .tcp_peer = -1};
	printf("hostile: released the blocking fd\n");
	read_until(h, DROP_WAIT_MS, has_welcome_or_error);
	if (!h->welcomed) {
		printf("hostile: no WELCOME after the release\n");
		goto out;
	}
	printf("hostile: accepted again after the release\n");
	status = 0;
out:
	fd_trap_release(&trap);
	return status;
}

static int run(struct hostile *h, const char *mode)
{
	if (!strcmp(mode, "closer-storm"))
		return mode_closer_storm(h);
	if (!strcmp(mode, "connect-loop")) {
		int made = 0;
		close(h->fd);
		h->fd = -1;
		int status = connect_loop(h->socket_path, 1000, &made);
		printf("hostile: %d connections made and closed\n", made);
		return status;
	}
	if (!strcmp(mode, "second-connection-loop"))
		return mode_second_connection_loop(h, 1000);
	if (!strcmp(mode, "shrink-after-attach"))
		return mode_shrink_after_attach(h);
	if (!strcmp(mode, "flood"))
		return mode_flood(h);
	if (!strcmp(mode, "disconnect-mid-message"))
		return mode_disconnect_mid_message(h, false);
	if (!strcmp(mode, "disconnect-mid-body"))
		return mode_disconnect_mid_message(h, true);
	struct fd_trap trap = {.tcp_listener = -1, .tcp_peer = -1};
	int status;
	if (!misbehave(h, mode, &trap) && !h->dropped) {
		printf("hostile: set-up failed\n");
		status = 1;
	} else {
		status = expect_drop(h);
	}
	if (status == 0 && trap.tcp_peer >= 0) {
		/* Keeps the compositor's close() of our socket blocked until
		 * we are told to go (SIGTERM; our exit resets the peer). */
		printf("hostile: dropped; holding the TCP peer unread until SIGTERM\n");
		sigset_t term;
		sigemptyset(&term);
		sigaddset(&term, SIGTERM);
		sigprocmask(SIG_BLOCK, &term, NULL);
		int signal_number;
		sigwait(&term, &signal_number);
	}
	fd_trap_release(&trap);
	return status;
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
	    {"transport", required_argument, NULL, 't'},
	    {"mode", required_argument, NULL, 'm'},
	    {"wait-for", required_argument, NULL, 'w'},
	    {0},
	};
	const char *socket_path = NULL, *mode = NULL, *transport = "local", *wait_for = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (opt == 's')
			socket_path = optarg;
		else if (opt == 't')
			transport = optarg;
		else if (opt == 'm')
			mode = optarg;
		else if (opt == 'w')
			wait_for = optarg;
		else
			return 2;
	}
	bool xen = !strcmp(transport, "xen");
	if (!mode || (!xen && (strcmp(transport, "local") || !socket_path))) {
		fprintf(
		    stderr,
		    "usage: hostile-agent --socket PATH --mode MODE\n"
		    "       hostile-agent --transport xen --mode MODE [--wait-for XENSTORE_PATH]\n"
		    "modes: bad-size short-memfd unsealed-memfd shrink-after-attach flood\n"
		    "       disconnect-mid-message disconnect-mid-body unknown-type bad-length\n"
		    "       before-hello bad-damage too-many-surfaces wrong-fd-count\n"
		    "       bad-version no-capability duplicate-surface too-many-buffers\n"
		    "       two-fds fd-on-damage connect-loop second-connection-loop\n"
		    "       tcp-linger fifo pipe socketpair dev-zero directory (sent as a buffer)\n"
		    "       closer-storm\n"
		    "Xen only: too-few-refs ungranted-refs foreign-refs attach-flood garbage\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	struct hostile h = {
	    .fd = -1, .wait_ms = xen ? XEN_WAIT_MS : DROP_WAIT_MS, .socket_path = socket_path};
	int status = 1;
	h.recv_buf = malloc(TSR_MAX_MESSAGE_SIZE);
	h.send_buf = malloc(TSR_MAX_MESSAGE_SIZE);
	h.msg = calloc(1, sizeof(*h.msg));
	if (!h.recv_buf || !h.send_buf || !h.msg)
		goto out;
	if (xen) {
#ifdef TSR_HOSTILE_HAVE_XEN
		if (wait_for && !wait_for_node(wait_for, XEN_GO_WAIT_MS))
			goto out;
		h.xen = agent_transport_xen.connect(NULL);
#endif
		(void)wait_for;
		if (!h.xen) {
			printf(
			    "hostile: no Xen transport (not built with Xen, or not in a domU)\n");
			goto out;
		}
	} else {
		h.fd = connect_to(socket_path);
		if (h.fd < 0) {
			printf("hostile: cannot connect to %s: %s\n", socket_path, strerror(errno));
			goto out;
		}
	}
	printf("hostile: mode %s over %s\n", mode, transport);
	status = run(&h, mode);

out:
	if (h.fd >= 0)
		close(h.fd);
	agent_transport_destroy(h.xen);
	free(h.recv_buf);
	free(h.send_buf);
	free(h.msg);
	return status;
}
