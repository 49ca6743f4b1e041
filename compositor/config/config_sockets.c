/* Socket path conflicts: two local domains on one socket would let one
 * guest be shown as the other; a domain on the control socket would hand a
 * guest the control interface. Paths are compared after lexical
 * normalisation (repeated and trailing slashes, "." and ".." dropped), and
 * relative paths are relative to the runtime directory: without one (at
 * parse time) a relative and an absolute path cannot be compared, and the
 * listener's live-socket probe is what catches such a pair at start-up. */
#include <stdio.h>
#include <string.h>

#include "config_internal.h"

bool tsr_config_normalise_path(const char *runtime_dir, const char *path, char *out, size_t out_len)
{
	char joined[2 * TSR_PATH_MAX + 2];
	int written = path[0] != '/' && runtime_dir
			  ? snprintf(joined, sizeof(joined), "%s/%s", runtime_dir, path)
			  : snprintf(joined, sizeof(joined), "%s", path);
	if (written < 0 || (size_t)written >= sizeof(joined) || out_len < 2)
		return false;
	bool absolute = joined[0] == '/';
	/* Component start offsets in out, for "..". */
	size_t starts[TSR_PATH_MAX + 1], depth = 0, used = 0;
	size_t leading_dotdots = 0; /* relative paths keep the ".." they begin with */
	out[0] = '\0';
	if (absolute)
		out[used++] = '/';
	for (char *cursor = joined; *cursor;) {
		while (*cursor == '/')
			cursor++;
		size_t length = strcspn(cursor, "/");
		if (length == 0)
			break;
		if (length == 1 && cursor[0] == '.') {
			cursor += length;
			continue;
		}
		if (length == 2 && cursor[0] == '.' && cursor[1] == '.' &&
		    depth > leading_dotdots) {
			used = starts[--depth];
			cursor += length;
			continue;
		}
		if (length == 2 && cursor[0] == '.' && cursor[1] == '.' && absolute) {
			cursor += length; /* "/.." is "/" */
			continue;
		}
		size_t start = used;
		if (used > 0 && out[used - 1] != '/')
			out[used++] = '/';
		if (used + length + 1 > out_len || depth >= TSR_PATH_MAX)
			return false;
		starts[depth++] = start;
		if (length == 2 && cursor[0] == '.' && cursor[1] == '.')
			leading_dotdots++;
		memcpy(out + used, cursor, length);
		used += length;
		cursor += length;
	}
	if (used == 0)
		out[used++] = '.';
	out[used] = '\0';
	return true;
}

/* Whether two configured socket paths are the same, as far as can be told. */
static bool same_socket(const char *runtime_dir, const char *a, const char *b)
{
	if (!runtime_dir && (a[0] == '/') != (b[0] == '/'))
		return false;
	char normal_a[2 * TSR_PATH_MAX + 2], normal_b[2 * TSR_PATH_MAX + 2];
	if (!tsr_config_normalise_path(runtime_dir, a, normal_a, sizeof(normal_a)) ||
	    !tsr_config_normalise_path(runtime_dir, b, normal_b, sizeof(normal_b)))
		return strcmp(a, b) == 0;
	return strcmp(normal_a, normal_b) == 0;
}

bool tsr_config_find_socket_conflict(const struct tsr_config *config, const char *runtime_dir,
				     int *line, char *err, size_t err_len)
{
	for (size_t j = 0; j < config->domain_count; j++) {
		const struct tsr_domain_config *domain = &config->domains[j];
		if (domain->transport != TSR_TRANSPORT_LOCAL)
			continue;
		if (same_socket(runtime_dir, domain->socket_path, config->control_socket)) {
			/* Blame the later line; a default control socket is line 0. */
			bool blame_control = config->control_socket_line > domain->socket_line;
			*line = blame_control ? config->control_socket_line : domain->socket_line;
			if (blame_control)
				snprintf(err, err_len,
					 "socket: '%s' is also the socket of domain '%s' (line %d) "
					 "(allowed: a path no domain uses)",
					 config->control_socket, domain->name, domain->socket_line);
			else
				snprintf(
				    err, err_len,
				    "socket: '%s' of domain '%s' is the control socket ('%s', %s) "
				    "(allowed: a path of its own)",
				    domain->socket_path, domain->name, config->control_socket,
				    config->control_socket_line ? "set in [control]"
								: "the default");
			return true;
		}
		for (size_t i = 0; i < j; i++) {
			const struct tsr_domain_config *other = &config->domains[i];
			if (other->transport != TSR_TRANSPORT_LOCAL ||
			    !same_socket(runtime_dir, domain->socket_path, other->socket_path))
				continue;
			*line = domain->socket_line;
			snprintf(err, err_len,
				 "socket: '%s' of domain '%s' is already the socket of domain '%s' "
				 "(line %d) (allowed: one socket per domain)",
				 domain->socket_path, domain->name, other->name,
				 other->socket_line);
			return true;
		}
	}
	return false;
}

bool tsr_config_check_sockets(const struct tsr_config *config, const char *runtime_dir, char *err,
			      size_t err_len)
{
	char reason[600];
	int line = 0;
	if (!tsr_config_find_socket_conflict(config, runtime_dir, &line, reason, sizeof(reason)))
		return true;
	snprintf(err, err_len, "%s:%d: %s", config->source_name, line, reason);
	return false;
}
