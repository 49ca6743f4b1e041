/* The whole tessera-agent against a fake compositor: one connection,
 * HELLO/WELCOME, attaches (sealed memfds, checked), damage (within bounds),
 * commits (serials increase, pixels equal the reference scene), FRAME_DONE,
 * input, CONFIGURE, ERROR and SIGTERM. The agent binary comes from
 * TESSERA_AGENT in the environment. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <tessera/protocol.h>

#include "source.h"
#include "test.h"

#define MAX_BUFFERS 16

struct fake_buffer {
	uint32_t id;
	uint32_t surface_id;
	const uint32_t *pixels;
	size_t map_size;
};

struct fake {
	char dir[64];
	char socket_path[96];
	int listen_fd, conn_fd;
	pid_t agent_pid;
	FILE *agent_stdout; /* the agent's --log-input lines */
	bool has_surface;
	struct tsr_msg_surface_create surface;
	struct fake_buffer buffers[MAX_BUFFERS];
	uint32_t last_serial;
	uint32_t commits;
	uint32_t damage_messages;
	struct tsr_msg *msg;
};

static bool fake_start(struct fake *fake, const char *const extra_args[])
{
	memset(fake, 0, sizeof(*fake));
	fake->conn_fd = -1;
	fake->msg = calloc(1, sizeof(*fake->msg));
	snprintf(fake->dir, sizeof(fake->dir), "/tmp/tessera-agent-test-XXXXXX");
	if (!fake->msg || !mkdtemp(fake->dir))
		return false;
	snprintf(fake->socket_path, sizeof(fake->socket_path), "%s/socket", fake->dir);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", fake->socket_path);
	fake->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fake->listen_fd < 0 || bind(fake->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(fake->listen_fd, 1))
		return false;

	const char *agent = getenv("TESSERA_AGENT");
	if (!agent)
		return false;
	const char *argv[32] = {agent, "--socket", fake->socket_path, "--name", "fake-test"};
	size_t argc = 5;
	for (size_t i = 0; extra_args[i] && argc < 31; i++)
		argv[argc++] = extra_args[i];
	argv[argc] = NULL;

	int out_pipe[2];
	if (pipe2(out_pipe, O_CLOEXEC))
		return false;
	fake->agent_pid = fork();
	if (fake->agent_pid == 0) {
		dup2(out_pipe[1], STDOUT_FILENO);
		execv(agent, (char *const *)argv);
		_exit(127);
	}
	close(out_pipe[1]);
	fake->agent_stdout = fdopen(out_pipe[0], "r");
	fake->conn_fd = accept4(fake->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	/* A guard against a hung agent, not a timing assertion. */
	struct timeval timeout = {.tv_sec = 20};
	setsockopt(fake->conn_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	return fake->agent_pid > 0 && fake->conn_fd >= 0;
}

/* The agent's exit status (-1 if it did not exit normally). */
static int fake_wait_agent(struct fake *fake)
{
	/* A guard against a hung agent (killed after ~20 s), not a timing
	 * assertion. */
	int status;
	pid_t ret = 0;
	for (int tries = 0; tries < 2000 && ret == 0; tries++) {
		ret = waitpid(fake->agent_pid, &status, WNOHANG);
		if (ret == 0)
			usleep(10000);
	}
	if (ret == 0) {
		fprintf(stderr, "agent did not exit: killing it\n");
		kill(fake->agent_pid, SIGKILL);
		waitpid(fake->agent_pid, &status, 0);
		fake->agent_pid = 0;
		return -1;
	}
	if (ret != fake->agent_pid)
		return -1;
	fake->agent_pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void fake_finish(struct fake *fake)
{
	if (fake->agent_pid > 0) {
		kill(fake->agent_pid, SIGKILL);
		waitpid(fake->agent_pid, NULL, 0);
	}
	for (size_t i = 0; i < MAX_BUFFERS; i++)
		if (fake->buffers[i].pixels)
			munmap((void *)fake->buffers[i].pixels, fake->buffers[i].map_size);
	if (fake->agent_stdout)
		fclose(fake->agent_stdout);
	if (fake->conn_fd >= 0)
		close(fake->conn_fd);
	if (fake->listen_fd >= 0)
		close(fake->listen_fd);
	unlink(fake->socket_path);
	rmdir(fake->dir);
	free(fake->msg);
}

/* Reads exactly len bytes, collecting at most one passed fd. */
static bool read_exact(struct fake *fake, uint8_t *buf, size_t len, int *fd)
{
	size_t have = 0;
	while (have < len) {
		struct iovec iov = {.iov_base = buf + have, .iov_len = len - have};
		union {
			char buf[CMSG_SPACE(4 * sizeof(int))];
			struct cmsghdr align;
		} control;
		struct msghdr hdr = {.msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = control.buf,
				     .msg_controllen = sizeof(control.buf)};
		ssize_t ret = recvmsg(fake->conn_fd, &hdr, MSG_CMSG_CLOEXEC);
		if (ret <= 0)
			return false;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&hdr); c; c = CMSG_NXTHDR(&hdr, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < n; i++) {
				int received;
				memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				if (fd && *fd < 0)
					*fd = received;
				else
					close(received); /* a second fd: the check fails below */
				if (fd && *fd != received)
					*fd = -2;
			}
		}
		have += (size_t)ret;
	}
	return true;
}

/* Receives one message from the agent; *fd is -1 or the fd it carried. */
static bool fake_receive(struct fake *fake, int *fd)
{
	uint8_t *buf = malloc(TSR_MAX_MESSAGE_SIZE);
	char err[128];
	size_t total;
	*fd = -1;
	bool ok = buf && read_exact(fake, buf, TSR_HEADER_SIZE, fd) &&
		  tsr_header_check(buf, TSR_FROM_GUEST, &total, err, sizeof(err)) &&
		  read_exact(fake, buf + TSR_HEADER_SIZE, total - TSR_HEADER_SIZE, fd) &&
		  tsr_msg_decode(buf, total, TSR_FROM_GUEST, fake->msg, err, sizeof(err));
	free(buf);
	return ok;
}

static bool fake_send(struct fake *fake, const struct tsr_msg *msg)
{
	uint8_t buf[256];
	size_t len = tsr_msg_encode(msg, buf, sizeof(buf));
	return len > 0 && send(fake->conn_fd, buf, len, MSG_NOSIGNAL) == (ssize_t)len;
}

static bool fake_handshake(struct fake *fake)
{
	int fd;
	if (!fake_receive(fake, &fd) || fake->msg->type != TSR_MSG_HELLO || fd != -1)
		return false;
	CHECK_EQ_INT(fake->msg->u.hello.major, TSR_PROTOCOL_MAJOR);
	CHECK_EQ_INT(fake->msg->u.hello.capabilities, TSR_CAP_MEMFD | TSR_CAP_INPUT);
	struct tsr_msg welcome = {.type = TSR_MSG_WELCOME};
	welcome.u.welcome = (struct tsr_msg_welcome){
	    .major = TSR_PROTOCOL_MAJOR,
	    .minor = TSR_PROTOCOL_MINOR,
	    .capabilities = TSR_CAP_MEMFD | TSR_CAP_INPUT,
	    .max_width = 4096,
	    .max_height = 4096,
	};
	return fake_send(fake, &welcome);
}

static struct fake_buffer *find_buffer(struct fake *fake, uint32_t id)
{
	for (size_t i = 0; i < MAX_BUFFERS; i++)
		if (fake->buffers[i].pixels && fake->buffers[i].id == id)
			return &fake->buffers[i];
	return NULL;
}

static void check_attach(struct fake *fake, const struct tsr_msg_buffer_attach_memfd *attach,
			 int fd)
{
	CHECK(fd >= 0);
	CHECK(fake->has_surface && attach->surface_id == fake->surface.surface_id);
	CHECK(find_buffer(fake, attach->buffer_id) == NULL);
	if (fd < 0)
		return;
	int seals = fcntl(fd, F_GET_SEALS);
	CHECK(seals >= 0 && (seals & F_SEAL_SHRINK) && (seals & F_SEAL_GROW));
	struct stat st;
	CHECK(fstat(fd, &st) == 0);
	CHECK(tsr_validate_buffer_fits(fake->surface.width, fake->surface.height,
				       fake->surface.fourcc, fake->surface.stride, attach->offset,
				       (uint64_t)st.st_size, NULL, 0));
	CHECK_EQ_INT(attach->offset, 0);
	for (size_t i = 0; i < MAX_BUFFERS; i++) {
		if (fake->buffers[i].pixels)
			continue;
		void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
		CHECK(map != MAP_FAILED);
		if (map != MAP_FAILED)
			fake->buffers[i] = (struct fake_buffer){
			    attach->buffer_id, attach->surface_id, map, (size_t)st.st_size};
		break;
	}
	close(fd);
}

static void check_damage(struct fake *fake, const struct tsr_msg_damage *damage)
{
	fake->damage_messages++;
	CHECK(fake->has_surface && damage->surface_id == fake->surface.surface_id);
	CHECK(damage->count >= 1 && damage->count <= TSR_MAX_DAMAGE_RECTS);
	for (uint32_t i = 0; i < damage->count; i++) {
		const struct tsr_rect *r = &damage->rects[i];
		CHECK(r->x >= 0 && r->y >= 0 && r->width > 0 && r->height > 0);
		CHECK((uint64_t)r->x + r->width <= fake->surface.width);
		CHECK((uint64_t)r->y + r->height <= fake->surface.height);
	}
}

/* The committed buffer must equal a full redraw of frame commit_index. */
static void check_pixels(struct fake *fake, struct agent_source *reference,
			 const struct fake_buffer *buffer, uint32_t frame)
{
	uint32_t width = fake->surface.width, height = fake->surface.height;
	pixman_image_t *image = pixman_image_create_bits(PIXMAN_x8r8g8b8, (int)width, (int)height,
							 NULL, (int)width * 4);
	pixman_region32_t damage, all;
	pixman_region32_init(&damage);
	pixman_region32_init_rect(&all, 0, 0, width, height);
	reference->impl->set_frame(reference, frame, &damage);
	reference->impl->draw(reference, image, &all);
	const uint32_t *expected = pixman_image_get_data(image);
	size_t mismatches = 0;
	for (uint32_t y = 0; y < height; y++)
		for (uint32_t x = 0; x < width; x++)
			if ((expected[y * width + x] ^
			     buffer->pixels[y * fake->surface.stride / 4 + x]) &
			    0xffffff)
				mismatches++;
	CHECK_EQ_INT(mismatches, 0);
	pixman_region32_fini(&damage);
	pixman_region32_fini(&all);
	pixman_image_unref(image);
}

/* Serves the agent like a compositor. Input goes out before the FRAME_DONE
 * of commit 2; a CONFIGURE before the FRAME_DONE of commit 3. */
static void test_session_presents_frames(void)
{
	struct fake fake;
	const char *const args[] = {"--frames", "5",	  "--size",	 "160x100",
				    "--colour", "204060", "--log-input", NULL};
	CHECK(fake_start(&fake, args));
	CHECK(fake_handshake(&fake));
	struct agent_source *reference = agent_source_demo_create(160, 100, 0x204060);
	uint32_t held_buffer = 0, frames_done = 0;
	int fd;
	while (tsr_test_failures == 0 && frames_done < 5 && fake_receive(&fake, &fd)) {
		const struct tsr_msg *msg = fake.msg;
		if (msg->type != TSR_MSG_BUFFER_ATTACH_MEMFD) {
			CHECK_EQ_INT(fd, -1);
			if (fd >= 0)
				close(fd);
		}
		switch (msg->type) {
		case TSR_MSG_SURFACE_CREATE:
			CHECK(!fake.has_surface);
			CHECK_EQ_INT(msg->u.surface_create.fourcc, DRM_FORMAT_XRGB8888);
			CHECK(tsr_validate_surface(
			    msg->u.surface_create.width, msg->u.surface_create.height,
			    msg->u.surface_create.fourcc, msg->u.surface_create.stride, NULL, 0));
			fake.has_surface = true;
			fake.surface = msg->u.surface_create;
			break;
		case TSR_MSG_SURFACE_DESTROY:
			CHECK(fake.has_surface);
			fake.has_surface = false;
			break;
		case TSR_MSG_BUFFER_ATTACH_MEMFD:
			check_attach(&fake, &msg->u.attach_memfd, fd);
			break;
		case TSR_MSG_BUFFER_DESTROY: {
			struct fake_buffer *buffer =
			    find_buffer(&fake, msg->u.buffer_destroy.buffer_id);
			CHECK(buffer != NULL);
			if (buffer) {
				munmap((void *)buffer->pixels, buffer->map_size);
				buffer->pixels = NULL;
			}
			break;
		}
		case TSR_MSG_DAMAGE:
			check_damage(&fake, &msg->u.damage);
			break;
		case TSR_MSG_COMMIT: {
			const struct tsr_msg_commit *commit = &msg->u.commit;
			struct fake_buffer *buffer = find_buffer(&fake, commit->buffer_id);
			CHECK(buffer != NULL && buffer->surface_id == commit->surface_id);
			CHECK(commit->serial > fake.last_serial);
			CHECK(commit->buffer_id != held_buffer);
			fake.last_serial = commit->serial;
			if (buffer)
				check_pixels(&fake, reference, buffer, fake.commits);
			fake.commits++;
			/* Hold the new buffer, release the one shown before. */
			if (held_buffer) {
				struct tsr_msg release = {.type = TSR_MSG_BUFFER_RELEASE};
				release.u.buffer_release.buffer_id = held_buffer;
				CHECK(fake_send(&fake, &release));
			}
			held_buffer = commit->buffer_id;
			if (fake.commits == 2) {
				struct tsr_msg key = {.type = TSR_MSG_KEY};
				key.u.key =
				    (struct tsr_msg_key){.code = 30, .state = TSR_KEY_PRESSED};
				struct tsr_msg motion = {.type = TSR_MSG_POINTER_MOTION};
				motion.u.pointer_motion = (struct tsr_msg_pointer_motion){
				    .surface_id = 1, .x = 40, .y = 50};
				CHECK(fake_send(&fake, &key) && fake_send(&fake, &motion));
				pixman_region32_t ignored;
				pixman_region32_init(&ignored);
				reference->impl->set_key(reference, 30, &ignored);
				reference->impl->set_pointer(reference, 40, 50, &ignored);
				pixman_region32_fini(&ignored);
			}
			if (fake.commits == 3) {
				struct tsr_msg configure = {.type = TSR_MSG_CONFIGURE};
				configure.u.configure = (struct tsr_msg_configure){1, 120, 90};
				CHECK(fake_send(&fake, &configure));
				pixman_region32_t ignored;
				pixman_region32_init(&ignored);
				reference->impl->resize(reference, 120, 90, &ignored);
				pixman_region32_fini(&ignored);
				held_buffer = 0;
			}
			struct tsr_msg done = {.type = TSR_MSG_FRAME_DONE};
			done.u.frame_done = (struct tsr_msg_frame_done){1, commit->serial, 0};
			CHECK(fake_send(&fake, &done));
			frames_done++;
			break;
		}
		default:
			CHECK(!"unexpected message from the agent");
		}
	}
	CHECK_EQ_INT(frames_done, 5);
	CHECK_EQ_INT(fake.commits, 5);
	CHECK(fake.damage_messages >= 5);
	CHECK(fake.has_surface && fake.surface.width == 120 && fake.surface.height == 90);
	CHECK_EQ_INT(fake_wait_agent(&fake), 0);
	char line[128];
	CHECK(fgets(line, sizeof(line), fake.agent_stdout) &&
	      !strcmp(line, "input key 30 pressed\n"));
	CHECK(fgets(line, sizeof(line), fake.agent_stdout) &&
	      !strcmp(line, "input motion 40 50\n"));
	agent_source_destroy(reference);
	fake_finish(&fake);
}

/* Drains messages until the agent's first COMMIT. */
static bool wait_for_commit(struct fake *fake)
{
	int fd;
	while (fake_receive(fake, &fd)) {
		if (fd >= 0)
			close(fd);
		if (fake->msg->type == TSR_MSG_COMMIT)
			return true;
	}
	return false;
}

static void test_error_message_fails_agent(void)
{
	struct fake fake;
	const char *const args[] = {NULL};
	CHECK(fake_start(&fake, args));
	CHECK(fake_handshake(&fake));
	CHECK(wait_for_commit(&fake));
	struct tsr_msg error = {.type = TSR_MSG_ERROR};
	error.u.error.code = 3;
	snprintf(error.u.error.text, sizeof(error.u.error.text), "test says goodbye");
	CHECK(fake_send(&fake, &error));
	CHECK_EQ_INT(fake_wait_agent(&fake), 1);
	fake_finish(&fake);
}

static void test_garbage_fails_agent(void)
{
	struct fake fake;
	const char *const args[] = {NULL};
	CHECK(fake_start(&fake, args));
	CHECK(fake_handshake(&fake));
	CHECK(wait_for_commit(&fake));
	const uint8_t garbage[8] = {0xe7, 0x03, 0, 0, 8, 0, 0, 0}; /* type 999 */
	CHECK(send(fake.conn_fd, garbage, sizeof(garbage), MSG_NOSIGNAL) == sizeof(garbage));
	CHECK_EQ_INT(fake_wait_agent(&fake), 1);
	fake_finish(&fake);
}

static void test_disconnect_fails_agent(void)
{
	struct fake fake;
	const char *const args[] = {NULL};
	CHECK(fake_start(&fake, args));
	CHECK(fake_handshake(&fake));
	CHECK(wait_for_commit(&fake));
	shutdown(fake.conn_fd, SHUT_RDWR);
	CHECK_EQ_INT(fake_wait_agent(&fake), 1);
	fake_finish(&fake);
}

static void test_sigterm_exits_cleanly(void)
{
	struct fake fake;
	const char *const args[] = {NULL};
	CHECK(fake_start(&fake, args));
	CHECK(fake_handshake(&fake));
	/* After its first commit the agent sleeps in poll for FRAME_DONE. */
	CHECK(wait_for_commit(&fake));
	kill(fake.agent_pid, SIGTERM);
	CHECK_EQ_INT(fake_wait_agent(&fake), 0);
	fake_finish(&fake);
}

/* Serves `frames` frames to an agent started with --damage kind; every
 * DAMAGE must cover exactly `whole` (the full surface) or be empty, and
 * committed pixels must still equal the reference scene: at the commit's
 * frame, or with an empty DAMAGE (the scene stands still) at frame 0. */
static void check_damage_kind(const char *kind, bool whole)
{
	struct fake fake;
	const char *const args[] = {"--frames", "4", "--size", "96x64", "--damage", kind, NULL};
	CHECK(fake_start(&fake, args));
	CHECK(fake_handshake(&fake));
	struct agent_source *reference = agent_source_demo_create(96, 64, 0x808080);
	uint32_t held_buffer = 0, frames_done = 0, damage_messages = 0;
	int fd;
	while (tsr_test_failures == 0 && frames_done < 4 && fake_receive(&fake, &fd)) {
		const struct tsr_msg *msg = fake.msg;
		switch (msg->type) {
		case TSR_MSG_SURFACE_CREATE:
			fake.has_surface = true;
			fake.surface = msg->u.surface_create;
			break;
		case TSR_MSG_BUFFER_ATTACH_MEMFD:
			check_attach(&fake, &msg->u.attach_memfd, fd);
			break;
		case TSR_MSG_DAMAGE:
			damage_messages++;
			if (whole) {
				CHECK_EQ_INT(msg->u.damage.count, 1);
				CHECK(msg->u.damage.rects[0].x == 0 &&
				      msg->u.damage.rects[0].y == 0 &&
				      msg->u.damage.rects[0].width == 96 &&
				      msg->u.damage.rects[0].height == 64);
			} else {
				CHECK_EQ_INT(msg->u.damage.count, 0);
			}
			break;
		case TSR_MSG_COMMIT: {
			struct fake_buffer *buffer = find_buffer(&fake, msg->u.commit.buffer_id);
			CHECK(buffer != NULL);
			if (buffer)
				check_pixels(&fake, reference, buffer, whole ? fake.commits : 0);
			fake.commits++;
			if (held_buffer) {
				struct tsr_msg release = {.type = TSR_MSG_BUFFER_RELEASE};
				release.u.buffer_release.buffer_id = held_buffer;
				CHECK(fake_send(&fake, &release));
			}
			held_buffer = msg->u.commit.buffer_id;
			struct tsr_msg done = {.type = TSR_MSG_FRAME_DONE};
			done.u.frame_done = (struct tsr_msg_frame_done){1, msg->u.commit.serial, 0};
			CHECK(fake_send(&fake, &done));
			frames_done++;
			break;
		}
		default:
			CHECK(!"unexpected message from the agent");
		}
	}
	CHECK_EQ_INT(frames_done, 4);
	/* One DAMAGE before every COMMIT. */
	CHECK_EQ_INT(damage_messages, 4);
	CHECK_EQ_INT(fake_wait_agent(&fake), 0);
	agent_source_destroy(reference);
	fake_finish(&fake);
}

static void test_damage_full(void)
{
	check_damage_kind("full", true);
}

static void test_damage_none(void)
{
	check_damage_kind("none", false);
}

TSR_TEST_MAIN(TSR_CASE(test_session_presents_frames), TSR_CASE(test_damage_full),
	      TSR_CASE(test_damage_none), TSR_CASE(test_error_message_fails_agent),
	      TSR_CASE(test_garbage_fails_agent), TSR_CASE(test_disconnect_fails_agent),
	      TSR_CASE(test_sigterm_exits_cleanly))
