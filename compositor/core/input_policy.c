/* The seat's listener (input/seat.c): keys, buttons, scrolling and focus
 * changes delivered to the domain the seat names, through its agent or its
 * PV input device; the pointer's geometry is core/pointer_policy.c's, what
 * a hotkey does core/hotkey_actions.c's. */
#include "core/domain.h"
#include "core/hotkey_actions.h"
#include "core/input_policy.h"
#include "core/lock.h"
#include "core/input_sink.h"
#include "core/pointer_policy.h"
#include "core/server.h"
#include "tessera/input.h"

static void handle_action(void *data, enum tsr_action action, int argument)
{
	tsr_hotkey_action_run(data, action, argument);
}

static void handle_focus_clicked(void *data, int domain)
{
	tsr_server_focus(data, domain); /* on the pointer's output */
}

static struct tsr_domain *domain_at(struct tsr_server *server, int index)
{
	return index >= 0 ? tsr_server_domain(server, (size_t)index) : NULL;
}

/* The server's scratch message, of this type; only the union member the
 * type names is written (and read by the encoder). */
static struct tsr_msg *input_message(struct tsr_server *server, enum tsr_msg_type type)
{
	struct tsr_msg *msg = tsr_server_input_scratch(server);
	msg->type = type;
	return msg;
}

static void send_input(struct tsr_server *server, int index, const struct tsr_msg *msg)
{
	struct tsr_domain *domain = domain_at(server, index);
	if (!domain)
		return;
	/* Same decisions either way; only the encoding differs. */
	if (tsr_domain_config(domain)->input == TSR_INPUT_PV)
		tsr_input_sink_deliver(tsr_domain_input_sink(domain), msg);
	else
		tsr_domain_send_input(domain, msg);
}

static void handle_key(void *data, int domain, uint32_t code, enum tsr_key_state state,
		       uint64_t time_ns)
{
	struct tsr_msg *msg = input_message(data, TSR_MSG_KEY);
	msg->u.key = (struct tsr_msg_key){.code = code, .state = state, .time_ns = time_ns};
	send_input(data, domain, msg);
}

static void handle_focus_in(void *data, int domain, const uint32_t *held, size_t count)
{
	struct tsr_msg *msg = input_message(data, TSR_MSG_FOCUS_IN);
	msg->u.focus_in = (struct tsr_msg_focus_in){0};
	for (size_t i = 0; i < count && i < TSR_MAX_HELD_KEYS; i++)
		msg->u.focus_in.held_keys[msg->u.focus_in.count++] = held[i];
	send_input(data, domain, msg);
}

static void handle_focus_out(void *data, int domain)
{
	send_input(data, domain, input_message(data, TSR_MSG_FOCUS_OUT));
}

static void handle_motion(void *data, int domain, int32_t local_x, int32_t local_y,
			  uint64_t time_ns)
{
	tsr_pointer_deliver_motion(data, domain, local_x, local_y, time_ns);
}

static void handle_button(void *data, int domain, uint32_t button, enum tsr_button_state state,
			  uint64_t time_ns)
{
	struct tsr_msg *msg = input_message(data, TSR_MSG_POINTER_BUTTON);
	msg->u.pointer_button =
	    (struct tsr_msg_pointer_button){.code = button, .state = state, .time_ns = time_ns};
	send_input(data, domain, msg);
}

static void handle_axis(void *data, int domain, enum tsr_pointer_axis axis, int32_t steps,
			uint64_t time_ns)
{
	struct tsr_msg *msg = input_message(data, TSR_MSG_POINTER_AXIS);
	msg->u.pointer_axis = (struct tsr_msg_pointer_axis){
	    .axis = axis == TSR_AXIS_HORIZONTAL ? 1 : 0, .value = steps, .time_ns = time_ns};
	send_input(data, domain, msg);
}

static void handle_cursor_moved(void *data, int32_t x, int32_t y)
{
	tsr_server_cursor_moved(data, x, y);
}

static int handle_pick_domain(void *data, int32_t x, int32_t y, int32_t *local_x, int32_t *local_y)
{
	return tsr_pointer_pick_domain(data, x, y, local_x, local_y);
}

static void handle_constrain_pointer(void *data, int32_t *x, int32_t *y)
{
	tsr_pointer_constrain(data, x, y);
}

static void handle_lock_key(void *data, uint32_t code, enum tsr_key_state state, uint64_t time_ns)
{
	tsr_lock_key(tsr_server_lock_screen(data), code, state, time_ns);
}

static void handle_activity(void *data)
{
	tsr_lock_activity(tsr_server_lock_screen(data));
}

static const struct tsr_seat_listener seat_listener = {
    .lock_key = handle_lock_key,
    .activity = handle_activity,
    .cursor_moved = handle_cursor_moved,
    .constrain_pointer = handle_constrain_pointer,
    .action = handle_action,
    .focus_clicked = handle_focus_clicked,
    .pick_domain = handle_pick_domain,
    .deliver_key = handle_key,
    .deliver_focus_in = handle_focus_in,
    .deliver_focus_out = handle_focus_out,
    .deliver_motion = handle_motion,
    .deliver_button = handle_button,
    .deliver_axis = handle_axis,
};

struct tsr_seat *tsr_input_policy_create_seat(struct tsr_server *server)
{
	const struct tsr_config *config = tsr_server_config(server);
	struct tsr_seat *seat =
	    tsr_seat_create(config->hotkeys, config->hotkey_count, &seat_listener, server);
	if (!seat)
		return NULL;
	tsr_server_attach_seat(server, seat);
	return seat;
}
