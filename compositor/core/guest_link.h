/* The seam between transports (local: unix socket + memfd; xen: vchan +
 * grants) and the core. A link is one connected guest. The transport does
 * framing, header checks and decoding; the core does context validation
 * (ids, sizes against surfaces) and policy. */
#ifndef TSR_CORE_GUEST_LINK_H
#define TSR_CORE_GUEST_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/buffer.h"
#include "tessera/protocol.h"

struct tsr_guest_link;

/* The geometry a buffer must hold; validated by the core before import. */
struct tsr_buffer_request {
	uint32_t width, height, stride, format;
	uint64_t offset;
	uint64_t required_bytes; /* offset + (height-1)*stride + width*bpp */
};

/* The request for a surface of this geometry whose first pixel lies at
 * offset. Cannot overflow for a surface tsr_validate_surface accepted (it
 * caps stride * height) and an offset of 32 bits. */
static inline struct tsr_buffer_request tsr_buffer_request_for(uint32_t width, uint32_t height,
							       uint32_t stride, uint32_t format,
							       uint64_t offset)
{
	return (struct tsr_buffer_request){
	    .width = width,
	    .height = height,
	    .stride = stride,
	    .format = format,
	    .offset = offset,
	    .required_bytes = offset + (uint64_t)(height - 1) * stride +
			      (uint64_t)width * tsr_buffer_format_bpp(format),
	};
}

struct tsr_guest_link_impl {
	/* Queues one message for the guest. Returns false when the guest is
	 * not reading and its queue is full (the caller decides whether that
	 * drops an event or the guest, or holds it back: the core holds input
	 * back until listener.send_ready, which a transport must therefore call
	 * once it has room again after refusing). */
	bool (*send)(struct tsr_guest_link *link, const struct tsr_msg *msg);
	/* Maps the buffer an attach message describes, read-only, after
	 * checking it really holds request->required_bytes. NULL with err set
	 * on any violation. */
	struct tsr_buffer *(*import_buffer)(struct tsr_guest_link *link, const struct tsr_msg *msg,
					    const struct tsr_buffer_request *request, char *err,
					    size_t err_len);
	void (*destroy)(struct tsr_guest_link *link);
	/* Optional (NULL: never deferred). While deferred, what the guest
	 * sends does not wake the loop (a hang-up still does); the core reads
	 * it with read_deferred(). The core defers a guest whose next message
	 * cannot change anything before an output's next frame, and reads it
	 * at that frame: one wake-up of Tessera per frame, not one per guest. */
	void (*defer_reads)(struct tsr_guest_link *link, bool deferred);
	/* Handles what the guest sent while deferred, as a readable event
	 * would (nothing when not deferred): listener.closed may run and
	 * destroy the link. defer_reads with the state the link is in does
	 * nothing: the link keeps the state, the core does not. */
	void (*read_deferred)(struct tsr_guest_link *link);
};

struct tsr_guest_link_listener {
	/* One decoded message. Returns false on a violation: the transport
	 * then stops reading, and the core drops the link. */
	bool (*message)(void *data, const struct tsr_msg *msg);
	/* The guest went away or violated the protocol; reason says why.
	 * The listener may destroy the link here: the transport must not touch
	 * it after this call. The link is never destroyed from inside
	 * message(). */
	void (*closed)(void *data, const char *reason, bool violation);
	/* Optional (NULL: not told). After send() refused a message, the
	 * guest has read enough for the queue to be half empty again. The
	 * listener may send; it must not destroy the link here. */
	void (*send_ready)(void *data);
	void *data;
};

struct tsr_guest_link {
	const struct tsr_guest_link_impl *impl;
	struct tsr_guest_link_listener listener;
	/* Set by transports whose guests choose their own display size (the
	 * Xen PV display: a connector's resolution is fixed by the toolstack).
	 * The core then never sends CONFIGURE for this link's surfaces and the
	 * layout fits them into the content area instead (1:1 and centred, or
	 * scaled down), every surface shown side by side.
	 *
	 * Such a link also speaks for a frontend whose pixel formats and
	 * pitches the transport checked itself against its own protocol's
	 * list (displif: pitch = width x bytes per pixel): the core accepts
	 * for it every format tsr_buffer_format_bpp knows and any stride of
	 * at least width x bpp. Agent links stay limited to the wire
	 * protocol's formats and 4-byte strides (tsr_link_formats). */
	bool fixed_size;
};

/* Which pixel formats the core accepts from this link. */
enum tsr_link_formats {
	TSR_LINK_WIRE_FORMATS,	  /* tsr_format_bpp's, strides a multiple of 4 */
	TSR_LINK_DISPLAY_FORMATS, /* tsr_buffer_format_bpp's, any stride >= width x bpp */
};

static inline enum tsr_link_formats tsr_link_formats(const struct tsr_guest_link *link)
{
	return link->fixed_size ? TSR_LINK_DISPLAY_FORMATS : TSR_LINK_WIRE_FORMATS;
}

static inline void tsr_guest_link_destroy(struct tsr_guest_link *link)
{
	if (link)
		link->impl->destroy(link);
}

#endif
