/* The seam between the core's input policy and a device-level input
 * backend (the Xen PV keyboard/pointer, kbdif): for a domain configured
 * with `input = pv`, the seat's decisions (only the focused domain, never
 * a secure chord, releases on focus-out) reach the guest through this
 * table instead of Tessera protocol messages on its agent link.
 *
 * The core owns the rules; the sink only encodes. A sink is attached to
 * a domain by its backend (tsr_domain_attach_input_sink) and detached
 * before it is destroyed. */
#ifndef TSR_CORE_INPUT_SINK_H
#define TSR_CORE_INPUT_SINK_H

#include <stdbool.h>
#include <stdint.h>

#include "tessera/protocol.h"

struct tsr_input_sink;

struct tsr_input_sink_impl {
	/* A key or pointer button (evdev KEY_* / BTN_* code). */
	void (*key)(struct tsr_input_sink *sink, uint32_t code, bool pressed, uint64_t time_ns);
	/* The pointer is at guest pixel (x, y) of the guest's display of
	 * display_w x display_h pixels, (x, y) already clamped to it. */
	void (*motion)(struct tsr_input_sink *sink, uint32_t x, uint32_t y, uint32_t display_w,
		       uint32_t display_h, uint64_t time_ns);
	/* Wheel steps as evdev REL_WHEEL / REL_HWHEEL (positive: up / right). */
	void (*axis)(struct tsr_input_sink *sink, bool horizontal, int32_t steps, uint64_t time_ns);
	/* The domain lost focus (its held keys were already released
	 * through key()): stop anything generated, such as key repeat. */
	void (*focus_out)(struct tsr_input_sink *sink);
};

struct tsr_input_sink {
	const struct tsr_input_sink_impl *impl;
	/* The guest display the pointer addresses (guest pixels), used when
	 * the domain has no surface of its own to go by. */
	uint32_t width, height;
};

struct tsr_domain;

/* Routes the domain's input to sink (the domain must be configured with
 * input = pv). false, with a log line naming the domain, if another sink
 * is attached or the domain takes its input from its agent. */
bool tsr_domain_attach_input_sink(struct tsr_domain *domain, struct tsr_input_sink *sink);
/* Detaches sink if it is the domain's (accepts NULL). */
void tsr_domain_detach_input_sink(struct tsr_domain *domain, struct tsr_input_sink *sink);

/* Maps a point of a domain's content box (content_w x content_h, the
 * point relative to its top-left corner) to a pixel of a guest display of
 * display_w x display_h that the layout shows there: 1:1 and centred when
 * it fits, else scaled down (aspect kept) and centred. The result is
 * clamped to the display. false (nothing written) for an empty display or
 * content box. */
bool tsr_input_sink_map_point(uint32_t content_w, uint32_t content_h, uint32_t display_w,
			      uint32_t display_h, int32_t local_x, int32_t local_y, uint32_t *out_x,
			      uint32_t *out_y);

/* Delivers one input message of the seat (KEY, POINTER_BUTTON,
 * POINTER_AXIS, FOCUS_OUT; FOCUS_IN and motion have no meaning here and
 * are ignored) to the sink. Accepts a NULL sink (no device yet). */
void tsr_input_sink_deliver(struct tsr_input_sink *sink, const struct tsr_msg *msg);

#endif
