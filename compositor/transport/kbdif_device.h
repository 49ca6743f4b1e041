/* One connected kbdif device: the frontend's shared page mapped
 * read-write (the backend writes the in-ring), its event channel bound,
 * the backlog (kbdif_queue), key repeat (input/key_repeat), and the input
 * sink the core delivers the domain's keyboard and pointer to.
 *
 * The backend (kbdif_backend.c) creates it when the XenBus handshake
 * reaches "connect", destroys it on disconnect. A violation (the guest's
 * consumer index is impossible) stops the device at once and is reported
 * to the owner from the event loop (never from inside a sink call), which
 * then destroys it. */
#ifndef TSR_TRANSPORT_KBDIF_DEVICE_H
#define TSR_TRANSPORT_KBDIF_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include <xengnttab.h>

#include "core/input_sink.h"
#include "tessera/config.h"

struct tsr_event_loop;
struct tsr_kbdif_device;

struct tsr_kbdif_device_owner {
	void (*violation)(void *data, const char *reason);
	void *data;
};

struct tsr_kbdif_device_params {
	uint32_t domid;
	const char *domain_name; /* for log lines */
	uint32_t untrusted_gref; /* page-gref, parsed */
	uint32_t untrusted_port; /* event-channel, parsed */
	uint32_t width, height;	 /* the absolute range we announced */
	const struct tsr_input_config *input;
};

/* NULL with err set when the page cannot be mapped or the channel bound
 * (refs the guest did not grant, ports it does not own: violations). */
struct tsr_kbdif_device *tsr_kbdif_device_create(struct tsr_event_loop *loop,
						 xengnttab_handle *gnttab,
						 const struct tsr_kbdif_device_params *params,
						 const struct tsr_kbdif_device_owner *owner,
						 char *err, size_t err_len);
/* Accepts NULL. Unmaps the page, unbinds the channel. */
void tsr_kbdif_device_destroy(struct tsr_kbdif_device *device);

struct tsr_input_sink *tsr_kbdif_device_sink(struct tsr_kbdif_device *device);

#endif
