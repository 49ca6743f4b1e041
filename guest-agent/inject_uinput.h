/* --inject uinput: re-creates the input the compositor routes to us as
 * kernel input devices inside the guest, so ordinary guest software (a
 * console, X, a Wayland compositor) sees a keyboard and a pointer:
 *
 *  - a keyboard: KEY messages become EV_KEY with the same evdev code;
 *  - an absolute pointer (a tablet, like QEMU's usb-tablet): POINTER_MOTION
 *    in surface coordinates is scaled onto ABS_X/ABS_Y 0..AGENT_INJECT_ABS_MAX
 *    over the surface size; buttons and wheels as received.
 *
 * FOCUS_OUT releases every key and button we pressed, so nothing stays stuck
 * in the guest when the user switches away. FOCUS_IN's held keys are not
 * pressed: a press would type them; their later releases are then no-ops
 * for the kernel (it drops releases of keys that are up). */
#ifndef TESSERA_AGENT_INJECT_UINPUT_H
#define TESSERA_AGENT_INJECT_UINPUT_H

#include <stdbool.h>
#include <stdint.h>

#include <tessera/protocol.h>

#define AGENT_INJECT_ABS_MAX 32767

struct agent_inject;

/* Creates both devices, named "tessera-agent NAME keyboard" and
 * "tessera-agent NAME pointer". Needs /dev/uinput (root in the guest);
 * returns NULL and logs why otherwise. */
struct agent_inject *agent_inject_uinput_create(const char *name);
void agent_inject_destroy(struct agent_inject *inject); /* accepts NULL */

/* Replays one message; others than input messages are ignored. The surface
 * size scales pointer motion. False if writing to uinput failed (logged). */
bool agent_inject_message(struct agent_inject *inject, const struct tsr_msg *msg,
			  uint32_t surface_width, uint32_t surface_height);

#endif
