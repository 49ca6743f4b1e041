#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/control.h"
#include "core/domain.h"
#include "core/input_backlog.h"
#include "core/server.h"
#include "tessera/input.h"
#include "tessera/event_loop.h"
#include "tessera/log.h"

#define MAX_CLIENTS 4
#define LINE_MAX_BYTES 512

struct control_client {
	struct tsr_control *control;
	int fd;
	struct tsr_event_source *source;
	char line[LINE_MAX_BYTES];
	size_t length;
};

struct tsr_control {
	struct tsr_server *server;
	int fd;
	char path[108];
	struct tsr_event_source *source;
	struct control_client clients[MAX_CLIENTS];
};

static int find_domain(struct tsr_server *server, const char *name)
{
	int index = tsr_config_find_domain(server->config, name);
	if (index >= 0)
		return index;
	char *end;
	long number = strtol(name, &end, 10);
	if (*name && !*end && number >= 1 && (size_t)number <= server->domain_count)
		return (int)number - 1;
	return -1;
}

static void reply_list(struct tsr_server *server, char *reply, size_t reply_len)
{
	size_t used = (size_t)snprintf(reply, reply_len, "ok");
	for (size_t i = 0; i < server->domain_count && used < reply_len; i++) {
		struct tsr_domain *domain = server->domains[i];
		used += (size_t)snprintf(
		    reply + used, reply_len - used, " %s=%s%s", domain->config->name,
		    tsr_domain_connected(domain) ? "connected" : "disconnected",
		    (int)i == server->focused ? ",focused" : "");
	}
}

static void reply_stats(struct tsr_server *server, const char *name, char *reply, size_t reply_len)
{
	int index = find_domain(server, name);
	if (index < 0) {
		snprintf(reply, reply_len, "error no domain '%s'", name);
		return;
	}
	struct tsr_domain *domain = server->domains[index];
	struct tsr_surface *surface = tsr_domain_main_surface(domain);
	snprintf(reply, reply_len,
		 "ok connected=%d commits=%llu frames_done=%llu violations=%llu "
		 "input_coalesced=%llu input_waiting=%zu input_dropped=%llu surface=%ux%u "
		 "last_reason=\"%s\"",
		 tsr_domain_connected(domain), (unsigned long long)domain->stats.commits,
		 (unsigned long long)domain->stats.frames_done,
		 (unsigned long long)domain->stats.violations,
		 (unsigned long long)domain->stats.input_coalesced,
		 tsr_input_backlog_length(domain->input_backlog),
		 (unsigned long long)domain->stats.input_dropped, surface ? surface->width : 0,
		 surface ? surface->height : 0, domain->last_drop_reason);
}

void tsr_control_execute(struct tsr_server *server, const char *line, char *reply, size_t reply_len)
{
	char command[32] = "", argument[LINE_MAX_BYTES] = "";
	if (sscanf(line, "%31s %511[^\n]", command, argument) < 1) {
		snprintf(reply, reply_len, "error empty command");
		return;
	}
	if (strcmp(command, "list") == 0) {
		reply_list(server, reply, reply_len);
	} else if (strcmp(command, "status") == 0) {
		struct tsr_server_stats stats = tsr_server_get_stats(server);
		/* latency_*: damage -> present sums, for benchmarks over a window. */
		snprintf(
		    reply, reply_len,
		    "ok layout=%s focused=%s frames=%llu pixels=%llu latency_sum_ns=%llu "
		    "latency_count=%llu input_resyncs=%llu",
		    server->mode == TSR_LAYOUT_MOSAIC ? "mosaic" : "focus",
		    server->focused >= 0 ? server->config->domains[server->focused].name : "-",
		    (unsigned long long)stats.frames, (unsigned long long)stats.pixels_drawn,
		    (unsigned long long)stats.latency_sum_ns,
		    (unsigned long long)stats.latency_count,
		    (unsigned long long)(server->seat ? tsr_seat_resync_count(server->seat) : 0));
	} else if (strcmp(command, "stats") == 0) {
		reply_stats(server, argument, reply, reply_len);
	} else if (strcmp(command, "focus") == 0) {
		int index = find_domain(server, argument);
		if (index >= 0 && tsr_server_focus(server, index))
			snprintf(reply, reply_len, "ok");
		else
			snprintf(reply, reply_len, "error no domain '%s'", argument);
	} else if (strcmp(command, "layout") == 0) {
		if (strcmp(argument, "focus") == 0 || strcmp(argument, "mosaic") == 0) {
			tsr_server_set_layout(server, argument[0] == 'f' ? TSR_LAYOUT_FOCUS
									 : TSR_LAYOUT_MOSAIC);
			snprintf(reply, reply_len, "ok");
		} else {
			snprintf(reply, reply_len, "error layout must be focus or mosaic");
		}
	} else if (strcmp(command, "screenshot") == 0) {
		char err[256];
		if (!argument[0])
			snprintf(reply, reply_len, "error screenshot needs a path");
		else if (tsr_server_screenshot(server, argument, err, sizeof(err)))
			snprintf(reply, reply_len, "ok %s", argument);
		else
			snprintf(reply, reply_len, "error %s", err);
	} else if (strcmp(command, "gpu") == 0) {
		if (server->hooks.gpu_command)
			server->hooks.gpu_command(server->hooks.data, argument, reply, reply_len);
		else
			snprintf(reply, reply_len, "error gpu passthrough is not configured");
	} else if (strcmp(command, "quit") == 0) {
		server->running = false;
		snprintf(reply, reply_len, "ok");
	} else {
		snprintf(reply, reply_len,
			 "error unknown command '%s' (list, status, stats, focus, layout, "
			 "screenshot, gpu, quit)",
			 command);
	}
}

static void client_close(struct control_client *client)
{
	tsr_event_source_remove(client->source);
	close(client->fd);
	client->fd = -1;
	client->source = NULL;
}

static void handle_client(int fd, uint32_t mask, void *data)
{
	struct control_client *client = data;
	char chunk[256];
	ssize_t count = read(fd, chunk, sizeof(chunk));
	if (count <= 0) {
		if (count < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		client_close(client);
		return;
	}
	for (ssize_t i = 0; i < count; i++) {
		if (chunk[i] != '\n') {
			if (client->length + 1 >= LINE_MAX_BYTES) {
				client_close(client);
				return;
			}
			client->line[client->length++] = chunk[i];
			continue;
		}
		client->line[client->length] = '\0';
		client->length = 0;
		char reply[1024];
		tsr_control_execute(client->control->server, client->line, reply,
				    sizeof(reply) - 1);
		strcat(reply, "\n");
		/* Replies are short; a client that does not read them is dropped. */
		if (write(fd, reply, strlen(reply)) < 0) {
			client_close(client);
			return;
		}
	}
}

static bool peer_allowed(int fd)
{
	struct ucred credentials;
	socklen_t length = sizeof(credentials);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) < 0)
		return false;
	return credentials.uid == 0 || credentials.uid == geteuid();
}

static void handle_accept(int fd, uint32_t mask, void *data)
{
	struct tsr_control *control = data;
	int client_fd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (client_fd < 0)
		return;
	if (!peer_allowed(client_fd)) {
		tsr_log(TSR_LOG_WARN, "control: refused a client of another user");
		close(client_fd);
		return;
	}
	for (size_t i = 0; i < MAX_CLIENTS; i++) {
		struct control_client *client = &control->clients[i];
		if (client->fd >= 0)
			continue;
		client->fd = client_fd;
		client->length = 0;
		client->source = tsr_event_loop_add_fd(control->server->loop, client_fd,
						       TSR_EVENT_READABLE, handle_client, client);
		if (!client->source)
			client_close(client);
		return;
	}
	tsr_log(TSR_LOG_WARN, "control: too many clients");
	close(client_fd);
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
	for (size_t i = 0; i < MAX_CLIENTS; i++) {
		control->clients[i].fd = -1;
		control->clients[i].control = control;
	}
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(address.sun_path)) {
		snprintf(err, err_len, "control socket path too long: %s", path);
		free(control);
		return NULL;
	}
	/* Length checked above; memcpy keeps gcc's -Wformat-truncation quiet
	 * under ASan, which confuses its analysis of snprintf here. */
	memcpy(address.sun_path, path, strlen(path) + 1);
	memcpy(control->path, path, strlen(path) + 1);
	control->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	unlink(path);
	mode_t old_mask = umask(0177);
	int bound =
	    control->fd >= 0 ? bind(control->fd, (struct sockaddr *)&address, sizeof(address)) : -1;
	umask(old_mask);
	if (bound < 0 || listen(control->fd, 4) < 0) {
		snprintf(err, err_len, "cannot listen on %s: %s", path, strerror(errno));
		goto error;
	}
	control->source = tsr_event_loop_add_fd(server->loop, control->fd, TSR_EVENT_READABLE,
						handle_accept, control);
	if (!control->source) {
		snprintf(err, err_len, "cannot watch %s", path);
		goto error;
	}
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
	if (control->fd >= 0) {
		close(control->fd);
		unlink(control->path);
	}
	free(control);
}
