#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/control.h"
#include "core/domain.h"
#include "core/lock.h"
#include "core/server.h"
#include "core/suspend_lock.h"
#include "tessera/input.h"
#include "tessera/event_loop.h"
#include "tessera/log.h"
#include "tessera/renderer.h"
#include "util/log_limit.h"
#include "util/unix_listener.h"

#define MAX_CLIENTS 4
#define LINE_MAX_BYTES 512
/* status with every output (TSR_MAX_OUTPUTS, each with its scale, scanout
 * and frames keys) and every PV display fits with room to spare. */
#define REPLY_MAX_BYTES 4096
/* A client that has not sent a complete command line for this long is
 * dropped, so idle connections cannot hold every slot. */
#define IDLE_TIMEOUT_NS (5ull * 1000 * 1000 * 1000)

struct control_client {
	struct tsr_control *control;
	int fd;
	struct tsr_event_source *source;
	struct tsr_event_source *idle_timer;
	char input[LINE_MAX_BYTES]; /* received, not yet executed */
	size_t length;
	bool pending; /* a command's reply comes later (screenshot) */
};

struct tsr_control {
	struct tsr_server *server;
	struct tsr_unix_listener *listener;
	struct tsr_event_source *source;
	bool accepting; /* false while every client slot is taken */
	struct control_client clients[MAX_CLIENTS];
	struct tsr_log_limit log_limit; /* what control peers can make us log */
};

static int find_domain(struct tsr_server *server, const char *name)
{
	int index = tsr_config_find_domain(tsr_server_config(server), name);
	if (index >= 0)
		return index;
	char *end;
	long number = strtol(name, &end, 10);
	if (*name && !*end && number >= 1 && (size_t)number <= tsr_server_domain_count(server))
		return (int)number - 1;
	return -1;
}

static void reply_list(struct tsr_server *server, char *reply, size_t reply_len)
{
	size_t used = (size_t)snprintf(reply, reply_len, "ok");
	for (size_t i = 0; i < tsr_server_domain_count(server) && used < reply_len; i++) {
		struct tsr_domain *domain = tsr_server_domain(server, i);
		used += (size_t)snprintf(
		    reply + used, reply_len - used, " %s=%s%s", tsr_domain_config(domain)->name,
		    tsr_domain_connected(domain) ? "connected" : "disconnected",
		    (int)i == tsr_server_focused(server) ? ",focused" : "");
	}
}

static void reply_stats(struct tsr_server *server, const char *name, char *reply, size_t reply_len)
{
	int index = find_domain(server, name);
	if (index < 0) {
		snprintf(reply, reply_len, "error no domain '%s'", name);
		return;
	}
	struct tsr_domain *domain = tsr_server_domain(server, (size_t)index);
	struct tsr_surface *surface = tsr_domain_main_surface(domain);
	const struct tsr_domain_stats *stats = tsr_domain_stats(domain);
	/* dmabuf: whether the buffer shown now is also a dma-buf, and whose
	 * (a memfd through udmabuf, transport/udmabuf.h; grants through
	 * gntdev, transport/xen_grant_buffer.h), or only mapped ("none"). */
	const struct tsr_buffer *shown =
	    surface && surface->current ? surface->current->buffer : NULL;
	const char *dmabuf = "none";
	if (shown && shown->dmabuf_fd >= 0)
		dmabuf =
		    shown->impl && shown->impl->dmabuf_kind ? shown->impl->dmabuf_kind : "other";
	snprintf(reply, reply_len,
		 "ok connected=%d commits=%llu frames_done=%llu violations=%llu refused=%llu "
		 "input_coalesced=%llu input_waiting=%zu input_dropped=%llu surface=%ux%u "
		 "dmabuf=%s last_reason=\"%s\"",
		 tsr_domain_connected(domain), (unsigned long long)stats->commits,
		 (unsigned long long)stats->frames_done, (unsigned long long)stats->violations,
		 (unsigned long long)stats->refused_connections,
		 (unsigned long long)stats->input_coalesced, tsr_domain_input_waiting(domain),
		 (unsigned long long)stats->input_dropped, surface ? surface->width : 0,
		 surface ? surface->height : 0, dmabuf, tsr_domain_last_drop_reason(domain));
}

/* The focus layout's content size on the first output: the `connectors=`
 * size a PV display needs to be shown 1:1 and fill the frame exactly. */
static bool focus_content_size(struct tsr_server *server, uint32_t *width, uint32_t *height)
{
	const struct tsr_output_state *first = tsr_server_output(server, 0);
	if (!first || tsr_server_domain_count(server) == 0)
		return false;
	struct tsr_layout layout;
	struct tsr_layout_params params = {
	    .output_width = first->output->width,
	    .output_height = first->output->height,
	    .border_width = tsr_server_config(server)->border_width,
	    .banner_height = tsr_server_config(server)->banner_height,
	    .scale = first->scale,
	    .domain_count = tsr_server_domain_count(server),
	    .focused = 0,
	    .mode = TSR_LAYOUT_FOCUS,
	};
	tsr_layout_compute(&params, &layout);
	*width = tsr_box_width(&layout.domains[0].content);
	*height = tsr_box_height(&layout.domains[0].content);
	return *width > 0 && *height > 0;
}

/* " pv_fit=connectors=c0:WxH" and, per connected fixed-size domain, how
 * its displays are shown now on the first output: " pv.NAME=1:1",
 * "scaled:P%" (the smallest scale of its displays), "hidden" (not laid
 * out) or "none" (no display yet). */
static void append_display_status(struct tsr_server *server, char *reply, size_t reply_len)
{
	size_t used = strlen(reply);
	uint32_t width, height;
	if (focus_content_size(server, &width, &height) && used < reply_len)
		used += (size_t)snprintf(reply + used, reply_len - used,
					 " pv_fit=connectors=c0:%ux%u", width, height);
	const struct tsr_output_state *first = tsr_server_output(server, 0);
	for (size_t i = 0; i < tsr_server_domain_count(server) && used < reply_len; i++) {
		struct tsr_domain *domain = tsr_server_domain(server, i);
		if (!tsr_domain_fixed_size(domain))
			continue;
		const struct tsr_domain_placement *placement =
		    first ? &first->layout.domains[i] : NULL;
		char shown[32] = "hidden";
		if (placement && placement->visible) {
			uint64_t percent = 100;
			for (size_t v = 0; v < placement->view_count; v++) {
				const struct tsr_display_view *view = &placement->views[v];
				uint64_t scale = (uint64_t)tsr_box_width(&view->image) * 100 /
						 (view->width ? view->width : 1);
				if (view->scaled && scale >= percent)
					scale = percent - 1; /* never "scaled:100%" */
				percent = scale < percent ? scale : percent;
			}
			if (placement->view_count == 0)
				snprintf(shown, sizeof(shown), "none");
			else if (percent >= 100)
				snprintf(shown, sizeof(shown), "1:1");
			else
				snprintf(shown, sizeof(shown), "scaled:%llu%%",
					 (unsigned long long)percent);
		}
		used += (size_t)snprintf(reply + used, reply_len - used, " pv.%s=%s",
					 tsr_domain_config(domain)->name, shown);
	}
}

/* " outputs=N" and per output " output.NAME=X,Y,WxH,focus:DOMAIN" (or
 * "focus:-" when it shows none) or " output.NAME=X,Y,WxH,mosaic", then
 * " scale.NAME=S", " scanout.NAME=DOMAIN|none" (the domain on a plane of
 * its own in the last frame presented, core/scanout.h) and
 * " frames.NAME=SCANOUT/COMPOSED" (frames presented each way). */
static void append_output_status(struct tsr_server *server, char *reply, size_t reply_len)
{
	size_t used = strlen(reply);
	if (used < reply_len)
		used += (size_t)snprintf(reply + used, reply_len - used, " outputs=%zu",
					 tsr_server_output_count(server));
	for (size_t i = 0; i < tsr_server_output_count(server) && used < reply_len; i++) {
		const struct tsr_output_state *state = tsr_server_output(server, i);
		int shown = tsr_server_output_shown(server, state);
		bool mosaic = tsr_server_output_mode(server, state) == TSR_LAYOUT_MOSAIC;
		used += (size_t)snprintf(
		    reply + used, reply_len - used, " output.%s=%d,%d,%ux%u,%s%s",
		    state->output->name, state->box.x1, state->box.y1, state->output->width,
		    state->output->height, mosaic ? "mosaic" : "focus:",
		    mosaic	 ? ""
		    : shown >= 0 ? tsr_server_config(server)->domains[shown].name
				 : "-");
		/* A field of its own: the output.NAME= value keeps its form, so
		 * parsers that match its end (",focus:DOMAIN") still work. */
		if (used < reply_len)
			used += (size_t)snprintf(reply + used, reply_len - used, " scale.%s=%u",
						 state->output->name, state->scale);
		int scanout = state->scanout.domain;
		if (used < reply_len)
			used += (size_t)snprintf(
			    reply + used, reply_len - used, " scanout.%s=%s frames.%s=%llu/%llu",
			    state->output->name,
			    scanout >= 0 ? tsr_server_config(server)->domains[scanout].name
					 : "none",
			    state->output->name, (unsigned long long)state->scanout.frames_scanout,
			    (unsigned long long)state->scanout.frames_composed);
	}
}

/* Splits "WORD [OUTPUT]": false when there are more words or the output is
 * unknown (reply says which). *output is NULL without an OUTPUT, which
 * means the output under the pointer. */
static bool split_output(struct tsr_server *server, const char *argument, char *word,
			 size_t word_len, struct tsr_output_state **output, char *reply,
			 size_t reply_len)
{
	char first[LINE_MAX_BYTES] = "", second[LINE_MAX_BYTES] = "", extra[2] = "";
	int fields = sscanf(argument, "%511s %511s %1s", first, second, extra);
	snprintf(word, word_len, "%s", fields >= 1 ? first : "");
	*output = NULL;
	if (fields >= 3) {
		snprintf(reply, reply_len, "error too many arguments");
		return false;
	}
	if (fields == 2) {
		*output = tsr_server_find_output(server, second);
		if (!*output) {
			snprintf(reply, reply_len, "error no output '%s'", second);
			return false;
		}
	}
	return true;
}

void tsr_control_execute(struct tsr_server *server, const char *line, char *reply, size_t reply_len)
{
	char command[32] = "", argument[LINE_MAX_BYTES] = "";
	struct tsr_seat *seat = tsr_server_seat(server);
	if (sscanf(line, "%31s %511[^\n]", command, argument) < 1) {
		snprintf(reply, reply_len, "error empty command");
		return;
	}
	if (strcmp(command, "list") == 0) {
		reply_list(server, reply, reply_len);
	} else if (strcmp(command, "status") == 0) {
		struct tsr_server_stats stats = tsr_server_get_stats(server);
		/* latency_*: damage -> present sums, for benchmarks over a window. */
		snprintf(reply, reply_len,
			 "ok layout=%s focused=%s frames=%llu pixels=%llu latency_sum_ns=%llu "
			 "latency_count=%llu input_resyncs=%llu locked=%s lock_failures=%u "
			 "suspend_inhibitor=%s",
			 tsr_server_mode(server) == TSR_LAYOUT_MOSAIC ? "mosaic" : "focus",
			 tsr_server_focused(server) >= 0
			     ? tsr_server_config(server)->domains[tsr_server_focused(server)].name
			     : "-",
			 (unsigned long long)stats.frames, (unsigned long long)stats.pixels_drawn,
			 (unsigned long long)stats.latency_sum_ns,
			 (unsigned long long)stats.latency_count,
			 (unsigned long long)(seat ? tsr_seat_resync_count(seat) : 0),
			 tsr_server_locked(server) ? "yes" : "no",
			 tsr_lock_failures(tsr_server_lock_screen(server)),
			 tsr_suspend_lock_inhibited(tsr_server_suspend_lock(server)) ? "held"
										     : "none");
		append_display_status(server, reply, reply_len);
		append_output_status(server, reply, reply_len);
		size_t used = strlen(reply);
		const struct tsr_renderer *renderer = tsr_server_renderer(server);
		/* readback: bytes GLES copied out of its framebuffers (0 when it
		 * draws into GBM scan-out buffers); direct: such passes. */
		snprintf(reply + used, reply_len - used,
			 " renderer=%s renderer.readback=%llu renderer.direct=%llu", renderer->name,
			 (unsigned long long)renderer->readback_bytes,
			 (unsigned long long)renderer->direct_passes);
	} else if (strcmp(command, "stats") == 0) {
		reply_stats(server, argument, reply, reply_len);
	} else if (tsr_server_locked(server) &&
		   (strcmp(command, "focus") == 0 || strcmp(command, "layout") == 0 ||
		    (strcmp(command, "gpu") == 0 && strncmp(argument, "handoff", 7) == 0))) {
		/* Unlocking restores the layout and focus of before; the GPU
		 * is never handed to a domain while locked. */
		snprintf(reply, reply_len, "error locked");
	} else if (strcmp(command, "lock") == 0) {
		char err[160];
		struct tsr_lock *lock = tsr_server_lock_screen(server);
		if (!lock)
			snprintf(reply, reply_len, "error no lock screen");
		else if (tsr_lock_engage(lock, "tessera-ctl lock", err, sizeof(err)))
			snprintf(reply, reply_len, "ok");
		else
			snprintf(reply, reply_len, "error %s", err);
#ifdef TSR_TEST_HOOKS
	} else if (strcmp(command, "test-key") == 0) {
		/* Test builds only: a key as if from a device, through the seat. */
		unsigned code = 0, state = 0;
		if (seat && sscanf(argument, "%u %u", &code, &state) == 2 && state <= 2) {
			tsr_seat_key(seat, code, (enum tsr_key_state)state, tsr_now_ns());
			snprintf(reply, reply_len, "ok");
		} else {
			snprintf(reply, reply_len, "error test-key CODE 0|1|2");
		}
	} else if (strcmp(command, "test-pointer") == 0) {
		/* Test builds only: absolute motion in the global layout space. */
		int x = 0, y = 0;
		if (seat && sscanf(argument, "%d %d", &x, &y) == 2) {
			tsr_seat_pointer_motion_absolute(seat, x, y, tsr_now_ns());
			snprintf(reply, reply_len, "ok");
		} else {
			snprintf(reply, reply_len, "error test-pointer X Y");
		}
	} else if (strcmp(command, "test-hotplug") == 0) {
		/* Test builds only: a headless output unplugged (0) or back (1). */
		char name[TSR_NAME_MAX];
		unsigned connected = 0;
		struct tsr_backend *backend = tsr_server_backend(server);
		if (backend && backend->impl->set_connected &&
		    sscanf(argument, "%31s %u", name, &connected) == 2 && connected <= 1 &&
		    backend->impl->set_connected(backend, name, connected == 1))
			snprintf(reply, reply_len, "ok");
		else
			snprintf(reply, reply_len, "error test-hotplug OUTPUT 0|1 (headless)");
	} else if (strcmp(command, "test-scanout") == 0) {
		/* Test builds only: "off" composes every frame (a reference for
		 * captures), "on" allows scanout again, "fail N" makes the next N
		 * scanout commits of every output that can fail after their
		 * TEST_ONLY passed. */
		unsigned count = 0;
		if (strcmp(argument, "on") == 0 || strcmp(argument, "off") == 0) {
			tsr_server_test_set_scanout(server, strcmp(argument, "on") == 0);
			snprintf(reply, reply_len, "ok");
		} else if (sscanf(argument, "fail %u", &count) == 1) {
			size_t outputs = 0;
			for (size_t i = 0; i < tsr_server_output_count(server); i++) {
				struct tsr_output *output = tsr_server_output(server, i)->output;
				if (output->impl->test_fail_scanout) {
					output->impl->test_fail_scanout(output, count);
					outputs++;
				}
			}
			snprintf(reply, reply_len, "ok %zu", outputs);
		} else {
			snprintf(reply, reply_len, "error test-scanout on|off|fail N");
		}
	} else if (strcmp(command, "test-hold-frames") == 0) {
		/* Test builds only: frames stay on their way to the screen. */
		static const char *const words[] = {"1", "step", "0"};
		char word[16] = "", name[64] = "";
		sscanf(argument, "%15s %63s", word, name);
		size_t which = 0;
		while (which < 3 && strcmp(word, words[which]) != 0)
			which++;
		struct tsr_output_state *only =
		    name[0] ? tsr_server_find_output(server, name) : NULL;
		if (which < 3 && (!name[0] || only))
			snprintf(
			    reply, reply_len, "ok %zu",
			    tsr_server_test_hold_frames(server, (enum tsr_test_frames)which, only));
		else
			snprintf(reply, reply_len, "error test-hold-frames 1|step|0 [OUTPUT]");
	} else if (strcmp(command, "test-button") == 0) {
		unsigned code = 0, state = 0;
		if (seat && sscanf(argument, "%u %u", &code, &state) == 2 && state <= 1) {
			tsr_seat_button(seat, code, (enum tsr_button_state)state, tsr_now_ns());
			snprintf(reply, reply_len, "ok");
		} else {
			snprintf(reply, reply_len, "error test-button CODE 0|1");
		}
#endif
	} else if (strcmp(command, "focus") == 0) {
		char name[LINE_MAX_BYTES];
		struct tsr_output_state *output;
		if (!split_output(server, argument, name, sizeof(name), &output, reply, reply_len))
			return;
		if (!output)
			output = tsr_server_pointer_output(server);
		int index = find_domain(server, name);
		if (index >= 0 && tsr_server_focus_on(server, output, index))
			snprintf(reply, reply_len, "ok");
		else
			snprintf(reply, reply_len, "error no domain '%s'", name);
	} else if (strcmp(command, "layout") == 0) {
		char mode[LINE_MAX_BYTES];
		struct tsr_output_state *output;
		if (!split_output(server, argument, mode, sizeof(mode), &output, reply, reply_len))
			return;
		if (!output)
			output = tsr_server_pointer_output(server);
		if (strcmp(mode, "focus") == 0 || strcmp(mode, "mosaic") == 0) {
			tsr_server_set_layout_on(
			    server, output, mode[0] == 'f' ? TSR_LAYOUT_FOCUS : TSR_LAYOUT_MOSAIC);
			snprintf(reply, reply_len, "ok");
		} else {
			snprintf(reply, reply_len, "error layout must be focus or mosaic");
		}
	} else if (strcmp(command, "screenshot") == 0) {
		snprintf(reply, reply_len, "error screenshot is answered by the control socket");
	} else if (strcmp(command, "gpu") == 0) {
		if (!tsr_server_gpu_command(server, argument, reply, reply_len))
			snprintf(reply, reply_len, "error gpu passthrough is not configured");
	} else if (strcmp(command, "quit") == 0) {
		tsr_server_stop(server);
		snprintf(reply, reply_len, "ok");
	} else {
		snprintf(reply, reply_len,
			 "error unknown command '%s' (list, status, stats, focus, layout, "
			 "lock, screenshot, gpu, quit)",
			 command);
	}
}

__attribute__((format(printf, 3, 4))) static void
control_log(struct tsr_control *control, enum tsr_log_level level, const char *fmt, ...)
{
	uint64_t suppressed = 0;
	if (!tsr_log_limit_allow(&control->log_limit, tsr_now_ns(), &suppressed))
		return;
	char line[256];
	va_list args;
	va_start(args, fmt);
	vsnprintf(line, sizeof(line), fmt, args);
	va_end(args);
	if (suppressed)
		tsr_log(level, "control: %s (%llu earlier control lines not logged)", line,
			(unsigned long long)suppressed);
	else
		tsr_log(level, "control: %s", line);
}

static void client_close(struct control_client *client);
static void process_input(struct control_client *client);

static void send_reply(struct control_client *client, const char *reply)
{
	char line[REPLY_MAX_BYTES + 1];
	int length = snprintf(line, sizeof(line), "%s\n", reply);
	if (length < 0 || (size_t)length >= sizeof(line)) {
		line[sizeof(line) - 2] = '\n';
		length = (int)sizeof(line) - 1;
	}
	/* Replies are short; a client that does not read them is dropped. */
	if (write(client->fd, line, (size_t)length) != length)
		client_close(client);
}

static void screenshot_done(void *data, bool ok, const char *message)
{
	struct control_client *client = data;
	char reply[REPLY_MAX_BYTES];
	snprintf(reply, sizeof(reply), "%s %s", ok ? "ok" : "error", message);
	if (!ok)
		control_log(client->control, TSR_LOG_WARN, "screenshot failed: %s", message);
	client->pending = false;
	send_reply(client, reply);
	if (client->fd < 0)
		return;
	tsr_event_source_fd_update(client->source, TSR_EVENT_READABLE);
	tsr_event_source_timer_update(client->idle_timer, IDLE_TIMEOUT_NS);
	process_input(client); /* lines that arrived meanwhile */
}

/* Executes one command line; returns false when the reply comes later
 * (through screenshot_done), true when it is in reply. */
static bool execute(struct control_client *client, const char *line, char *reply, size_t reply_len)
{
	struct tsr_server *server = client->control->server;
	char command[32] = "", argument[LINE_MAX_BYTES] = "";
	if (sscanf(line, "%31s %511[^\n]", command, argument) >= 1 &&
	    strcmp(command, "screenshot") == 0) {
		char err[512];
		if (!argument[0]) {
			snprintf(reply, reply_len, "error screenshot needs a path");
			return true;
		}
		/* "PATH OUTPUT" when the last word names an output; else the
		 * whole argument is the path (paths may hold spaces). */
		struct tsr_output_state *output = NULL;
		char *space = strrchr(argument, ' ');
		if (space && space[1] && (output = tsr_server_find_output(server, space + 1)))
			*space = '\0';
		if (!tsr_server_screenshot(server, output, argument, screenshot_done, client, err,
					   sizeof(err))) {
			snprintf(reply, reply_len, "error %s", err);
			return true;
		}
		return false;
	}
	tsr_control_execute(server, line, reply, reply_len);
	return true;
}

/* Runs the complete lines received, in order, until one is pending. */
static void process_input(struct control_client *client)
{
	while (client->fd >= 0 && !client->pending) {
		char *newline = memchr(client->input, '\n', client->length);
		if (!newline)
			return;
		*newline = '\0';
		char reply[REPLY_MAX_BYTES];
		bool answered = execute(client, client->input, reply, sizeof(reply));
		size_t used = (size_t)(newline - client->input) + 1;
		memmove(client->input, newline + 1, client->length - used);
		client->length -= used;
		if (answered) {
			send_reply(client, reply);
			if (client->fd >= 0)
				tsr_event_source_timer_update(client->idle_timer, IDLE_TIMEOUT_NS);
			continue;
		}
		/* Nothing more is read or timed out until the reply went out. */
		client->pending = true;
		tsr_event_source_fd_update(client->source, 0);
		tsr_event_source_timer_update(client->idle_timer, 0);
	}
}

static void handle_client(int fd, uint32_t mask, void *data)
{
	struct control_client *client = data;
	if (client->pending) {
		/* Only a hang-up is reported while reading is paused: the peer is
		 * gone and cannot get its reply. */
		client_close(client);
		return;
	}
	if (client->length == sizeof(client->input)) {
		send_reply(client, "error command line too long");
		control_log(client->control, TSR_LOG_WARN,
			    "dropped a client: command line longer than %d bytes",
			    LINE_MAX_BYTES - 1);
		client_close(client);
		return;
	}
	ssize_t count =
	    read(fd, client->input + client->length, sizeof(client->input) - client->length);
	if (count <= 0) {
		if (count < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		client_close(client);
		return;
	}
	client->length += (size_t)count;
	process_input(client);
	if (client->fd >= 0 && !client->pending && client->length == sizeof(client->input)) {
		send_reply(client, "error command line too long");
		control_log(client->control, TSR_LOG_WARN,
			    "dropped a client: command line longer than %d bytes",
			    LINE_MAX_BYTES - 1);
		client_close(client);
	}
}

static void handle_idle(void *data)
{
	struct control_client *client = data;
	send_reply(client, "error idle for too long without a complete command line");
	control_log(client->control, TSR_LOG_INFO,
		    "dropped a client idle for %llu s without a complete command line",
		    IDLE_TIMEOUT_NS / 1000000000ull);
	if (client->fd >= 0)
		client_close(client);
}

static void set_accepting(struct tsr_control *control, bool accepting)
{
	if (control->accepting == accepting)
		return;
	control->accepting = accepting;
	/* Paused while full: new clients wait in the listen backlog until an
	 * idle one times out or a busy one is done, instead of being refused. */
	tsr_event_source_fd_update(control->source, accepting ? TSR_EVENT_READABLE : 0);
}

static void client_close(struct control_client *client)
{
	if (client->pending)
		tsr_server_screenshot_forget(client->control->server, client);
	tsr_event_source_remove(client->source);
	tsr_event_source_remove(client->idle_timer);
	close(client->fd);
	client->fd = -1;
	client->source = NULL;
	client->idle_timer = NULL;
	client->pending = false;
	client->length = 0;
	set_accepting(client->control, true);
}

static bool peer_allowed(int fd)
{
	struct ucred credentials;
	socklen_t length = sizeof(credentials);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) < 0)
		return false;
	return credentials.uid == 0 || credentials.uid == geteuid();
}

static struct control_client *free_slot(struct tsr_control *control)
{
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		if (control->clients[i].fd < 0)
			return &control->clients[i];
	return NULL;
}

static void handle_accept(int fd, uint32_t mask, void *data)
{
	struct tsr_control *control = data;
	struct control_client *client = free_slot(control);
	if (!client) {
		set_accepting(control, false);
		return;
	}
	int client_fd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (client_fd < 0)
		return;
	if (!peer_allowed(client_fd)) {
		control_log(control, TSR_LOG_WARN, "refused a client of another user");
		close(client_fd);
		return;
	}
	client->fd = client_fd;
	client->length = 0;
	client->pending = false;
	struct tsr_event_loop *loop = tsr_server_loop(control->server);
	client->source =
	    tsr_event_loop_add_fd(loop, client_fd, TSR_EVENT_READABLE, handle_client, client);
	client->idle_timer = tsr_event_loop_add_timer(loop, handle_idle, client);
	if (!client->source || !client->idle_timer ||
	    !tsr_event_source_timer_update(client->idle_timer, IDLE_TIMEOUT_NS)) {
		control_log(control, TSR_LOG_ERROR, "cannot watch a new client");
		client_close(client);
		return;
	}
	if (!free_slot(control))
		set_accepting(control, false);
}

struct tsr_control *tsr_control_create(struct tsr_server *server, const char *path, char *err,
				       size_t err_len)
{
	struct tsr_control *control = calloc(1, sizeof(*control));
	if (!control) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	control->server = server;
	control->log_limit = (struct tsr_log_limit)TSR_LOG_LIMIT_INIT(10, 10);
	for (size_t i = 0; i < MAX_CLIENTS; i++) {
		control->clients[i].fd = -1;
		control->clients[i].control = control;
	}
	char reason[512];
	control->listener = tsr_unix_listener_create(path, 4, reason, sizeof(reason));
	if (!control->listener) {
		snprintf(err, err_len, "control socket: %s", reason);
		goto error;
	}
	control->source =
	    tsr_event_loop_add_fd(tsr_server_loop(server), tsr_unix_listener_fd(control->listener),
				  TSR_EVENT_READABLE, handle_accept, control);
	if (!control->source) {
		snprintf(err, err_len, "cannot watch %s", path);
		goto error;
	}
	control->accepting = true;
	tsr_log(TSR_LOG_INFO, "control socket: %s", path);
	return control;
error:
	tsr_control_destroy(control);
	return NULL;
}

void tsr_control_destroy(struct tsr_control *control)
{
	if (!control)
		return;
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		if (control->clients[i].fd >= 0)
			client_close(&control->clients[i]);
	tsr_event_source_remove(control->source);
	tsr_unix_listener_destroy(control->listener);
	free(control);
}
