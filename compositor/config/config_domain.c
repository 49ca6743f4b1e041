/* [domain NAME] sections: everything Tessera shows a domain with (its name,
 * its label, its colour) and which transport may speak for it. Nothing here
 * sees guest data: the configuration is read before any guest connects and
 * is const to the rest of the compositor, so a domain's banner and border
 * can only say what its section says (the labels property, README). */
#include <stdio.h>
#include <string.h>

#include "config_internal.h"

bool tsr_config_add_domain(struct tsr_config *config, const char *name, int *existing, char *err,
			   size_t err_len)
{
	*existing = -1;
	if (!tsr_config_check_domain_name(name, err, err_len))
		return false;
	*existing = tsr_config_find_domain(config, name);
	if (*existing >= 0) {
		snprintf(err, err_len, "domain '%s' is already defined", name);
		return false;
	}
	if (config->domain_count >= TSR_MAX_DOMAINS) {
		snprintf(err, err_len, "too many domains (allowed: at most %u)", TSR_MAX_DOMAINS);
		return false;
	}
	struct tsr_domain_config *domain = &config->domains[config->domain_count++];
	*domain = (struct tsr_domain_config){.transport = TSR_TRANSPORT_LOCAL};
	/* Precision only to keep -Wformat-truncation quiet: the name was
	 * checked to fit above. The label is the name until [domain] says
	 * otherwise. */
	snprintf(domain->name, sizeof(domain->name), "%.*s", (int)TSR_NAME_MAX - 1, name);
	snprintf(domain->label, sizeof(domain->label), "%.*s", (int)TSR_NAME_MAX - 1, name);
	return true;
}

/* value is one of the names (their index is the enum's value), else err. */
static bool parse_choice(const char *value, const char *what, const char *const names[2], int *out,
			 char *err, size_t err_len)
{
	for (int i = 0; i < 2; i++) {
		if (strcmp(value, names[i]) == 0) {
			*out = i;
			return true;
		}
	}
	snprintf(err, err_len, "'%s' is not %s (allowed: %s, %s)", value, what, names[0], names[1]);
	return false;
}

bool tsr_config_apply_domain(struct tsr_domain_config *domain, const char *key, const char *value,
			     char *err, size_t err_len)
{
	static const char *const transports[2] = {
	    [TSR_TRANSPORT_LOCAL] = "local", [TSR_TRANSPORT_XEN] = "xen"};
	static const char *const inputs[2] = {[TSR_INPUT_AGENT] = "agent", [TSR_INPUT_PV] = "pv"};
	static const char *const displays[2] = {
	    [TSR_DISPLAY_AGENT] = "agent", [TSR_DISPLAY_PV] = "pv"};
	int choice = 0;
	if (strcmp(key, "label") == 0) {
		if (!tsr_config_check_label(value, err, err_len))
			return false;
		snprintf(domain->label, sizeof(domain->label), "%s", value);
		return true;
	}
	if (strcmp(key, "colour") == 0)
		return tsr_config_parse_colour(value, &domain->colour, err, err_len);
	if (strcmp(key, "transport") == 0) {
		if (!parse_choice(value, "a transport", transports, &choice, err, err_len))
			return false;
		domain->transport = (enum tsr_transport_kind)choice;
		return true;
	}
	if (strcmp(key, "input") == 0) {
		if (!parse_choice(value, "an input", inputs, &choice, err, err_len))
			return false;
		domain->input = (enum tsr_input_kind)choice;
		return true;
	}
	if (strcmp(key, "display") == 0) {
		if (!parse_choice(value, "a display", displays, &choice, err, err_len))
			return false;
		domain->display = (enum tsr_display_kind)choice;
		return true;
	}
	return tsr_config_copy_path(value, domain->socket_path, err, err_len);
}

const char *tsr_config_check_domain_section(struct tsr_domain_config *domain, bool colour_set,
					    char *err, size_t err_len)
{
	/* A domain shown without its colour would look like any other. */
	if (!colour_set) {
		snprintf(err, err_len,
			 "domain '%s' has no colour (allowed: colour = #RRGGBB or a named colour)",
			 domain->name);
		return "";
	}
	if (domain->transport == TSR_TRANSPORT_LOCAL) {
		if (!domain->socket_path[0])
			snprintf(domain->socket_path, sizeof(domain->socket_path), "%s.sock",
				 domain->name);
	} else if (domain->socket_path[0]) {
		snprintf(err, err_len,
			 "socket is not used by xen domains (allowed with transport = local)");
		return "socket";
	}
	/* A PV device is found by the toolstack's name of a Xen domain. */
	if (domain->input == TSR_INPUT_PV && domain->transport != TSR_TRANSPORT_XEN) {
		snprintf(err, err_len,
			 "input = pv needs transport = xen (the PV device belongs to the Xen "
			 "domain of that name)");
		return "input";
	}
	if (domain->display == TSR_DISPLAY_PV && domain->transport != TSR_TRANSPORT_XEN) {
		snprintf(err, err_len,
			 "display = pv needs transport = xen (the PV display belongs to the Xen "
			 "domain of that name)");
		return "display";
	}
	return NULL;
}

int tsr_config_find_domain(const struct tsr_config *config, const char *name)
{
	for (size_t i = 0; i < config->domain_count && i < TSR_MAX_DOMAINS; i++) {
		if (strcmp(config->domains[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}
