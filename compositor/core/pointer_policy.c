/* Where the pointer is and what lies under it: the output (core/
 * arrangement.c), the domain (core/layout.c's hit test), and the guest
 * pixel or display under it. The seat (input/seat.c) decides whether that
 * domain gets the motion at all (the focus layout: only the focused one;
 * buttons and keys only ever go to the focused one). */
#include "core/pointer_policy.h"

#include "core/arrangement.h"
#include "core/domain.h"
#include "core/input_sink.h"
#include "core/server.h"

/* (x, y) is in the global layout space: the output under it decides, in
 * its own coordinates. */
int tsr_pointer_pick_domain(struct tsr_server *server, int32_t x, int32_t y, int32_t *local_x,
			    int32_t *local_y)
{
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

void tsr_pointer_deliver_motion(struct tsr_server *server, int domain, int32_t local_x,
				int32_t local_y, uint64_t time_ns)
{
	struct tsr_domain *target = domain >= 0 ? tsr_server_domain(server, (size_t)domain) : NULL;
	if (target && tsr_domain_config(target)->input == TSR_INPUT_PV) {
		send_pv_motion(server, target, local_x, local_y, time_ns);
		return;
	}
	struct tsr_surface *surface = target ? tsr_domain_main_surface(target) : NULL;
	if (!surface)
		return;
	if (tsr_domain_fixed_size(target)) {
		uint32_t surface_id;
		if (!to_display(server, domain, &local_x, &local_y, &surface_id))
			return;
		surface = tsr_domain_find_surface(target, surface_id);
		if (!surface)
			return;
	}
	struct tsr_msg *msg = tsr_server_input_scratch(server);
	msg->type = TSR_MSG_POINTER_MOTION;
	msg->u.pointer_motion = (struct tsr_msg_pointer_motion){
	    .surface_id = surface->id, .x = local_x, .y = local_y, .time_ns = time_ns};
	tsr_domain_send_input(target, msg);
}

void tsr_pointer_constrain(struct tsr_server *server, int32_t *x, int32_t *y)
{
	pixman_box32_t boxes[TSR_MAX_OUTPUTS];
	size_t count = tsr_server_output_boxes(server, boxes);
	/* The server's cursor is still where the pointer was. */
	int32_t cursor_x, cursor_y;
	tsr_server_cursor(server, &cursor_x, &cursor_y);
	int from = tsr_arrangement_output_at(boxes, count, cursor_x, cursor_y);
	tsr_arrangement_constrain(boxes, count, from, x, y);
}
