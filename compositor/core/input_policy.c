#include <stdlib.h>

#include "core/arrangement.h"
#include "core/domain.h"
#include "core/input_policy.h"
#include "core/lock.h"
#include "core/input_sink.h"
#include "core/server.h"
#include "tessera/input.h"
#include "tessera/log.h"

/* Hotkeys act on the output under the pointer (README.md, "Several
 * outputs"): the one the user is looking at, and the one a click would
 * pick a domain on. */
static void handle_action(void *data, enum tsr_action action, int argument)
{
	struct tsr_server *server = data;
	int count = (int)tsr_server_domain_count(server);
	struct tsr_output_state *output = tsr_server_pointer_output(server);
	switch (action) {
	case TSR_ACTION_FOCUS_DOMAIN:
		/* "Switch to domain N": focus it and show it. */
		if (tsr_server_focus_on(server, output, argument - 1))
			tsr_server_set_layout_on(server, output, TSR_LAYOUT_FOCUS);
		break;
	case TSR_ACTION_FOCUS_NEXT:
	case TSR_ACTION_FOCUS_PREV:
		if (count > 0) {
			int step = action == TSR_ACTION_FOCUS_NEXT ? 1 : count - 1;
			/* From what this output shows (with one output: the
			 * focused domain). */
			int from = output ? tsr_server_output_shown(server, output)
					  : tsr_server_focused(server);
			if (from < 0)
				from =
				    tsr_server_focused(server) < 0 ? 0 : tsr_server_focused(server);
			tsr_server_focus_on(server, output, (from + step) % count);
		}
		break;
	case TSR_ACTION_TOGGLE_MOSAIC:
		tsr_server_set_layout_on(server, output,
					 tsr_server_mode(server) == TSR_LAYOUT_MOSAIC
					     ? TSR_LAYOUT_FOCUS
					     : TSR_LAYOUT_MOSAIC);
		break;
	case TSR_ACTION_GPU_HANDOFF:
		if (!tsr_server_gpu_handoff(server))
			tsr_log(TSR_LOG_WARN, "hotkey: GPU handoff is not configured");
		break;
	case TSR_ACTION_LOCK: {
		char err[128];
		struct tsr_lock *lock = tsr_server_lock_screen(server);
		if (!lock)
			tsr_log(TSR_LOG_WARN, "hotkey: no lock screen");
		else if (!tsr_lock_engage(lock, "hotkey", err, sizeof(err)))
			tsr_log(TSR_LOG_WARN, "hotkey: cannot lock: %s", err);
		break;
	}
	case TSR_ACTION_NONE:
		break;
	}
}

static void handle_focus_clicked(void *data, int domain)
{
	tsr_server_focus(data, domain); /* on the pointer's output */
}

/* (x, y) is in the global layout space: the output under it decides, in
 * its own coordinates. */
static int handle_pick_domain(void *data, int32_t x, int32_t y, int32_t *local_x, int32_t *local_y)
{
	struct tsr_server *server = data;
	pixman_box32_t boxes[TSR_MAX_OUTPUTS];
	size_t count = tsr_server_output_boxes(server, boxes);
	int output = tsr_arrangement_output_at(boxes, count, x, y);
	if (output < 0)
		return -1;
	const struct tsr_layout *layout = &tsr_server_output(server, (size_t)output)->layout;
	x -= boxes[output].x1;
	y -= boxes[output].y1;
	int domain = tsr_layout_domain_at(layout, x, y);
	if (domain < 0)
		return -1;
	*local_x = x - layout->domains[domain].content.x1;
	*local_y = y - layout->domains[domain].content.y1;
	return domain;
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

/* The pointer over a PV input device: content coordinates to a pixel of
 * the guest's display (the domain's surface when it has one, else the
 * size the device announced). */
static void send_pv_motion(struct tsr_server *server, struct tsr_domain *domain, int32_t local_x,
			   int32_t local_y, uint64_t time_ns)
{
	struct tsr_input_sink *sink = tsr_domain_input_sink(domain);
	if (!sink || tsr_server_output_count(server) == 0)
		return;
	/* Motion goes to the domain under the pointer: on its output. */
	const struct tsr_domain_placement *placement =
	    &tsr_server_pointer_output(server)->layout.domains[tsr_domain_index(domain)];
	if (placement->view_count > 0) {
		/* Paired with its PV display: the same inverse mapping the
		 * layout drew the display with, so the pointer lands on the
		 * guest pixel under it. */
		int32_t output_x = placement->content.x1 + local_x;
		int32_t output_y = placement->content.y1 + local_y;
		const struct tsr_display_view *view =
		    tsr_layout_display_at(placement, output_x, output_y);
		int32_t display_x, display_y;
		if (!view)
			return;
		tsr_display_view_to_display(view, output_x, output_y, &display_x, &display_y);
		sink->impl->motion(sink, (uint32_t)display_x, (uint32_t)display_y, view->width,
				   view->height, time_ns);
		return;
	}
	struct tsr_surface *surface = tsr_domain_main_surface(domain);
	uint32_t width = surface ? surface->width : sink->width;
	uint32_t height = surface ? surface->height : sink->height;
	uint32_t x, y;
	if (tsr_input_sink_map_point(tsr_box_width(&placement->content),
				     tsr_box_height(&placement->content), width, height, local_x,
				     local_y, &x, &y))
		sink->impl->motion(sink, x, y, width, height, time_ns);
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

/* A fixed-size guest's displays are centred or scaled in their slots:
 * the pointer goes to the display whose slot it is in, at the guest pixel
 * under it (clamped to that display). */
static bool to_display(struct tsr_server *server, int domain, int32_t *x, int32_t *y,
		       uint32_t *surface_id)
{
	if (tsr_server_output_count(server) == 0)
		return false;
	const struct tsr_domain_placement *placement =
	    &tsr_server_pointer_output(server)->layout.domains[domain];
	int32_t output_x = placement->content.x1 + *x, output_y = placement->content.y1 + *y;
	const struct tsr_display_view *view = tsr_layout_display_at(placement, output_x, output_y);
	if (!view)
		return false;
	tsr_display_view_to_display(view, output_x, output_y, x, y);
	*surface_id = view->id;
	return true;
}

static void handle_motion(void *data, int domain, int32_t local_x, int32_t local_y,
			  uint64_t time_ns)
{
	struct tsr_domain *target = domain_at(data, domain);
	if (target && tsr_domain_config(target)->input == TSR_INPUT_PV) {
		send_pv_motion(data, target, local_x, local_y, time_ns);
		return;
	}
	struct tsr_surface *surface = target ? tsr_domain_main_surface(target) : NULL;
	if (!surface)
		return;
	if (tsr_domain_fixed_size(target)) {
		uint32_t surface_id;
		if (!to_display(data, domain, &local_x, &local_y, &surface_id))
			return;
		surface = tsr_domain_find_surface(target, surface_id);
		if (!surface)
			return;
	}
	struct tsr_msg *msg = input_message(data, TSR_MSG_POINTER_MOTION);
	msg->u.pointer_motion = (struct tsr_msg_pointer_motion){
	    .surface_id = surface->id, .x = local_x, .y = local_y, .time_ns = time_ns};
	tsr_domain_send_input(target, msg);
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

static void handle_constrain_pointer(void *data, int32_t *x, int32_t *y)
{
	struct tsr_server *server = data;
	pixman_box32_t boxes[TSR_MAX_OUTPUTS];
	size_t count = tsr_server_output_boxes(server, boxes);
	/* The server's cursor is still where the pointer was. */
	int32_t cursor_x, cursor_y;
	tsr_server_cursor(server, &cursor_x, &cursor_y);
	int from = tsr_arrangement_output_at(boxes, count, cursor_x, cursor_y);
	tsr_arrangement_constrain(boxes, count, from, x, y);
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
