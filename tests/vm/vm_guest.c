/* The protocol side of the in-VM test guest (vm_guest.h). */
#include "vm_guest.h"

#include <drm_fourcc.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int64_t vm_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t vm_now_ms(void)
{
	return vm_now_ns() / 1000000;
}

bool vm_guest_send(struct vm_guest *guest, const struct tsr_msg *msg, int pass_fd)
{
	size_t len = tsr_msg_encode(msg, guest->send_buf, TSR_MAX_MESSAGE_SIZE);
	if (len == 0)
		return false;
	struct iovec iov = {.iov_base = guest->send_buf, .iov_len = len};
	struct msghdr header = {.msg_iov = &iov, .msg_iovlen = 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	if (pass_fd >= 0) {
		memset(&control, 0, sizeof(control));
		header.msg_control = control.buf;
		header.msg_controllen = sizeof(control.buf);
		struct cmsghdr *cmsg = CMSG_FIRSTHDR(&header);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &pass_fd, sizeof(int));
	}
	return sendmsg(guest->socket, &header, MSG_NOSIGNAL) == (ssize_t)len;
}

static void note(struct vm_guest *guest, const struct tsr_msg *msg)
{
	if (msg->type == TSR_MSG_WELCOME) {
		guest->welcomed = true;
	} else if (msg->type == TSR_MSG_FRAME_DONE) {
		guest->frames_done++;
	} else if (msg->type == TSR_MSG_CONFIGURE) {
		guest->configured_width = msg->u.configure.width;
		guest->configured_height = msg->u.configure.height;
	} else if (msg->type == TSR_MSG_BUFFER_RELEASE) {
		if (msg->u.buffer_release.buffer_id < VM_GUEST_BUFFER_IDS)
			guest->released[msg->u.buffer_release.buffer_id]++;
	} else if (msg->type == TSR_MSG_ERROR) {
		printf("  ERROR from the compositor: %s\n", msg->u.error.text);
	}
}

static void parse(struct vm_guest *guest)
{
	for (;;) {
		size_t total;
		char err[128];
		if (guest->recv_have < TSR_HEADER_SIZE)
			return;
		if (!tsr_header_check(guest->recv_buf, TSR_FROM_COMPOSITOR, &total, err,
				      sizeof(err))) {
			printf("  compositor sent a bad header: %s\n", err);
			guest->dropped = true;
			return;
		}
		if (guest->recv_have < total)
			return;
		if (tsr_msg_decode(guest->recv_buf, total, TSR_FROM_COMPOSITOR, guest->msg, err,
				   sizeof(err)))
			note(guest, guest->msg);
		memmove(guest->recv_buf, guest->recv_buf + total, guest->recv_have - total);
		guest->recv_have -= total;
	}
}

bool vm_guest_read_until(struct vm_guest *guest, bool (*done)(const struct vm_guest *), int ms)
{
	int64_t deadline = vm_now_ms() + ms;
	while (!guest->dropped && !(done && done(guest))) {
		int64_t left = deadline - vm_now_ms();
		if (left <= 0)
			return done == NULL;
		struct pollfd pfd = {.fd = guest->socket, .events = POLLIN};
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		ssize_t got = read(guest->socket, guest->recv_buf + guest->recv_have,
				   TSR_MAX_MESSAGE_SIZE - guest->recv_have);
		if (got <= 0) {
			guest->dropped = got == 0 || errno != EINTR;
			continue;
		}
		guest->recv_have += (size_t)got;
		parse(guest);
	}
	return !guest->dropped;
}

static bool welcomed(const struct vm_guest *guest)
{
	return guest->welcomed;
}

static bool configured(const struct vm_guest *guest)
{
	return guest->configured_width != 0;
}

bool vm_guest_connect(struct vm_guest *guest, const char *path)
{
	*guest = (struct vm_guest){.socket = -1};
	guest->send_buf = malloc(TSR_MAX_MESSAGE_SIZE);
	guest->recv_buf = malloc(TSR_MAX_MESSAGE_SIZE);
	guest->msg = malloc(sizeof(*guest->msg));
	guest->socket = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(address.sun_path))
		return false;
	memcpy(address.sun_path, path, strlen(path) + 1);
	if (!guest->send_buf || !guest->recv_buf || !guest->msg || guest->socket < 0 ||
	    connect(guest->socket, (struct sockaddr *)&address, sizeof(address)) < 0)
		return false;
	struct tsr_msg msg = {.type = TSR_MSG_HELLO};
	msg.u.hello = (struct tsr_msg_hello){TSR_PROTOCOL_MAJOR, TSR_PROTOCOL_MINOR, TSR_CAP_MEMFD};
	return vm_guest_send(guest, &msg, -1) &&
	       vm_guest_read_until(guest, welcomed, VM_GUEST_WAIT_MS);
}

void vm_guest_close(struct vm_guest *guest)
{
	if (guest->socket >= 0)
		close(guest->socket);
	guest->socket = -1;
	free(guest->send_buf);
	free(guest->recv_buf);
	free(guest->msg);
	guest->send_buf = guest->recv_buf = NULL;
	guest->msg = NULL;
}

bool vm_guest_create_surface(struct vm_guest *guest, uint32_t surface_id, uint32_t width,
			     uint32_t height)
{
	struct tsr_msg msg = {.type = TSR_MSG_SURFACE_CREATE};
	msg.u.surface_create = (struct tsr_msg_surface_create){surface_id, width, height,
							       DRM_FORMAT_XRGB8888, width * 4};
	return vm_guest_send(guest, &msg, -1);
}

bool vm_guest_learn_size(struct vm_guest *guest)
{
	guest->configured_width = guest->configured_height = 0;
	if (!vm_guest_create_surface(guest, 1, 64, 64) ||
	    !vm_guest_read_until(guest, configured, VM_GUEST_WAIT_MS))
		return false;
	struct tsr_msg msg = {.type = TSR_MSG_SURFACE_DESTROY};
	msg.u.surface_destroy.surface_id = 1;
	return vm_guest_send(guest, &msg, -1);
}

int vm_guest_memfd(size_t size, unsigned seals, uint32_t **map)
{
	int fd = memfd_create("vm-guest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	void *pixels = MAP_FAILED;
	if (ftruncate(fd, (off_t)size) == 0)
		pixels = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pixels == MAP_FAILED) {
		close(fd);
		return -1;
	}
	*map = pixels;
	/* F_SEAL_WRITE needs no writable mapping: callers asking for it fill
	 * and unmap first (kms_dmabuf_test.c). */
	if (seals && fcntl(fd, F_ADD_SEALS, seals) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

void vm_guest_fill(uint32_t *pixels, uint32_t width, uint32_t height,
		   uint32_t (*pattern)(uint32_t, uint32_t))
{
	for (uint32_t y = 0; y < height; y++)
		for (uint32_t x = 0; x < width; x++)
			pixels[(size_t)y * width + x] = pattern(x, y);
}

bool vm_guest_attach(struct vm_guest *guest, uint32_t surface_id, uint32_t buffer_id, int fd,
		     uint32_t offset, uint32_t size)
{
	struct tsr_msg msg = {.type = TSR_MSG_BUFFER_ATTACH_MEMFD};
	msg.u.attach_memfd =
	    (struct tsr_msg_buffer_attach_memfd){surface_id, buffer_id, offset, size};
	return vm_guest_send(guest, &msg, fd);
}

bool vm_guest_send_commit(struct vm_guest *guest, uint32_t surface_id, uint32_t buffer_id,
			  uint32_t width, uint32_t height)
{
	struct tsr_msg msg = {.type = TSR_MSG_DAMAGE};
	msg.u.damage.surface_id = surface_id;
	msg.u.damage.count = 1;
	msg.u.damage.rects[0] = (struct tsr_rect){0, 0, width, height};
	if (!vm_guest_send(guest, &msg, -1))
		return false;
	msg = (struct tsr_msg){.type = TSR_MSG_COMMIT};
	msg.u.commit = (struct tsr_msg_commit){surface_id, buffer_id, buffer_id};
	return vm_guest_send(guest, &msg, -1);
}

static bool frames_reached(const struct vm_guest *guest)
{
	return guest->frames_done >= guest->frames_wanted;
}

bool vm_guest_commit(struct vm_guest *guest, uint32_t surface_id, uint32_t buffer_id,
		     uint32_t width, uint32_t height)
{
	guest->frames_wanted = guest->frames_done + 1;
	return vm_guest_send_commit(guest, surface_id, buffer_id, width, height) &&
	       vm_guest_read_until(guest, frames_reached, VM_GUEST_WAIT_MS);
}
