/* A minimal local guest for the in-VM test programs (kms-dmabuf-test,
 * kms-scanout-test, bench-scanout): speaks Tessera's protocol over the
 * local socket with memfd buffers, counts what the compositor sends back.
 * Not the agent: these programs need exact control of every message and
 * of the memfd's seals, offset and size. */
#ifndef TSR_TESTS_VM_GUEST_H
#define TSR_TESTS_VM_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/protocol.h"

#define VM_GUEST_WAIT_MS 30000
#define VM_GUEST_BUFFER_IDS 8

struct vm_guest {
	int socket;
	uint8_t *send_buf, *recv_buf;
	size_t recv_have;
	struct tsr_msg *msg;
	bool welcomed, dropped;
	uint32_t frames_done, frames_wanted; /* FRAME_DONEs so far; vm_guest_commit's goal */
	uint32_t configured_width, configured_height;
	uint32_t released[VM_GUEST_BUFFER_IDS]; /* BUFFER_RELEASEs per buffer id */
};

int64_t vm_now_ms(void);
int64_t vm_now_ns(void);

/* Connects to path, sends HELLO (memfd capability) and waits for WELCOME. */
bool vm_guest_connect(struct vm_guest *guest, const char *path);
void vm_guest_close(struct vm_guest *guest); /* accepts a zeroed guest */
/* One message, with pass_fd (>= 0) as SCM_RIGHTS. */
bool vm_guest_send(struct vm_guest *guest, const struct tsr_msg *msg, int pass_fd);
/* Reads for up to ms, or until done(guest) holds; false when dropped or,
 * with a done, when the time ran out. */
bool vm_guest_read_until(struct vm_guest *guest, bool (*done)(const struct vm_guest *), int ms);
/* Learns the content box's size (CONFIGURE of a throw-away 64x64
 * surface 1, destroyed again) into configured_width/height. */
bool vm_guest_learn_size(struct vm_guest *guest);
bool vm_guest_create_surface(struct vm_guest *guest, uint32_t surface_id, uint32_t width,
			     uint32_t height);
/* A memfd of size bytes mapped read-write into *map, then sealed with seals. */
int vm_guest_memfd(size_t size, unsigned seals, uint32_t **map);
void vm_guest_fill(uint32_t *pixels, uint32_t width, uint32_t height,
		   uint32_t (*pattern)(uint32_t, uint32_t));
bool vm_guest_attach(struct vm_guest *guest, uint32_t surface_id, uint32_t buffer_id, int fd,
		     uint32_t offset, uint32_t size);
/* Full DAMAGE of width x height and COMMIT of buffer_id, without waiting. */
bool vm_guest_send_commit(struct vm_guest *guest, uint32_t surface_id, uint32_t buffer_id,
			  uint32_t width, uint32_t height);
/* The same, then waits for its FRAME_DONE. */
bool vm_guest_commit(struct vm_guest *guest, uint32_t surface_id, uint32_t buffer_id,
		     uint32_t width, uint32_t height);

#endif
